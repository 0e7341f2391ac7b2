"""What a pod worker should do next, from what it observes. Pure (Kubernetes' computePodActions, in part).

- `should_restart`: restartPolicy Always restarts every exit, OnFailure only non-zero exits, Never none.
- `next_init_step`: init containers run one at a time, in order, each to success; a failed one is
  restarted (with back-off) unless the policy is Never, which fails the pod. Restartable init
  containers (sidecars, `restartPolicy: Always`) only need to be running for the next to start.
- `get_phase`: the pod phase from its containers, as kubelet_pods.go getPhase computes it.
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.api.v1 import core_pb2

__all__ = ["Observed", "should_restart", "next_init_step", "InitStep", "get_phase", "is_sidecar"]


@dataclass(frozen=True)
class Observed:
    """One container as the runtime has it."""
    name: str
    attempts: int = 0
    """Runs started so far (0: never started)."""
    running: bool = False
    exit_code: int | None = None
    """Exit code of the latest run, once it ended."""


def should_restart(policy: str, exit_code: int | None) -> bool:
    policy = policy or "Always"
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return exit_code != 0
    return False


def is_sidecar(c: core_pb2.Container) -> bool:
    return c.HasField("restart_policy") and c.restart_policy == "Always"


@dataclass(frozen=True)
class InitStep:
    action: str
    """start (first run), restart (after a failure or a sidecar's exit), wait (one is running), failed
    (a failure the policy does not restart: the pod fails), done (all initialized)."""
    name: str = ""


def next_init_step(specs: list[core_pb2.Container], observed: dict[str, Observed], policy: str) -> InitStep:
    for c in specs:
        obs = observed.get(c.name, Observed(c.name))
        if is_sidecar(c):
            if obs.running:
                continue
            return InitStep("start" if obs.attempts == 0 else "restart", c.name)
        if obs.running:
            return InitStep("wait", c.name)
        if obs.attempts == 0:
            return InitStep("start", c.name)
        if obs.exit_code == 0:
            continue
        if (policy or "Always") == "Never":
            return InitStep("failed", c.name)
        return InitStep("restart", c.name)
    return InitStep("done")


def _state(cs: core_pb2.ContainerStatus) -> str:
    for name in ("running", "terminated", "waiting"):
        if cs.state.HasField(name):
            return name
    return ""


def get_phase(spec: core_pb2.PodSpec, init_statuses: list[core_pb2.ContainerStatus],
              statuses: list[core_pb2.ContainerStatus], terminal_on_stop: bool = False) -> str:
    """Pending, Running, Succeeded or Failed. terminal_on_stop: the pod is being deleted and every
    container has stopped, so it ends Succeeded (all exited 0) or Failed, whatever its restartPolicy."""
    policy = spec.restart_policy or "Always"
    by_name = {s.name: s for s in init_statuses}
    pending_init = failed_init = 0
    for c in spec.init_containers:
        cs = by_name.get(c.name)
        state = _state(cs) if cs else ""
        if is_sidecar(c):
            if state != "running" or not (cs.HasField("started") and cs.started):
                pending_init += 1
            continue
        if state == "terminated":
            if cs.state.terminated.exit_code != 0:
                failed_init += 1
        elif state == "waiting" and cs.last_state.HasField("terminated"):
            if cs.last_state.terminated.exit_code != 0:
                failed_init += 1
        else:
            pending_init += 1
    by_name = {s.name: s for s in statuses}
    running = waiting = stopped = succeeded = unknown = 0
    for c in spec.containers:
        cs = by_name.get(c.name)
        state = _state(cs) if cs else ""
        if state == "running":
            running += 1
        elif state == "terminated":
            stopped += 1
            succeeded += cs.state.terminated.exit_code == 0
        elif state == "waiting":
            if cs.last_state.HasField("terminated"):
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    if failed_init and policy == "Never":
        return "Failed"
    if pending_init or failed_init or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if terminal_on_stop:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"
