"""kubelab chaos's schedule: a pure function of its inputs, one fault at a time, inside the duration."""

from __future__ import annotations

from kubelab.observe.chaos import default_targets, format_step, new_schedule

TARGETS = ["scheduler", "statefulset", "node-1", "node-2"]


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another():
    a = new_schedule(7, 60, ["kill", "pause", "partition", "restart"], TARGETS)
    assert a == new_schedule(7, 60, ["restart", "kill", "pause", "partition"], list(reversed(TARGETS)))
    assert a != new_schedule(8, 60, ["kill", "pause", "partition", "restart"], TARGETS)


def test_faults_do_not_overlap_and_end_within_the_duration():
    steps = new_schedule(3, 90, ["kill", "pause", "partition", "restart"], TARGETS, hold=(3, 8), gap=(2, 5))
    assert len(steps) >= 5
    for before, after in zip(steps, steps[1:]):
        assert before.at + before.hold + 2 <= after.at + 0.1
    assert steps[-1].at + steps[-1].hold <= 90
    assert {s.fault for s in steps} <= {"kill", "pause", "partition", "restart"}
    assert all(s.hold == 0 for s in steps if s.fault == "restart")
    assert all(3 <= s.hold <= 8 for s in steps if s.fault != "restart")


def test_nothing_to_do_gives_an_empty_schedule_and_steps_read_as_commands():
    assert new_schedule(1, 60, [], TARGETS) == [] and new_schedule(1, 1, ["kill"], TARGETS) == []
    step = new_schedule(1, 60, ["kill"], ["scheduler"])[0]
    assert format_step(step).endswith(f"kill scheduler, start after {step.hold:g}s")
    assert default_targets(["redis", "proxy", "apiserver", "node-1"]) == ["apiserver", "node-1"]
