"""The node lifecycle and taint-eviction controllers with a real API server and the lifecycle process on short
flags: a node whose Lease stops being renewed goes Unknown and is tainted unreachable, a pod tolerating that
for 2 s is then deleted (Terminating), and the node reporting Ready again loses its taints; the pods of a node
gone Unknown are marked NotReady (with events), again when written back Ready meanwhile. The tests play the
kubelet (Lease renewals, node and pod status), except the last, which stops and continues a real kubelet
process and sees it set its pod Ready again."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from kubelab.api.v1 import coordination_pb2, core_pb2
from kubelab.errors import ApiError, is_conflict
from kubelab.manifest import from_dict
from services.lifecycle import node_lifecycle_decisions as nld
from tests.integration.kubelet.kubelet_support import KubeletProcess, kill_shims
from tests.integration.replicaset.conftest import events_for, set_state, wait_for
from tests.support import running

GRACE = 3.0
LEASE_NS = "kube-node-lease"


@pytest.fixture
def lifecycle(controllers):
    return controllers("lifecycle", "--node-monitor-grace-period", f"{GRACE}s", "--node-monitor-period", "500ms")


class Kubelet:
    """Plays a node's kubelet: renews its Lease while `alive`, posts Ready True on `report_ready()`."""

    def __init__(self, client, name: str):
        self.client, self.name, self.alive = client, name, True

    async def register(self) -> None:
        n = core_pb2.Node()
        n.metadata.name = self.name
        n.metadata.labels["kubernetes.io/hostname"] = self.name
        await self.client.create(n)
        await self.report_ready()
        lease = coordination_pb2.Lease()
        lease.metadata.name, lease.metadata.namespace = self.name, LEASE_NS
        lease.spec.holder_identity, lease.spec.lease_duration_seconds = self.name, 40
        lease.spec.renew_time.GetCurrentTime()
        await self.client.create(lease, LEASE_NS)

    async def report_ready(self) -> None:
        for _ in range(30):
            n = await self.client.get("Node", self.name)
            del n.status.conditions[:]
            c = n.status.conditions.add(type="Ready", status="True", reason="KubeletReady",
                                        message="kubelet is posting ready status")
            c.last_heartbeat_time.GetCurrentTime()
            c.last_transition_time.GetCurrentTime()
            try:
                await self.client.update_status(n)
                return
            except ApiError as e:
                if not is_conflict(e):
                    raise
        raise AssertionError("could not post the node status")

    async def renew(self) -> None:
        for _ in range(30):
            lease = await self.client.get("Lease", self.name, LEASE_NS)
            lease.spec.renew_time.GetCurrentTime()
            try:
                await self.client.update(lease)
                return
            except ApiError as e:
                if not is_conflict(e):
                    raise
        raise AssertionError("could not renew the lease")

    async def run(self) -> None:
        while True:
            if self.alive:
                await self.renew()
            await asyncio.sleep(0.3)  # the kubelet's renew interval, not a wait on the system under test


def managed_taints(node) -> set[tuple[str, str]]:
    return {(t.key, t.effect) for t in node.spec.taints if (t.key, t.effect) in nld.MANAGED_TAINTS}


async def test_an_unreachable_node_is_tainted_its_pods_evicted_and_untainted_when_back(client, lifecycle):
    kubelet = Kubelet(client, f"nl-{uuid.uuid4().hex[:6]}")
    await kubelet.register()
    async with asyncio.TaskGroup() as tg:
        renewer = tg.create_task(kubelet.run())
        try:
            await _scenario(client, kubelet)
        finally:
            renewer.cancel()


