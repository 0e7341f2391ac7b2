"""One pod through the default profile's PreFilter/Filter/Score, and FailedScheduling's message
exactly as kube-scheduler words it (FitError.Error, DefaultPreemption.PostFilter)."""
import random

import pytest

from services.scheduler.algorithm import num_feasible_nodes_to_find, schedule_pod, select_host
from services.scheduler.cache import SchedulerCache
from services.scheduler.fiterror import Diagnosis, FitError, NoNodesAvailable, fit_message
from services.scheduler.framework import CycleState, Status
from services.scheduler.nodeinfo import new_pod_info
from services.scheduler.plugins import new_default_framework
from services.scheduler.plugins.node_resources_fit import POD_INFO_KEY
from services.scheduler.volumecache import VolumeCache
from tests.unit.scheduler.builders import Store, claim, node, pod, storage_class


def cluster(*nodes, pods=(), claims=()):
    cache = SchedulerCache()
    for n in nodes:
        cache.set_node(n)
    for p in pods:
        cache.add_pod(p)
    volumes = VolumeCache(Store(*claims), Store(), Store(storage_class()))
    return cache, new_default_framework(cache, volumes, client=None)


def attempt(cache, fwk, p):
    state = CycleState()
    state.write(POD_INFO_KEY, new_pod_info(p))
    try:
        return schedule_pod(fwk, state, p, cache.node_infos(), rng=random.Random(1)).node
    except FitError as e:
        post = fwk.run_post_filter(state, p, e.diagnosis)
        e.diagnosis.post_filter_msg = post.message
        return str(e)


def test_the_issues_example_message():
    cache, fwk = cluster(node("node-1", cpu="4", labels={"disk": "hdd"}), node("node-2", cpu="1", labels={"disk": "ssd"}),
                         node("node-3", cpu="1", labels={"disk": "ssd"}))
    assert attempt(cache, fwk, pod("p", "2", node_selector={"disk": "ssd"})) == (
        "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
        "2 No preemption victims found for incoming pod.")


def test_unresolvable_everywhere_preemption_is_not_helpful():
    cache, fwk = cluster(node("n1", unschedulable=True), node("n2", taints=[("k", "v", "NoSchedule")]))
    assert attempt(cache, fwk, pod("p")) == (
        "0/2 nodes are available: 1 node(s) had untolerated taint(s), 1 node(s) were unschedulable. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")


def test_prefilter_rejection_replaces_the_histogram():
    cache, fwk = cluster(node("n1"), node("n2"), node("n3"),
                         claims=[claim("data", cls="fast")])
    assert attempt(cache, fwk, pod("p", claims=["data"])) == (
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")


def test_read_write_once_pod_second_pod():
    first = pod("first", claims=["db"], node_name="n1")
    cache, fwk = cluster(node("n1"), node("n2"), pods=[first], claims=[claim("db", modes=("ReadWriteOncePod",),
                                                                             volume="pv", bound=True)])
    msg = attempt(cache, fwk, pod("second", claims=["db"]))
    assert msg == ("0/2 nodes are available: 2 node has pod using PersistentVolumeClaim with the same name and "
                   "ReadWriteOncePod access mode. preemption: 0/2 nodes are available: "
                   "2 No preemption victims found for incoming pod.")


def test_histogram_is_sorted_as_strings():
    d = Diagnosis(node_statuses={f"n{i}": Status.unschedulable("Insufficient cpu") for i in range(10)})
    d.node_statuses["x"] = Status.unschedulable("Insufficient memory")
    d.node_statuses["y"] = Status.unschedulable("Insufficient memory")
    assert fit_message(12, d) == "0/12 nodes are available: 10 Insufficient cpu, 2 Insufficient memory."


def test_no_nodes():
    cache, fwk = cluster()
    with pytest.raises(NoNodesAvailable, match="no nodes available to schedule pods"):
        schedule_pod(fwk, CycleState(), pod("p"), [])


def test_pods_spread_over_equal_nodes():
    cache, fwk = cluster(node("n1"), node("n2"), node("n3"))
    placed = []
    for i in range(6):
        p = pod(f"p{i}", "100m")
        name = attempt(cache, fwk, p)
        p.spec.node_name = name
        cache.add_pod(p)
        placed.append(name)
    assert sorted(placed) == ["n1", "n1", "n2", "n2", "n3", "n3"]


def test_preemption_picks_lower_priority_victims():
    low = pod("low", "3", priority=0, node_name="n1")
    cache, fwk = cluster(node("n1", cpu="4"), pods=[low])
    state = CycleState()
    p = pod("urgent", "2", priority=100)
    state.write(POD_INFO_KEY, new_pod_info(p))
    with pytest.raises(FitError) as e:
        schedule_pod(fwk, state, p, cache.node_infos())
    assert fwk.run_post_filter(state, p, e.value.diagnosis).success
    node_name, victims = state.read("PreemptionVictims")
    assert node_name == "n1" and [v.metadata.name for v in victims] == ["low"]


def test_preemption_not_eligible_with_policy_never():
    cache, fwk = cluster(node("n1", cpu="1"))
    p = pod("p", "2", priority=100)
    p.spec.preemption_policy = "Never"
    assert attempt(cache, fwk, p) == ("0/1 nodes are available: 1 Insufficient cpu. "
                                      "preemption: not eligible due to preemptionPolicy=Never.")


@pytest.mark.parametrize("n, expected", [(10, 10), (99, 99), (100, 100), (1000, 420), (5000, 500), (10000, 500)])
def test_adaptive_share_of_nodes_searched(n, expected):
    assert num_feasible_nodes_to_find(n) == expected


def test_select_host_breaks_ties_at_random():
    seen = {select_host({"a": 5, "b": 7, "c": 7}, random.Random(seed)) for seed in range(20)}
    assert seen == {"b", "c"}
