"""kubelab/podutil.py (pkg/api/v1/pod/util.go): conditions, Ready, available, terminal."""
import pytest

from kubelab.api.v1 import core_pb2
from kubelab.podutil import (get_pod_condition, is_pod_available, is_pod_ready, is_pod_terminal, pod_ready_since,
                             ready_condition)

NOW = 1_000_000.0


def pod(ready: str | None = "True", since: float | None = NOW - 30, phase: str = "Running") -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.status.phase = phase
    p.status.conditions.add(type="PodScheduled", status="True")
    if ready is not None:
        cond = p.status.conditions.add(type="Ready", status=ready)
        if since is not None:
            cond.last_transition_time.FromSeconds(int(since))
    return p


def test_conditions_by_type():
    p = pod()
    assert get_pod_condition(p, "PodScheduled").status == "True"
    assert get_pod_condition(p, "ContainersReady") is None
    assert ready_condition(p).type == "Ready"


@pytest.mark.parametrize("ready, want", [("True", True), ("False", False), ("Unknown", False), (None, False)])
def test_is_pod_ready_whatever_the_phase(ready, want):
    assert is_pod_ready(pod(ready, phase="Pending")) is want


def test_ready_since():
    assert pod_ready_since(pod()) == NOW - 30
    assert pod_ready_since(pod(since=None)) == 0.0  # unknown transition time
    assert pod_ready_since(pod("False")) is None


@pytest.mark.parametrize("p, min_ready, want", [
    (pod(), 0, True),
    (pod(), 10, True),       # ready for 30s > 10s
    (pod(), 30, False),      # exactly minReadySeconds is not yet
    (pod(), 60, False),
    (pod(since=None), 0, True),
    (pod(since=None), 5, False),  # unknown since when: not available with minReadySeconds
    (pod("False"), 0, False),
])
def test_is_pod_available(p, min_ready, want):
    assert is_pod_available(p, min_ready, NOW) is want


def test_is_pod_terminal():
    assert is_pod_terminal(pod(phase="Succeeded")) and is_pod_terminal(pod(phase="Failed"))
    assert not is_pod_terminal(pod(phase="Running"))