async def _scenario(client, kubelet: Kubelet) -> None:
    name = kubelet.name
    pod = from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
                     "spec": {"nodeName": name, "terminationGracePeriodSeconds": 5,
                              "tolerations": [{"key": nld.UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                                               "tolerationSeconds": 2}],
                              "containers": [{"name": "c", "image": "nginx:1.25"}]}})
    created = await client.create(pod, "default")
    # The API server's DefaultTolerationSeconds added not-ready for 300 s and kept our unreachable one.
    assert {(t.key, t.toleration_seconds) for t in created.spec.tolerations} == {(nld.UNREACHABLE, 2),
                                                                                   (nld.NOT_READY, 300)}

    # Healthy while the lease is renewed, even once the status heartbeat alone is past the grace period
    # (and a few monitor periods more).
    registered = next(c for c in (await client.get("Node", name)).status.conditions if c.type == "Ready")
    stale_status_at = registered.last_heartbeat_time.seconds + GRACE + 1.5

    async def renewed_past_grace():
        lease = await client.get("Lease", name, LEASE_NS)
        return lease.spec.renew_time.seconds + lease.spec.renew_time.nanos / 1e9 > stale_status_at
    await wait_for(renewed_past_grace, 20, "the lease to be renewed past the status heartbeat's grace")
    assert not managed_taints(await client.get("Node", name)), "a node renewing its lease was tainted"
    assert not (await client.get("Pod", "x", "default")).metadata.HasField("deletion_timestamp")

    kubelet.alive = False
    stopped = time.time()

    async def unreachable():
        n = await client.get("Node", name)
        return n if managed_taints(n) == {(nld.UNREACHABLE, "NoExecute"), (nld.UNREACHABLE, "NoSchedule")} else None
    n = await wait_for(unreachable, 20, "the unreachable taints")
    assert time.time() - stopped >= GRACE - 0.5
    ready = next(c for c in n.status.conditions if c.type == "Ready")
    assert (ready.status, ready.reason, ready.message) == ("Unknown", "NodeStatusUnknown",
                                                          "Kubelet stopped posting node status.")
    added = next(t for t in n.spec.taints if t.effect == "NoExecute").time_added
    tainted_at = added.seconds + added.nanos / 1e9

    async def terminating():
        p = await client.get("Pod", "x", "default")
        return p if p.metadata.HasField("deletion_timestamp") else None
    p = await wait_for(terminating, 20, "the pod's eviction")
    asked_at = p.metadata.deletion_timestamp.seconds + p.metadata.deletion_timestamp.nanos / 1e9 - 5
    assert 1.0 <= asked_at - tainted_at <= 6.0, asked_at - tainted_at  # ~2 s (deletionTimestamp: whole seconds)

    async def evicted_event():
        evs = await events_for(client, "default", "x")
        return evs if "TaintManagerEviction Marking for deletion Pod default/x" in evs else None
    await wait_for(evicted_event, 10, "the TaintManagerEviction event")
    assert {e[4] for e in await events_about(client, "Pod", "x") if e[1] == "TaintManagerEviction"} == \
        {"taint-eviction-controller"}

    # The kubelet comes back: renews its lease and reports Ready; the taints go.
    kubelet.alive = True
    await kubelet.renew()
    await kubelet.report_ready()

    async def untainted():
        n = await client.get("Node", name)
        return n if not managed_taints(n) else None
    n = await wait_for(untainted, 20, "the taints to go")
    assert next(c for c in n.status.conditions if c.type == "Ready").status == "True"


def _seconds(ts) -> float:
    return ts.seconds + ts.nanos / 1e9


def pod_ready(pod) -> core_pb2.PodCondition | None:
    return next((c for c in pod.status.conditions if c.type == "Ready"), None)


async def events_about(client, kind: str, name: str, ns: str = "default") -> list[tuple[str, str, str, int, str]]:
    """(type, reason, message, count, source) of the events about the object (a Node's are in default)."""
    items, _ = await client.list("Event", ns)
    return [(e.type, e.reason, e.message, e.count, e.source.component) for e in items
            if e.involved_object.kind == kind and e.involved_object.name == name]


async def test_the_pods_of_an_unreachable_node_are_marked_not_ready(client, lifecycle):
    kubelet = Kubelet(client, f"nr-{uuid.uuid4().hex[:6]}")
    await kubelet.register()
    async with running(kubelet):
        await _not_ready_scenario(client, kubelet)


