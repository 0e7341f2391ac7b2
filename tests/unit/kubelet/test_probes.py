"""Probe decisions: thresholds, initial results, startup gating, hold after a restart request."""
import pytest
from google.protobuf import struct_pb2

from kubelab.api.v1 import core_pb2
from services.kubelet.probes import (Kind, PortError, ProbeTiming, ProbeTracker, Result, handler_of, resolve_port,
                                     timing_of)

S, F = Result.SUCCESS, Result.FAILURE


def test_kubernetes_defaults():
    t = timing_of(core_pb2.Probe())
    assert t == ProbeTiming(initial_delay=0, period=10, timeout=1, success_threshold=1, failure_threshold=3)
    p = core_pb2.Probe(initial_delay_seconds=5, period_seconds=2, timeout_seconds=3, failure_threshold=1)
    assert timing_of(p) == ProbeTiming(5, 2, 3, 1, 1)


def test_initial_results():
    t = ProbeTiming()
    assert ProbeTracker(Kind.READINESS, t).result == F
    assert ProbeTracker(Kind.LIVENESS, t).result == S
    assert ProbeTracker(Kind.STARTUP, t).result == Result.UNKNOWN


def test_readiness_flips_after_thresholds():
    tr = ProbeTracker(Kind.READINESS, ProbeTiming(success_threshold=2, failure_threshold=3))
    assert [tr.observe(r) for r in (S, S)] == [False, True]
    assert tr.result == S
    assert [tr.observe(r) for r in (F, F, S, F, F, F)] == [False, False, False, False, False, True]
    assert tr.result == F and not tr.wants_restart


def test_liveness_failure_asks_for_restart_and_holds():
    tr = ProbeTracker(Kind.LIVENESS, ProbeTiming(failure_threshold=2))
    tr.observe(F, "boom")
    assert not tr.wants_restart
    assert tr.observe(F, "boom")
    assert tr.wants_restart and tr.on_hold and tr.last_output == "boom"
    assert not tr.observe(S)  # on hold until the container is replaced


def test_startup_gates_the_others():
    startup = ProbeTracker(Kind.STARTUP, ProbeTiming(initial_delay=2))
    ready = ProbeTracker(Kind.READINESS, ProbeTiming())
    assert not startup.should_probe(started=False, seconds_running=1)
    assert startup.should_probe(started=False, seconds_running=2)
    assert not startup.should_probe(started=True, seconds_running=3)
    assert not ready.should_probe(started=False, seconds_running=3)
    assert ready.should_probe(started=True, seconds_running=3)
    startup_fail = ProbeTracker(Kind.STARTUP, ProbeTiming(failure_threshold=1))
    startup_fail.observe(F)
    assert startup_fail.wants_restart


def test_handlers_and_ports():
    assert handler_of(core_pb2.Probe(exec=core_pb2.ExecAction(command=["true"]))) == "exec"
    assert handler_of(core_pb2.Probe()) == ""
    c = core_pb2.Container(name="web", ports=[core_pb2.ContainerPort(name="http", container_port=8080)])
    assert resolve_port(struct_pb2.Value(number_value=80), c) == 80
    assert resolve_port(struct_pb2.Value(string_value="http"), c) == 8080
    assert resolve_port(struct_pb2.Value(string_value="81"), c) == 81
    with pytest.raises(PortError, match="couldn't find port: grpc in web"):
        resolve_port(struct_pb2.Value(string_value="grpc"), c)
    with pytest.raises(PortError):
        resolve_port(struct_pb2.Value(number_value=70000), c)
