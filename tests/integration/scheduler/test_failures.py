"""The scheduler killed mid-stream and restarted, and two schedulers under leader election: every pod
is bound exactly once, to a node with room (the API server's Bind is atomic and once-only; the
assumed-pod cache is memory only, rebuilt from the API)."""
import asyncio
import signal
from collections import defaultdict

from kubelab.client import Client
from tests.integration.scheduler.conftest import create_node, new_pod, wait_for

LE_FLAGS = ("--leader-elect", "--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1500ms",
            "--leader-elect-retry-period", "500ms")


class BindingHistory:
    """Every node name each pod was ever seen with, from one watch started before the scheduler."""

    def __init__(self, client: Client):
        self.client = client
        self.nodes: dict[str, set[str]] = defaultdict(set)
        self.task: asyncio.Task | None = None

    async def _watch(self) -> None:
        async for ev in self.client.watch("Pod", "default"):
            if ev.object is not None and ev.object.spec.node_name:
                self.nodes[ev.object.metadata.name].add(ev.object.spec.node_name)

    def start(self) -> "BindingHistory":
        self.task = asyncio.create_task(self._watch())
        return self

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    def bound(self) -> int:
        return len(self.nodes)


async def test_scheduler_killed_mid_stream_and_restarted_binds_every_pod_once(cluster, client):
    for i in range(1, 5):
        await create_node(client, f"node-{i}", pods="75")
    history = BindingHistory(client).start()
    first = cluster.scheduler(name="scheduler-1")

    async def stream():  # pods keep coming while the scheduler works, is killed, and comes back
        for i in range(300):
            await client.create(new_pod(f"p{i:03d}", cpu="10m"))
    creator = asyncio.create_task(stream())
    await wait_for(lambda: history.bound() >= 20, what="some pods bound")
    first.kill(signal.SIGKILL)
    assert history.bound() < 300
    cluster.scheduler(name="scheduler-2")
    await creator
    await wait_for(lambda: history.bound() == 300, timeout=60, what="all 300 pods bound")
    await history.stop()
    assert all(len(nodes) == 1 for nodes in history.nodes.values()), "a pod changed node"
    per_node = defaultdict(int)
    pods, _ = await client.list("Pod", "default")
    for p in pods:
        per_node[p.spec.node_name] += 1
    assert dict(per_node) == {f"node-{i}": 75 for i in range(1, 5)}  # exactly the capacity, never more


async def test_two_schedulers_with_leader_election(cluster, client):
    await create_node(client, "node-1")
    await create_node(client, "node-2")
    history = BindingHistory(client).start()
    a = cluster.scheduler(*LE_FLAGS, "--leader-elect-identity", "sched-a", name="sched-a")
    b = cluster.scheduler(*LE_FLAGS, "--leader-elect-identity", "sched-b", name="sched-b")

    def one_leader():
        return [s for s in (a, b) if s.is_leader()] if a.is_leader() != b.is_leader() else None
    (leader,) = await wait_for(one_leader, what="exactly one leader")
    lease = await client.get("Lease", "scheduler", "kube-system")
    assert lease.spec.holder_identity == ("sched-a" if leader is a else "sched-b")
    for i in range(20):
        await client.create(new_pod(f"before-{i}"))
    await wait_for(lambda: history.bound() == 20, what="pods bound by the leader")
    leader.kill(signal.SIGKILL)
    standby = b if leader is a else a
    await wait_for(standby.is_leader, timeout=15, what="the standby to take over")
    for i in range(20):
        await client.create(new_pod(f"after-{i}"))
    await wait_for(lambda: history.bound() == 40, what="pods bound by the new leader")
    await history.stop()
    assert all(len(nodes) == 1 for nodes in history.nodes.values())
    lease = await client.get("Lease", "scheduler", "kube-system")
    assert lease.spec.holder_identity == ("sched-b" if leader is a else "sched-a")
    assert lease.spec.lease_transitions >= 1
