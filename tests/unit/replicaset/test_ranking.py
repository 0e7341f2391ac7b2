"""The scale-down order (ActivePodsWithRanks): each rule decides when the earlier ones tie."""
from __future__ import annotations

import pytest

from services.replicaset.ranking import less, pods_to_delete, ranks_by_node, sort_for_deletion
from tests.unit.replicaset.builders import NOW, pod


def first(a, b, ranks=(0, 0)):
    """The name of the pod deleted first."""
    return sort_for_deletion([a, b], list(ranks), NOW)[0].metadata.name


@pytest.mark.parametrize("earlier,later", [
    (dict(node=""), dict(node="node-1")),                                      # 1 unassigned < assigned
    (dict(phase="Pending"), dict(phase="Running")),                            # 2 Pending < Running
    (dict(phase="Pending"), dict(phase="Unknown")),                            #   Pending < Unknown
    (dict(phase="Unknown"), dict(phase="Running")),                            #   Unknown < Running
    (dict(ready=False), dict(ready=True)),                                     # 3 not ready < ready
    (dict(cost=-5), dict(cost=10)),                                            # 4 lower deletion cost first
    (dict(ready_at=NOW - 10), dict(ready_at=NOW - 100_000)),                   # 6 ready for less time first
    (dict(restarts=5), dict(restarts=1)),                                      # 7 more restarts first
    (dict(created=NOW - 10, ready=False), dict(created=NOW - 100_000, ready=False)),  # 8 newer first
])
def test_each_rule_in_both_argument_orders(earlier, later):
    a = pod("a", **{"node": "node-1", **earlier})
    b = pod("b", **{"node": "node-1", **later})
    assert first(a, b) == "a"
    assert first(b, a) == "a"


def test_rules_apply_in_order_unassigned_beats_everything_else():
    unscheduled_ready_old = pod("a", node="", ready=True, created=NOW - 100_000)
    scheduled_pending_new = pod("b", node="node-1", phase="Pending", ready=False, created=NOW - 1)
    assert first(unscheduled_ready_old, scheduled_pending_new) == "a"


def test_doubled_up_pods_go_before_lonely_ones():
    a, b = pod("a", node="node-1"), pod("b", node="node-2")
    assert first(a, b, ranks=(3, 1)) == "a"
    assert first(a, b, ranks=(1, 3)) == "b"


def test_times_in_the_same_power_of_two_bucket_fall_back_to_uid():
    # 100 s and 101 s ago are within the same log2(nanoseconds) bucket: the uid decides, not the time.
    a = pod("a", node="n", ready_at=NOW - 101, uid="uid-1")
    b = pod("b", node="n", ready_at=NOW - 100, uid="uid-2")
    assert first(a, b) == "a" and first(b, a) == "a"


def test_equal_pods_are_not_less_than_each_other():
    a, b = pod("a", node="n", uid="u"), pod("b", node="n", uid="u")
    assert not less(a, b, 0, 0, NOW) and not less(b, a, 0, 0, NOW)


def test_ranks_count_active_related_pods_on_the_same_node():
    pods = [pod("a", node="n1"), pod("b", node="n2")]
    related = pods + [pod("c", node="n1"), pod("d", node="n1", phase="Failed"), pod("e", node="n1", terminating=True)]
    assert ranks_by_node(pods, related) == [2, 1]


def test_pods_to_delete_takes_the_first_ranked():
    pods = [pod("ready", node="n1"), pod("pending", node="n1", phase="Pending", ready=False),
            pod("unscheduled", node="", phase="Pending", ready=False), pod("notready", node="n1", ready=False)]
    chosen = [p.metadata.name for p in pods_to_delete(pods, pods, 3, NOW)]
    assert chosen == ["unscheduled", "pending", "notready"]


def test_deleting_all_skips_the_sort():
    pods = [pod("b"), pod("a")]
    assert [p.metadata.name for p in pods_to_delete(pods, [], 2, NOW)] == ["b", "a"]
