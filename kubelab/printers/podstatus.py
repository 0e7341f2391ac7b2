"""A pod's READY, STATUS and RESTARTS columns, computed as printPod does (k/k pkg/printers/internalversion/
printers.go).

STATUS is not the phase: it is the most telling container state (ContainerCreating,
CrashLoopBackOff, Completed, Error, ...), `Init:1/2` while init containers run, `Terminating`
once deletion started, `Unknown` for a pod of an unreachable node being deleted.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from kubelab.printers.format import human_duration, timestamp_seconds

__all__ = ["PodSummary", "summarize_pod", "is_restartable_init_container"]

NODE_UNREACHABLE_REASON = "NodeLost"


@dataclass(frozen=True)
class PodSummary:
    ready: str  # "1/2"
    status: str  # "Running", "ContainerCreating", "Init:0/1", ...
    restarts: str  # "0", "3 (12s ago)"


def is_restartable_init_container(container: Message | None) -> bool:
    """A sidecar: an init container with restartPolicy Always."""
    return container is not None and container.HasField("restart_policy") and container.restart_policy == "Always"


def _has(state_parent: Message, field: str) -> bool:
    return state_parent.HasField(field)


def _terminated_reason(term: Message, prefix: str = "") -> str:
    if term.reason:
        return prefix + term.reason
    if term.signal:
        return f"{prefix}Signal:{term.signal}"
    return f"{prefix}ExitCode:{term.exit_code}"


def _condition_true(pod: Message, ctype: str) -> bool:
    return any(c.type == ctype and c.status == "True" for c in pod.status.conditions)


def _last_finished(status: Message) -> float | None:
    if status.HasField("last_state") and status.last_state.HasField("terminated"):
        return timestamp_seconds(status.last_state.terminated, "finished_at")
    return None


def _init_containers(pod: Message, counts: dict) -> tuple[str | None, bool]:
    """Walk the init container statuses; returns (reason or None, initializing)."""
    specs = {c.name: c for c in pod.spec.init_containers}
    for i, cs in enumerate(pod.status.init_container_statuses):
        sidecar = is_restartable_init_container(specs.get(cs.name))
        counts["restarts"] += cs.restart_count
        counts["last"] = _later(counts["last"], _last_finished(cs))
        if sidecar:
            counts["sidecar_restarts"] += cs.restart_count
            counts["sidecar_last"] = _later(counts["sidecar_last"], _last_finished(cs))
        state = cs.state
        if _has(state, "terminated") and state.terminated.exit_code == 0:
            continue
        if sidecar and cs.HasField("started") and cs.started:
            if cs.ready:
                counts["ready"] += 1
            continue
        if _has(state, "terminated"):
            return _terminated_reason(state.terminated, "Init:"), True
        if _has(state, "waiting") and state.waiting.reason and state.waiting.reason != "PodInitializing":
            return "Init:" + state.waiting.reason, True
        return f"Init:{i}/{len(pod.spec.init_containers)}", True
    return None, False


def _later(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def summarize_pod(pod: Message, now: float) -> PodSummary:
    status = pod.status
    total = len(pod.spec.containers) + sum(
        1 for c in pod.spec.init_containers if is_restartable_init_container(c))
    reason = status.reason or status.phase
    if any(c.type == "PodScheduled" and c.reason == "SchedulingGated" for c in status.conditions):
        reason = "SchedulingGated"
    counts = {"restarts": 0, "sidecar_restarts": 0, "ready": 0, "last": None, "sidecar_last": None}

    init_reason, initializing = _init_containers(pod, counts)
    if init_reason is not None:
        reason = init_reason
    restarts, last = counts["restarts"], counts["last"]
    if not initializing or _condition_true(pod, "Initialized"):
        restarts, last = counts["sidecar_restarts"], counts["sidecar_last"]
        has_running = False
        for cs in reversed(status.container_statuses):
            restarts += cs.restart_count
            last = _later(last, _last_finished(cs))
            state = cs.state
            if _has(state, "waiting") and state.waiting.reason:
                reason = state.waiting.reason
            elif _has(state, "terminated"):
                reason = _terminated_reason(state.terminated)
            elif cs.ready and _has(state, "running"):
                has_running = True
                counts["ready"] += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod, "Ready") else "NotReady"

    deleting = pod.metadata.HasField("deletion_timestamp")
    if deleting and status.reason == NODE_UNREACHABLE_REASON:
        reason = "Unknown"
    elif deleting and status.phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    restarts_str = str(restarts)
    if restarts and last is not None:
        restarts_str = f"{restarts} ({human_duration(now - last)} ago)"
    return PodSummary(f"{counts['ready']}/{total}", reason, restarts_str)
