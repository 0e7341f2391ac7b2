"""Volume-aware placement (reference §5): WaitForFirstConsumer claims pick the node and the pod
follows once the claim is bound; immediate claims must be bound first; a bound local volume pins
its pods; ReadWriteOncePod admits one pod. The test plays the PV controller (storage.py)."""
from tests.integration.scheduler.conftest import (create_node, events_of, new_pod, wait_bound, wait_condition,
                                                  wait_for)
from tests.integration.scheduler.storage import SELECTED_NODE, create_class, create_claim, provision


async def selected_node(client, claim: str) -> str | None:
    pvc = await client.get("PersistentVolumeClaim", claim, "default")
    return pvc.metadata.annotations.get(SELECTED_NODE)


async def test_wait_for_first_consumer_picks_the_node_and_the_pod_follows_the_claim(cluster, client):
    for i in (1, 2, 3):
        await create_node(client, f"node-{i}")
    await create_class(client)
    await create_claim(client, "data")
    cluster.scheduler()
    await client.create(new_pod("db", claims=["data"]))
    node = await wait_for(lambda: selected_node(client, "data"), what="the selected-node annotation")
    pod = await client.get("Pod", "db", "default")
    assert not pod.spec.node_name  # PreBind waits for the claim
    await provision(client, "data", node)
    assert await wait_bound(client, "db") == node
    # A second pod of the same claim must go where the local volume is (its node affinity).
    await client.create(new_pod("db-2", claims=["data"]))
    assert await wait_bound(client, "db-2") == node
    other = next(n for n in ("node-1", "node-2", "node-3") if n != node)
    await client.create(new_pod("elsewhere", claims=["data"], node_selector={"kubernetes.io/hostname": other}))
    cond = await wait_condition(client, "elsewhere")
    assert cond.message == (
        "0/3 nodes are available: 1 node(s) didn't match PersistentVolume's node affinity, "
        "2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


async def test_unbound_immediate_claim_makes_the_pod_wait(cluster, client):
    await create_node(client, "node-1")
    await create_node(client, "node-2")
    await create_class(client, "network-disk", mode="Immediate", provisioner="kubelab.io/network-disk")
    await create_claim(client, "disk", cls="network-disk")
    cluster.scheduler()
    await client.create(new_pod("app", claims=["disk"]))
    cond = await wait_condition(client, "app")
    assert cond.message == ("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
                            "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    await provision(client, "disk", node=None)  # the claim binds: a PVC/Update event requeues the pod
    assert await wait_bound(client, "app") in ("node-1", "node-2")


async def test_missing_claim(cluster, client):
    await create_node(client, "node-1")
    cluster.scheduler()
    await client.create(new_pod("app", claims=["nope"]))
    cond = await wait_condition(client, "app")
    assert cond.message == ('0/1 nodes are available: persistentvolumeclaim "nope" not found. '
                            "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
    await create_class(client)
    await create_claim(client, "nope")
    node = await wait_for(lambda: selected_node(client, "nope"), what="the claim to be picked up")
    assert node == "node-1"


async def test_prebind_timeout_sends_the_pod_back_and_it_binds_later(cluster, client):
    await create_node(client, "node-1")
    await create_class(client)
    await create_claim(client, "data")
    cluster.scheduler("--bind-timeout", "1s")
    await client.create(new_pod("db", claims=["data"]))
    events = await wait_for(lambda: events_of(client, "db", reason="FailedScheduling"), what="the PreBind timeout")
    assert events[0].message == ('running PreBind plugin "VolumeBinding": binding volumes: '
                                 "context deadline exceeded")
    cond = await wait_condition(client, "db")
    assert cond.reason == "SchedulerError"
    await provision(client, "data", "node-1")
    assert await wait_bound(client, "db") == "node-1"


async def test_read_write_once_pod_admits_a_single_pod(cluster, client):
    await create_node(client, "node-1")
    await create_node(client, "node-2")
    await create_class(client, "network-disk", mode="Immediate", provisioner="kubelab.io/network-disk")
    await create_claim(client, "single", cls="network-disk", modes=("ReadWriteOncePod",))
    await provision(client, "single", node=None)
    cluster.scheduler()
    await client.create(new_pod("first", claims=["single"]))
    await wait_bound(client, "first")
    await client.create(new_pod("second", claims=["single"]))
    cond = await wait_condition(client, "second")
    assert (cond.reason, cond.message) == ("Unschedulable", (
        "0/2 nodes are available: 2 node has pod using PersistentVolumeClaim with the same name and "
        "ReadWriteOncePod access mode. preemption: 0/2 nodes are available: "
        "2 No preemption victims found for incoming pod."))
    await client.delete("Pod", "first", "default", grace_period_seconds=0)
    assert await wait_bound(client, "second") in ("node-1", "node-2")


async def test_read_write_once_is_not_a_scheduling_constraint(cluster, client):
    await create_node(client, "node-1")
    await create_node(client, "node-2")
    await create_class(client, "network-disk", mode="Immediate", provisioner="kubelab.io/network-disk")
    await create_claim(client, "shared-rwo", cls="network-disk")
    await provision(client, "shared-rwo", node=None)
    cluster.scheduler()
    for i in range(4):
        await client.create(new_pod(f"web-{i}", claims=["shared-rwo"]))
    nodes = {await wait_bound(client, f"web-{i}") for i in range(4)}
    assert nodes == {"node-1", "node-2"}  # spread: Multi-Attach is the attach/detach controller's business
