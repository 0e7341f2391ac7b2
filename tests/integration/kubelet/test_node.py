"""The Node a kubelet registers, its heartbeat Lease, its events; --hollow nodes."""
from __future__ import annotations

import textwrap
import time

import pytest

from tests.integration.kubelet.kubelet_support import KubeletProcess, condition, container_state, kill_shims, wait_for, wait_gone, wait_pod


async def test_registration_status_and_lease(node, client):
    n = await wait_for(lambda: _ready_node(client, "node-1"), what="node-1 Ready")
    assert n.metadata.labels["kubernetes.io/hostname"] == "node-1"
    assert n.spec.pod_cidr == node.pod_cidr
    assert dict(n.status.capacity)["cpu"] == "4" and dict(n.status.capacity)["memory"] == "8Gi"
    assert dict(n.status.allocatable)["pods"] == "110"
    addresses = {a.type: a.address for a in n.status.addresses}
    assert addresses == {"InternalIP": node.node_ip, "Hostname": "node-1"}
    assert n.status.daemon_endpoints.kubelet_endpoint.port == node.port
    assert n.status.node_info.kubelet_version.startswith("v1.")
    first = (await wait_for(lambda: client.get("Lease", "node-1", "kube-node-lease"),
                            what="the node's Lease")).spec.renew_time.ToNanoseconds()
    lease = await wait_for(lambda: _renewed_after(client, first), what="the lease renewed")
    assert lease.spec.holder_identity == "node-1" and lease.spec.lease_duration_seconds == 40
    assert lease.metadata.owner_references[0].kind == "Node"
    events, _ = await client.list("Event", "default")
    starting = [e for e in events if e.involved_object.kind == "Node" and e.reason == "Starting"]
    assert starting and starting[0].source.component == "kubelet" and starting[0].source.host == "node-1"


async def test_node_reasserts_ready(node, client):
    n = await wait_for(lambda: _ready_node(client, "node-1"), what="node-1 Ready")
    ready = next(c for c in n.status.conditions if c.type == "Ready")
    ready.status, ready.reason = "Unknown", "NodeStatusUnknown"
    await client.update_status(n)
    await wait_for(lambda: _ready_node(client, "node-1"), what="the kubelet setting Ready again")


async def _ready_node(client, name):
    n = await client.get("Node", name)
    return n if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions) else None


async def _renewed_after(client, nanos):
    lease = await client.get("Lease", "node-1", "kube-node-lease")
    return lease if lease.spec.renew_time.ToNanoseconds() > nanos else None


@pytest.fixture
def hollow(apiserver, cluster_dir):
    k = KubeletProcess(apiserver.address, cluster_dir, "hollow", "--hollow", "3").start()
    yield k
    k.stop()


async def test_hollow_nodes_run_pods_without_processes(hollow, client):
    for i in (1, 2, 3):
        n = await wait_for(lambda: _ready_node(client, f"hollow-{i}"), what=f"hollow-{i} Ready")
        assert n.metadata.labels["kubelab.io/hollow"] == "true"
    manifest = textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: ghost}
        spec:
          nodeName: hollow-2
          initContainers: [{name: init, image: busybox, command: ["false"]}]
          containers: [{name: app, image: example.com/anything, ports: [{containerPort: 80}]}]
        """)
    await client.create_manifest(manifest, "default")
    p = await wait_pod(client, "ghost", lambda p: condition(p, "Ready") == "True")
    assert p.status.phase == "Running" and p.status.pod_ip.startswith("10.0.2.")
    assert container_state(p, "app")[0] == "running" and container_state(p, "init")[1] == "Completed"
    started = time.monotonic()
    await client.delete("Pod", "ghost", "default")
    await wait_gone(client, "Pod", "ghost")
    assert time.monotonic() - started < 10
    assert not any(hollow.root.glob("var/lib/kubelet/pods/*"))


@pytest.fixture
def small_node(apiserver, cluster_dir):
    k = KubeletProcess(apiserver.address, cluster_dir, "node-2", "--max-pods", "1").start()
    yield k
    k.stop()
    kill_shims(k.root)
    k.remove_network()


async def test_pods_beyond_max_pods_are_refused(small_node, client):
    def sleeper(name):
        return textwrap.dedent(f"""\
            apiVersion: v1
            kind: Pod
            metadata: {{name: {name}}}
            spec:
              nodeName: node-2
              terminationGracePeriodSeconds: 1
              containers: [{{name: c, image: busybox, command: [sleep, "1000"]}}]
            """)
    await client.create_manifest(sleeper("first"), "default")
    await wait_pod(client, "first", lambda p: p.status.phase == "Running")
    await client.create_manifest(sleeper("second"), "default")
    p = await wait_pod(client, "second", lambda p: p.status.phase == "Failed")
    assert p.status.reason == "OutOfpods"
    assert p.status.message == "Pod Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1"
    for name in ("first", "second"):
        await client.delete("Pod", name, "default")
        await wait_gone(client, "Pod", name)
