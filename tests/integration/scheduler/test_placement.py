"""Where pods land, with a real API server and the scheduler process: spreading, nodeSelector and
affinity, taints, and the FailedScheduling message when nothing fits."""
from tests.integration.scheduler.conftest import (create_node, events_of, new_pod, wait_bound, wait_condition,
                                                  wait_for)

PREEMPTION_NOT_HELPFUL = "preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."


async def test_pods_spread_evenly_over_equal_nodes(cluster, client):
    for i in range(1, 4):
        await create_node(client, f"node-{i}")
    cluster.scheduler()
    for i in range(9):
        await client.create(new_pod(f"web-{i}"))
    nodes = [await wait_bound(client, f"web-{i}") for i in range(9)]
    assert sorted(nodes) == ["node-1"] * 3 + ["node-2"] * 3 + ["node-3"] * 3
    pod = await client.get("Pod", "web-0", "default")
    scheduled = next(c for c in pod.status.conditions if c.type == "PodScheduled")
    assert scheduled.status == "True"
    events = await wait_for(lambda: events_of(client, "web-0", reason="Scheduled"), what="Scheduled event")
    assert events[0].message == f"Successfully assigned default/web-0 to {nodes[0]}"
    assert events[0].source.component == "default-scheduler"  # the profile name, as kubectl describe shows it


async def test_node_selector_and_required_affinity_are_honoured(cluster, client):
    await create_node(client, "node-1", labels={"disk": "hdd", "zone": "a"})
    await create_node(client, "node-2", labels={"disk": "ssd", "zone": "a"})
    await create_node(client, "node-3", labels={"disk": "ssd", "zone": "b"})
    cluster.scheduler()
    await client.create(new_pod("ssd", node_selector={"disk": "ssd", "zone": "b"}))
    p = new_pod("zone-a-not-hdd")
    term = p.spec.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_terms.add()
    term.match_expressions.add(key="zone", operator="In", values=["a"])
    term.match_expressions.add(key="disk", operator="NotIn", values=["hdd"])
    await client.create(p)
    assert await wait_bound(client, "ssd") == "node-3"
    assert await wait_bound(client, "zone-a-not-hdd") == "node-2"


async def test_taints_keep_pods_off_until_tolerated_or_removed(cluster, client):
    await create_node(client, "node-1", taints=[("dedicated", "db", "NoSchedule")])
    await create_node(client, "node-2", taints=[("dedicated", "db", "NoExecute")])
    cluster.scheduler()
    await client.create(new_pod("db", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "db"}]))
    await client.create(new_pod("web"))
    assert await wait_bound(client, "db") in ("node-1", "node-2")
    cond = await wait_condition(client, "web")
    assert cond.reason == "Unschedulable"
    assert cond.message == ("0/2 nodes are available: 2 node(s) had untolerated taint(s). "
                            + PREEMPTION_NOT_HELPFUL.format(n=2))
    node = await client.get("Node", "node-1")
    del node.spec.taints[:]
    await client.update(node)  # the taint goes: a Node/UpdateNodeTaint event requeues the pod
    assert await wait_bound(client, "web") == "node-1"


async def test_resource_exhaustion_message_and_recovery_when_a_node_is_added(cluster, client):
    await create_node(client, "node-1", cpu="8", labels={"pool": "batch"})
    await create_node(client, "node-2", cpu="1", labels={"pool": "web"})
    await create_node(client, "node-3", cpu="2", labels={"pool": "web"})
    cluster.scheduler()
    await client.create(new_pod("big", cpu="3", node_selector={"pool": "web"}))
    cond = await wait_condition(client, "big")
    message = ("0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. "
               "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
               "2 No preemption victims found for incoming pod.")
    assert (cond.reason, cond.message) == ("Unschedulable", message)
    events = await wait_for(lambda: events_of(client, "big", reason="FailedScheduling"), what="FailedScheduling")
    assert events[0].type == "Warning" and events[0].message == message
    await create_node(client, "node-4", cpu="4", labels={"pool": "web"})
    assert await wait_bound(client, "big") == "node-4"


async def test_last_free_place_is_taken_once(cluster, client):
    await create_node(client, "node-1", cpu="1", pods="3")
    cluster.scheduler()
    for i in range(5):
        await client.create(new_pod(f"p{i}", cpu="300m"))

    async def settled():
        pods, _ = await client.list("Pod", "default")
        bound = [p for p in pods if p.spec.node_name]
        pending = [p for p in pods if any(c.type == "PodScheduled" and c.status == "False"
                                          for c in p.status.conditions)]
        return (bound, pending) if len(bound) + len(pending) == 5 else None
    bound, pending = await wait_for(settled, what="every pod bound or unschedulable")
    assert len(bound) == 3
    assert {c.message for p in pending for c in p.status.conditions} == {
        "0/1 nodes are available: 1 Insufficient cpu, 1 Too many pods. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."}
    await client.delete("Pod", bound[0].metadata.name, "default", grace_period_seconds=0)
    # A deleted pod frees room (Pod/Delete event): exactly one of the two takes it.
    async def four_bound():
        pods, _ = await client.list("Pod", "default")
        return len([p for p in pods if p.spec.node_name]) == 3 and len(pods) == 4
    await wait_for(four_bound, what="one pending pod to take the freed place")


async def test_pods_of_another_scheduler_are_left_alone(cluster, client):
    await create_node(client, "node-1")
    cluster.scheduler()
    await client.create(new_pod("theirs", scheduler_name="my-scheduler"))
    await client.create(new_pod("ours"))
    await wait_bound(client, "ours")  # the informer delivered "theirs" before "ours"
    theirs = await client.get("Pod", "theirs", "default")
    assert not theirs.spec.node_name and not theirs.status.conditions
    assert await events_of(client, "theirs") == []


async def test_a_second_scheduler_name(cluster, client):
    await create_node(client, "node-1")
    cluster.scheduler("--scheduler-name", "my-scheduler", "--leader-elect-resource-name", "my-scheduler")
    await client.create(new_pod("theirs", scheduler_name="my-scheduler"))
    assert await wait_bound(client, "theirs") == "node-1"


async def test_no_nodes_then_a_node_is_added(cluster, client):
    cluster.scheduler()
    await client.create(new_pod("early"))
    cond = await wait_condition(client, "early")
    assert (cond.reason, cond.message) == ("Unschedulable", "no nodes available to schedule pods")
    await create_node(client, "node-1")  # Node/Add requeues it, no backoff polling needed
    assert await wait_bound(client, "early") == "node-1"