async def _not_ready_scenario(client, kubelet: Kubelet) -> None:
    name = kubelet.name

    async def new_pod(pod_name: str, ready: bool):
        pod = from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod_name},
                         "spec": {"nodeName": name, "containers": [{"name": "c", "image": "nginx:1.25"}]}})
        await set_state(client, await client.create(pod, "default"), ready=ready)  # tolerates unreachable 300 s
        return await client.get("Pod", pod_name, "default")
    ready_pod = await new_pod(f"{name}-a", True)
    idle_pod = await new_pod(f"{name}-b", False)
    idle_version = idle_pod.metadata.resource_version

    kubelet.alive = False
    stopped = time.time()

    async def not_ready(pod_name: str, after: float):
        p = await client.get("Pod", pod_name, "default")
        c = pod_ready(p)
        return p if c.status == "False" and c.last_transition_time.seconds >= int(after) else None
    p = await wait_for(lambda: not_ready(ready_pod.metadata.name, stopped), 30, "the pod marked NotReady")
    node = await client.get("Node", name)
    assert nld.ready_status(node) == "Unknown"
    went_unknown = _seconds(next(c for c in node.status.conditions if c.type == "Ready").last_transition_time)
    assert pod_ready(p).last_transition_time.seconds >= int(went_unknown)  # marked since (whole seconds)
    assert p.status.phase == "Running" and not p.metadata.HasField("deletion_timestamp")

    async def event(kind: str, obj: str, want: tuple[str, str, str], count: int = 1):
        evs = await events_about(client, kind, obj)
        return evs if any(e[:3] == want and e[3] >= count for e in evs) else None
    await wait_for(lambda: event("Pod", p.metadata.name, ("Warning", "NodeNotReady", "Node is not ready")), 10,
                   "the pod's NodeNotReady event")
    await wait_for(lambda: event("Node", name, ("Normal", "NodeNotReady",
                                                f"Node {name} status is now: NodeNotReady")), 10,
                   "the node's NodeNotReady event")

    # Written back Ready while the node is still Unknown (a kubelet cut off from its lease, a stand-in): marked
    # again, and the same event counted again.
    written = time.time()
    await set_state(client, p, ready=True)
    await wait_for(lambda: not_ready(p.metadata.name, written), 20, "the pod marked NotReady again")
    await wait_for(lambda: event("Pod", p.metadata.name, ("Warning", "NodeNotReady", "Node is not ready"), 2), 10,
                   "the pod's second NodeNotReady event")
    # The pod marked again came from a later sync of the node than the first, which went through all its pods.
    idle = await client.get("Pod", idle_pod.metadata.name, "default")
    assert idle.metadata.resource_version == idle_version, "a pod already not ready was written"
    assert not await events_about(client, "Pod", idle.metadata.name)
    node_events = [e for e in await events_about(client, "Node", name) if e[1] == "NodeNotReady"]
    assert [e[3] for e in node_events] == [1], node_events  # once: the node went Unknown once
    pod_events = [e for e in await events_about(client, "Pod", p.metadata.name) if e[1] == "NodeNotReady"]
    assert {e[4] for e in node_events + pod_events} == {"node-controller"}  # kubectl describe's From


@pytest.fixture
def real_kubelet(apiserver):
    """A real kubelet process, on a node of its own."""
    cluster_dir = Path(tempfile.mkdtemp(prefix="kl-cluster-"))
    k = KubeletProcess(apiserver.address, cluster_dir, f"nk-{uuid.uuid4().hex[:6]}")
    try:
        yield k.start()
    finally:
        if k.proc is not None and k.proc.poll() is None:
            os.kill(k.proc.pid, signal.SIGCONT)
        k.stop()
        kill_shims(k.root)
        k.remove_network()
        shutil.rmtree(cluster_dir, ignore_errors=True)


async def test_a_kubelet_that_comes_back_sets_its_pods_ready_again(client, lifecycle, real_kubelet):
    """The kubelet stops (SIGSTOP: no lease renewals, no status writes), its node goes Unknown and its pod is
    marked NotReady; continued, it reports the node Ready and rewrites the pod's Ready condition, since the
    API's copy differs from what it last wrote."""
    name = real_kubelet.node
    pod = from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                     "spec": {"nodeName": name, "terminationGracePeriodSeconds": 1,
                              "containers": [{"name": "pause", "image": "registry.k8s.io/pause:3.9"}]}})
    await client.create(pod, "default")

    async def settled(after: float = 0.0):
        n, p = await client.get("Node", name), await client.get("Pod", name, "default")
        c = pod_ready(p)
        ok = nld.ready_status(n) == "True" and c is not None and c.status == "True"
        return p if ok and c.last_transition_time.seconds >= int(after) else None  # stamped in whole seconds
    await wait_for(settled, 60, "the node and its pod Ready")

    os.kill(real_kubelet.proc.pid, signal.SIGSTOP)
    stopped = time.time()
    try:
        async def marked():
            p = await client.get("Pod", name, "default")
            c = pod_ready(p)
            return p if c.status == "False" and c.last_transition_time.seconds >= int(stopped) else None
        p = await wait_for(marked, 30, "the pod marked NotReady")
    finally:
        os.kill(real_kubelet.proc.pid, signal.SIGCONT)
    marked_at = _seconds(pod_ready(p).last_transition_time)
    p = await wait_for(lambda: settled(marked_at), 60, "the kubelet setting its node and pod Ready again")
    assert p.status.phase == "Running"
