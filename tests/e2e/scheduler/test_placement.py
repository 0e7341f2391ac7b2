"""Where the scheduler puts pods on a real three-node cluster, as a user sees it:

- a Deployment's pods spread over the nodes;
- nodeSelector and required node affinity keep pods on the labelled nodes; a pod no node matches waits
  with Kubernetes' FailedScheduling message and is placed as soon as a node is labelled to match;
- a NoSchedule taint keeps pods off a node unless they tolerate it; a pod only that node suits waits, and
  runs there once the taint is removed;
- a pod asking for more cpu or memory than any node has stays Pending with the FailedScheduling message;
  filling the nodes leaves the pod that finds no room Pending, with the same message.

The spread test runs first, on empty nodes (the cluster is the package's); the others only depend on the
labels and taints they set themselves, and remove the taints they add.
"""
from __future__ import annotations

from tests.e2e.scheduler.conftest import (NODES, deployment, failed_scheduling, label_node, per_node, pod,
                                          running_on_their_nodes, taint_node, untaint_node, wait_for, wide)

NOT_HELPFUL = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
NO_VICTIMS = "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."


async def pending_with(cluster, ns: str, pod: str, message: str, timeout: float = 60) -> None:
    """Wait until `kubelab get pods -o wide` shows the pod Pending on no node and `kubelab describe pod`
    shows a FailedScheduling event with `message`."""
    async def shown():
        row = (await wide(cluster, ns)).get(pod)
        if row is None or (row["STATUS"], row["NODE"]) != ("Pending", "<none>"):
            return False
        return await failed_scheduling(cluster, ns, pod) == message
    try:
        await wait_for(shown, timeout, f"{pod} Pending with FailedScheduling {message!r}")
    except AssertionError:
        raise AssertionError(f"{pod}: last FailedScheduling was {await failed_scheduling(cluster, ns, pod)!r}, "
                             f"expected {message!r}") from None


async def test_a_deployments_pods_spread_over_the_nodes(cluster, client, ns, apply):
    assert await apply(deployment("spread", 6)) == "deployment.apps/spread created\n"
    where = await running_on_their_nodes(cluster, client, ns, "spread", 6)
    assert per_node(where) == {node: 2 for node in NODES}  # equal empty nodes: least allocated evens them


async def test_node_selector_is_honoured_and_a_newly_labelled_node_takes_the_waiting_pod(cluster, client, ns,
                                                                                       apply):
    await label_node(client, "node-2", {"disktype": "ssd"})  # kubectl label node node-2 disktype=ssd
    await apply(deployment("ssd", 3, pod_spec="nodeSelector: {disktype: ssd}"))
    where = await running_on_their_nodes(cluster, client, ns, "ssd", 3)
    assert set(where.values()) == {"node-2"}

    await apply(pod("gpu", "nodeSelector: {accelerator: gpu}"))
    await pending_with(cluster, ns, "gpu", "0/3 nodes are available: 3 node(s) didn't match Pod's node "
                                           f"affinity/selector. {NOT_HELPFUL}")
    await label_node(client, "node-3", {"accelerator": "gpu"})  # a node label event requeues the pod
    assert await running_on_their_nodes(cluster, client, ns, "gpu", 1) == {"gpu": "node-3"}


async def test_required_node_affinity_is_honoured(cluster, client, ns, apply):
    for node, zone in zip(NODES, ("zone-a", "zone-b", "zone-c")):
        await label_node(client, node, {"topology.kubernetes.io/zone": zone})
    await apply(deployment("zonal", 4, pod_spec="""
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
              - matchExpressions:
                - {key: topology.kubernetes.io/zone, operator: In, values: [zone-a, zone-c]}
        """))
    where = await running_on_their_nodes(cluster, client, ns, "zonal", 4)
    assert set(where.values()) <= {"node-1", "node-3"}

    await apply(pod("nowhere", """
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
              - matchExpressions:
                - {key: topology.kubernetes.io/zone, operator: NotIn, values: [zone-a, zone-b, zone-c]}
        """))
    await pending_with(cluster, ns, "nowhere", "0/3 nodes are available: 3 node(s) didn't match Pod's node "
                                               f"affinity/selector. {NOT_HELPFUL}")


async def test_a_no_schedule_taint_keeps_pods_off_unless_tolerated(cluster, client, ns, apply):
    await taint_node(client, "node-1", "dedicated", "infra", "NoSchedule")  # kubectl taint node node-1 ...
    try:
        await apply(deployment("plain", 4))
        where = await running_on_their_nodes(cluster, client, ns, "plain", 4)
        assert "node-1" not in where.values()

        only_node_1 = "nodeSelector: {kubernetes.io/hostname: node-1}\n"
        await apply(pod("tolerant", only_node_1 + "tolerations: [{key: dedicated, operator: Equal, value: infra, "
                                                  "effect: NoSchedule}]"))
        assert await running_on_their_nodes(cluster, client, ns, "tolerant", 1) == {"tolerant": "node-1"}

        await apply(pod("intolerant", only_node_1))
        await pending_with(cluster, ns, "intolerant", "0/3 nodes are available: 1 node(s) had untolerated "
                                                      "taint(s), 2 node(s) didn't match Pod's node affinity/"
                                                      f"selector. {NOT_HELPFUL}")
    finally:
        await untaint_node(client, "node-1", "dedicated", "NoSchedule")  # kubectl taint node node-1 dedicated-
    assert await running_on_their_nodes(cluster, client, ns, "intolerant", 1) == {"intolerant": "node-1"}


async def test_a_pod_bigger_than_any_node_stays_pending_with_kubernetes_message(cluster, client, ns, apply):
    # Each kubelet reports 4 cpus and 8Gi (its --cpu and --memory defaults).
    await apply(pod("cpu-hog", cpu="8"))
    await apply(pod("memory-hog", memory="64Gi"))
    await pending_with(cluster, ns, "cpu-hog", f"0/3 nodes are available: 3 Insufficient cpu. {NO_VICTIMS}")
    await pending_with(cluster, ns, "memory-hog",
                       f"0/3 nodes are available: 3 Insufficient memory. {NO_VICTIMS}")
    described = await cluster.kubelab("describe", "pod", "cpu-hog", "-n", ns)
    assert "PodScheduled   False" in described


async def test_filling_the_nodes_leaves_the_pod_without_room_pending(cluster, client, ns, apply):
    # 1500m each: two fit on a 4-cpu node beside what the other tests leave there, a third never does.
    await apply(deployment("fill", 7, cpu="1500m"))

    async def six_running_one_pending():
        rows = await wide(cluster, ns, "app=fill")
        pending = [n for n, r in rows.items() if r["STATUS"] == "Pending" and r["NODE"] == "<none>"]
        running = [r for r in rows.values() if r["STATUS"] == "Running"]
        return pending[0] if len(rows) == 7 and len(pending) == 1 and len(running) == 6 else None
    pending = await wait_for(six_running_one_pending, 60, "6 pods of fill Running and 1 Pending")
    rows = await wide(cluster, ns, "app=fill")
    assert per_node({n: r["NODE"] for n, r in rows.items() if n != pending}) == {node: 2 for node in NODES}
    await pending_with(cluster, ns, pending, f"0/3 nodes are available: 3 Insufficient cpu. {NO_VICTIMS}")
    await cluster.kubelab("delete", "deployment", "fill", "-n", ns)  # give the cpu back to later tests
