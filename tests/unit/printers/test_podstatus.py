"""READY, STATUS and RESTARTS of a pod as kubectl's printPod computes them."""

import pytest

from kubelab.printers.podstatus import summarize_pod
from tests.unit.cli.helpers import NOW, ago, pod


def cs(name="app", ready=False, restarts=0, **state):
    return {"name": name, "ready": ready, "restartCount": restarts, "image": "busybox", "state": state}


def summary(status=None, spec=None, meta=None):
    s = summarize_pod(pod(status, spec, meta), NOW)
    return s.ready, s.status, s.restarts


def test_pending_without_container_statuses():
    assert summary({"phase": "Pending"}) == ("0/1", "Pending", "0")


def test_container_creating_comes_from_the_waiting_reason():
    st = {"phase": "Pending", "containerStatuses": [cs(waiting={"reason": "ContainerCreating"})]}
    assert summary(st) == ("0/1", "ContainerCreating", "0")


def test_running_and_ready():
    st = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
          "containerStatuses": [cs(ready=True, running={"startedAt": ago(20)})]}
    assert summary(st) == ("1/1", "Running", "0")


def test_running_but_not_ready_counts_zero_ready():
    st = {"phase": "Running", "containerStatuses": [cs(ready=False, running={"startedAt": ago(20)})]}
    assert summary(st) == ("0/1", "Running", "0")


def test_crash_loop_back_off_with_restarts_and_last_restart_age():
    status = cs(restarts=3, waiting={"reason": "CrashLoopBackOff", "message": "back-off 40s"})
    status["lastState"] = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(12)}}
    st = {"phase": "Running", "containerStatuses": [status]}
    assert summary(st) == ("0/1", "CrashLoopBackOff", "3 (12s ago)")


def test_completed_and_error_terminations():
    done = {"phase": "Succeeded", "containerStatuses": [cs(terminated={"exitCode": 0, "reason": "Completed"})]}
    assert summary(done)[1] == "Completed"
    failed = {"phase": "Failed", "containerStatuses": [cs(terminated={"exitCode": 2, "reason": "Error"})]}
    assert summary(failed)[1] == "Error"
    no_reason = {"phase": "Failed", "containerStatuses": [cs(terminated={"exitCode": 137})]}
    assert summary(no_reason)[1] == "ExitCode:137"
    signalled = {"phase": "Failed", "containerStatuses": [cs(terminated={"exitCode": 0, "signal": 9})]}
    assert summary(signalled)[1] == "Signal:9"


def test_completed_with_a_running_container_is_running_or_not_ready():
    spec = {"containers": [{"name": "a", "image": "i"}, {"name": "b", "image": "i"}]}
    statuses = [cs("a", ready=True, running={}), cs("b", terminated={"exitCode": 0, "reason": "Completed"})]
    st = {"phase": "Running", "containerStatuses": statuses, "conditions": [{"type": "Ready", "status": "True"}]}
    assert summary(st, spec) == ("1/2", "Running", "0")
    st["conditions"] = []
    assert summary(st, spec)[1] == "NotReady"


@pytest.mark.parametrize("init_state, want", [
    ({"running": {}}, "Init:0/2"),
    ({"waiting": {"reason": "PodInitializing"}}, "Init:0/2"),
    ({"waiting": {"reason": "ImagePullBackOff"}}, "Init:ImagePullBackOff"),
    ({"terminated": {"exitCode": 1, "reason": "Error"}}, "Init:Error"),
    ({"terminated": {"exitCode": 3}}, "Init:ExitCode:3"),
])
def test_init_containers(init_state, want):
    spec = {"initContainers": [{"name": "i1", "image": "i"}, {"name": "i2", "image": "i"}]}
    st = {"phase": "Pending", "initContainerStatuses": [cs("i1", **init_state), cs("i2", waiting={})],
          "containerStatuses": [cs(waiting={"reason": "PodInitializing"})]}
    assert summary(st, spec)[1] == want


def test_second_init_container_running():
    spec = {"initContainers": [{"name": "i1", "image": "i"}, {"name": "i2", "image": "i"}]}
    st = {"phase": "Pending", "initContainerStatuses": [cs("i1", terminated={"exitCode": 0}), cs("i2", running={})]}
    assert summary(st, spec)[1] == "Init:1/2"


def test_sidecar_counts_in_ready_and_total():
    spec = {"initContainers": [{"name": "side", "image": "i", "restartPolicy": "Always"}]}
    st = {"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
          "initContainerStatuses": [dict(cs("side", ready=True, running={}), started=True)],
          "containerStatuses": [cs(ready=True, running={})]}
    assert summary(st, spec) == ("2/2", "Running", "0")


def test_terminating_and_unknown():
    running = {"phase": "Running", "containerStatuses": [cs(ready=True, running={})]}
    assert summary(running, meta={"deletionTimestamp": ago(-30)})[1] == "Terminating"
    lost = dict(running, reason="NodeLost")
    assert summary(lost, meta={"deletionTimestamp": ago(-30)})[1] == "Unknown"
    finished = {"phase": "Succeeded", "containerStatuses": [cs(terminated={"exitCode": 0, "reason": "Completed"})]}
    assert summary(finished, meta={"deletionTimestamp": ago(-30)})[1] == "Completed"


def test_scheduling_gated_and_status_reason():
    gated = {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                 "reason": "SchedulingGated"}]}
    assert summary(gated)[1] == "SchedulingGated"
    evicted = {"phase": "Failed", "reason": "Evicted"}
    assert summary(evicted)[1] == "Evicted"
