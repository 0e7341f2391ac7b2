"""Probe decisions, as Kubernetes' prober worker makes them (pkg/kubelet/prober/worker.go). Pure.

A probe's result only changes after `successThreshold` successes or `failureThreshold` failures in a
row. Before the first change it is Failure for readiness (a pod is not Ready until it proves it),
Success for liveness, Unknown for startup. Readiness and liveness wait until the startup probe has
succeeded; a failed liveness or startup probe asks for a restart and the probe stays on hold until
the container has been replaced.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2

__all__ = ["Result", "Kind", "ProbeTiming", "timing_of", "ProbeTracker", "handler_of", "resolve_port",
           "PortError"]


class Result(enum.Enum):
    SUCCESS = "Success"
    FAILURE = "Failure"
    UNKNOWN = "Unknown"


class Kind(enum.Enum):
    READINESS = "Readiness"
    LIVENESS = "Liveness"
    STARTUP = "Startup"


_INITIAL = {Kind.READINESS: Result.FAILURE, Kind.LIVENESS: Result.SUCCESS, Kind.STARTUP: Result.UNKNOWN}


@dataclass(frozen=True)
class ProbeTiming:
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3


def timing_of(probe: core_pb2.Probe) -> ProbeTiming:
    """The probe's timings with Kubernetes' defaults (period 10 s, timeout 1 s, thresholds 1 and 3)."""
    def opt(name: str, default: int) -> int:
        value = getattr(probe, name) if probe.HasField(name) else 0
        return value if value > 0 else default
    return ProbeTiming(initial_delay=float(max(0, probe.initial_delay_seconds)),
                       period=float(opt("period_seconds", 10)), timeout=float(opt("timeout_seconds", 1)),
                       success_threshold=opt("success_threshold", 1),
                       failure_threshold=opt("failure_threshold", 3))


class ProbeTracker:
    """The result of one probe of one container instance, fed one observation at a time."""

    def __init__(self, kind: Kind, timing: ProbeTiming):
        self.kind, self.timing = kind, timing
        self.result = _INITIAL[kind]
        self.last_observed: Result | None = None
        self.run = 0
        self.on_hold = False
        self.last_output = ""

    def observe(self, result: Result, output: str = "") -> bool:
        """Count one probe outcome; True when the probe's result changed."""
        if self.on_hold:
            return False
        self.last_output = output
        if result == self.last_observed:
            self.run += 1
        else:
            self.last_observed, self.run = result, 1
        threshold = (self.timing.failure_threshold if result == Result.FAILURE
                     else self.timing.success_threshold)
        if self.run < threshold:
            return False
        changed = result != self.result
        self.result = result
        if result == Result.FAILURE and self.kind in (Kind.LIVENESS, Kind.STARTUP):
            self.on_hold, self.run = True, 0
        return changed

    @property
    def wants_restart(self) -> bool:
        return self.kind in (Kind.LIVENESS, Kind.STARTUP) and self.result == Result.FAILURE

    def should_probe(self, started: bool, seconds_running: float) -> bool:
        """Whether to run the probe now: after the initial delay, startup before the others."""
        if self.on_hold or seconds_running < self.timing.initial_delay:
            return False
        if self.kind == Kind.STARTUP:
            return not started
        return started


def handler_of(probe: core_pb2.Probe) -> str:
    """Which action the probe uses: exec, httpGet, tcpSocket, grpc, or '' for none."""
    for name, label in (("exec", "exec"), ("http_get", "httpGet"), ("tcp_socket", "tcpSocket"),
                        ("grpc", "grpc")):
        if probe.HasField(name):
            return label
    return ""


class PortError(ValueError):
    """A probe port that names no container port."""


def resolve_port(port, container: core_pb2.Container) -> int:
    """An IntOrString probe port (a google.protobuf.Value, an int or a str) as a number."""
    kind = port.WhichOneof("kind") if hasattr(port, "WhichOneof") else None
    value = (port.number_value if kind == "number_value" else port.string_value if kind == "string_value"
             else port)
    if isinstance(value, float):
        value = int(value)
    if isinstance(value, str):
        if value.isdigit():
            return int(value)
        for p in container.ports:
            if p.name == value:
                return p.container_port
        raise PortError(f"couldn't find port: {value} in {container.name}")
    if not isinstance(value, int) or not 0 < value < 65536:
        raise PortError(f"invalid port number: {value}")
    return value
