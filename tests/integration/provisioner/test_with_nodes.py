"""The provisioner with real node agents (and the scheduler): volumes as pods see them."""
from __future__ import annotations

import pytest

from kubelab.api.v1 import core_pb2
from tests.integration.kubelet.kubelet_support import KubeletProcess, kill_shims
from tests.integration.provisioner.conftest import (
    ComponentProcess, builtin_classes, claim, events_for, new_namespace, wait_for,
)


@pytest.fixture
def kubelets(apiserver, cluster_dir):
    started = [KubeletProcess(apiserver.address, cluster_dir, node).start() for node in ("node-1", "node-2")]
    yield started
    for k in started:
        k.stop()
        kill_shims(k.root)
        k.remove_network()


@pytest.fixture
async def scheduler(apiserver, cluster_dir):
    proc = ComponentProcess("scheduler", apiserver.address, cluster_dir).start()
    await proc.wait_serving()
    yield proc
    proc.stop()


def shell_pod(name: str, ns: str, claim_name: str, script: str, node: str = "") -> core_pb2.Pod:
    p = core_pb2.Pod(api_version="v1", kind="Pod")
    p.metadata.name, p.metadata.namespace = name, ns
    p.spec.node_name = node
    p.spec.termination_grace_period_seconds = 1
    c = p.spec.containers.add(name="app", image="busybox", command=["/bin/sh", "-c", script + "; sleep 3600"])
    c.volume_mounts.add(name="data", mount_path="/data")
    p.spec.volumes.add(name="data").persistent_volume_claim.claim_name = claim_name
    return p


async def running(client, ns, name):
    async def check():
        pod = await client.get("Pod", name, ns)
        return pod if pod.status.phase == "Running" else None
    return await wait_for(check, timeout=40, what=f"pod {name} Running")


async def test_network_disk_follows_its_pod_with_its_data(client, start_provisioner, kubelets, cluster_dir):
    await builtin_classes(client)
    await start_provisioner()
    ns = await new_namespace(client)
    await client.create(claim("disk", ns, cls="network-disk"))
    await client.create(shell_pod("writer", ns, "disk", "echo hello > /data/msg", node="node-1"))
    await running(client, ns, "writer")
    volume = (await client.get("PersistentVolumeClaim", "disk", ns)).spec.volume_name
    disk = cluster_dir / "disks" / volume
    await wait_for(lambda: _read(disk / "msg"), what="the writer's file on the disk")

    await client.create(shell_pod("reader", ns, "disk", "cp /data/msg /data/seen", node="node-2"))
    [event] = await wait_for(lambda: events_for(client, ns, "reader", "FailedAttachVolume"), what="Multi-Attach")
    assert event.message == f'Multi-Attach error for volume "{volume}" Volume is already used by pod(s) writer'
    assert (await client.get("Pod", "reader", ns)).status.phase == "Pending"

    await client.delete("Pod", "writer", ns)  # the kubelet stops it, unmounts, confirms; then detach, attach
    await running(client, ns, "reader")
    assert await wait_for(lambda: _read(disk / "seen"), what="the reader's copy") == "hello\n"


async def _read(path):
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


async def test_wait_for_first_consumer_with_the_scheduler(client, start_provisioner, kubelets, scheduler,
                                                          cluster_dir):
    await builtin_classes(client)
    await start_provisioner()
    ns = await new_namespace(client)
    await client.create(claim("www", ns))  # the default class: local-path, WaitForFirstConsumer
    await client.create(shell_pod("first", ns, "www", "echo one >> /data/log"))
    first = await running(client, ns, "first")
    c = await client.get("PersistentVolumeClaim", "www", ns)
    assert c.metadata.annotations["volume.kubernetes.io/selected-node"] == first.spec.node_name
    folder = cluster_dir / "nodes" / first.spec.node_name / "var/lib/kubelab/local-path" / \
        f"{c.spec.volume_name}_{ns}_www"
    await client.create(shell_pod("second", ns, "www", "echo two >> /data/log"))
    second = await running(client, ns, "second")
    assert second.spec.node_name == first.spec.node_name  # the volume's node affinity
    await wait_for(lambda: _both(folder / "log"), what="both pods' lines in the node's directory")


async def _both(path):
    text = await _read(path)
    return text is not None and sorted(text.split()) == ["one", "two"]
