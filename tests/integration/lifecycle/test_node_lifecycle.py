"""The node lifecycle and taint-eviction controllers with a real API server and the lifecycle process on short
flags: a node whose Lease stops being renewed goes Unknown and is tainted unreachable, a pod tolerating that
for 2 s is then deleted (Terminating), and the node reporting Ready again loses its taints. The test plays
the kubelet (Lease renewals, node status)."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from kubelab.api.v1 import coordination_pb2, core_pb2
from kubelab.errors import ApiError
from kubelab.manifest import from_dict
from services.lifecycle import node_lifecycle_decisions as nld
from tests.integration.replicaset.conftest import events_for, wait_for

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
                if e.reason != "Conflict":
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
                if e.reason != "Conflict":
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

    # The kubelet comes back: renews its lease and reports Ready; the taints go.
    kubelet.alive = True
    await kubelet.renew()
    await kubelet.report_ready()

    async def untainted():
        n = await client.get("Node", name)
        return n if not managed_taints(n) else None
    n = await wait_for(untainted, 20, "the taints to go")
    assert next(c for c in n.status.conditions if c.type == "Ready").status == "True"
