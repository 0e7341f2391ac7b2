"""PodScheduled=False as handleSchedulingFailure writes it."""
from services.scheduler.status import pod_scheduled_conditions, truncate_message
from tests.unit.scheduler.builders import pod


def test_condition_added_then_only_changed_when_something_changes():
    p = pod("p")
    conds = pod_scheduled_conditions(p, "Unschedulable", "0/1 nodes are available: 1 Insufficient cpu.", 0)
    assert conds == [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                      "message": "0/1 nodes are available: 1 Insufficient cpu.",
                      "lastTransitionTime": "1970-01-01T00:00:00Z"}]
    c = p.status.conditions.add(type="PodScheduled", status="False", reason="Unschedulable",
                                message="0/1 nodes are available: 1 Insufficient cpu.")
    c.last_transition_time.FromSeconds(5)
    assert pod_scheduled_conditions(p, "Unschedulable", "0/1 nodes are available: 1 Insufficient cpu.", 99) is None
    changed = pod_scheduled_conditions(p, "Unschedulable", "other", 99)
    assert changed[0]["message"] == "other" and changed[0]["lastTransitionTime"] == "1970-01-01T00:00:05Z"


def test_long_messages_are_truncated_like_events():
    assert len(truncate_message("x" * 2000)) == 1024 and truncate_message("x" * 2000).endswith(" ...")
