"""Restart policy, init container order and the pod phase, as Kubernetes decides them."""
import pytest

from kubelab.api.v1 import core_pb2
from services.kubelet.decisions import Observed, get_phase, next_init_step, should_restart


@pytest.mark.parametrize("policy,code,restart", [
    ("Always", 0, True), ("Always", 1, True), ("", 0, True),
    ("OnFailure", 0, False), ("OnFailure", 2, True), ("OnFailure", None, True),
    ("Never", 0, False), ("Never", 1, False),
])
def test_should_restart(policy, code, restart):
    assert should_restart(policy, code) is restart


def inits(*names, sidecar=()):
    out = []
    for n in names:
        c = core_pb2.Container(name=n)
        if n in sidecar:
            c.restart_policy = "Always"
        out.append(c)
    return out


def test_init_containers_run_one_at_a_time_in_order():
    specs = inits("a", "b")
    assert next_init_step(specs, {}, "Always").action == "start"
    assert next_init_step(specs, {}, "Always").name == "a"
    assert next_init_step(specs, {"a": Observed("a", 1, True)}, "Always").action == "wait"
    step = next_init_step(specs, {"a": Observed("a", 1, False, 0)}, "Always")
    assert (step.action, step.name) == ("start", "b")
    done = {"a": Observed("a", 1, False, 0), "b": Observed("b", 1, False, 0)}
    assert next_init_step(specs, done, "Always").action == "done"


def test_failed_init_container_restarts_unless_never():
    specs = inits("a")
    failed = {"a": Observed("a", 1, False, 1)}
    assert next_init_step(specs, failed, "Always").action == "restart"
    assert next_init_step(specs, failed, "OnFailure").action == "restart"
    assert next_init_step(specs, failed, "Never").action == "failed"


def test_sidecar_only_needs_to_run():
    specs = inits("proxy", "b", sidecar=("proxy",))
    assert next_init_step(specs, {}, "Always").name == "proxy"
    step = next_init_step(specs, {"proxy": Observed("proxy", 1, True)}, "Always")
    assert (step.action, step.name) == ("start", "b")
    step = next_init_step(specs, {"proxy": Observed("proxy", 1, False, 0)}, "Always")
    assert (step.action, step.name) == ("restart", "proxy")


def status(name, state, code=0, last_code=None):
    cs = core_pb2.ContainerStatus(name=name)
    if state == "running":
        cs.state.running.SetInParent()
    elif state == "terminated":
        cs.state.terminated.exit_code = code
    else:
        cs.state.waiting.reason = state
    if last_code is not None:
        cs.last_state.terminated.exit_code = last_code
    return cs


def spec(policy="Always", containers=("c",), init=()):
    return core_pb2.PodSpec(restart_policy=policy, containers=[core_pb2.Container(name=n) for n in containers],
                            init_containers=[core_pb2.Container(name=n) for n in init])


@pytest.mark.parametrize("policy,statuses,phase", [
    ("Always", [status("c", "ContainerCreating")], "Pending"),
    ("Always", [status("c", "running")], "Running"),
    ("Always", [status("c", "CrashLoopBackOff", last_code=1)], "Running"),
    ("Always", [status("c", "terminated", 0)], "Running"),
    ("OnFailure", [status("c", "terminated", 0)], "Succeeded"),
    ("OnFailure", [status("c", "CrashLoopBackOff", last_code=2)], "Running"),
    ("Never", [status("c", "terminated", 0)], "Succeeded"),
    ("Never", [status("c", "terminated", 3)], "Failed"),
    ("Always", [], "Pending"),
])
def test_phase_of_one_container(policy, statuses, phase):
    assert get_phase(spec(policy), [], statuses) == phase


def test_phase_with_two_containers_and_init():
    s = spec("Never", ("a", "b"))
    assert get_phase(s, [], [status("a", "running"), status("b", "terminated", 1)]) == "Running"
    assert get_phase(s, [], [status("a", "terminated", 0), status("b", "terminated", 1)]) == "Failed"
    s = spec("Always", ("a",), ("i",))
    assert get_phase(s, [status("i", "running")], [status("a", "PodInitializing")]) == "Pending"
    assert get_phase(s, [status("i", "terminated", 0)], [status("a", "running")]) == "Running"
    s = spec("Never", ("a",), ("i",))
    assert get_phase(s, [status("i", "terminated", 1)], [status("a", "PodInitializing")]) == "Failed"


def test_terminal_on_stop_when_deleted():
    s = spec("Always")
    assert get_phase(s, [], [status("c", "terminated", 143)], terminal_on_stop=True) == "Failed"
    assert get_phase(s, [], [status("c", "terminated", 0)], terminal_on_stop=True) == "Succeeded"
