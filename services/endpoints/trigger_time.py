"""The `endpoints.kubernetes.io/last-change-trigger-time` annotation (k/k
`pkg/controller/util/endpoint/trigger_time_tracker.go`): when the earliest change not yet written
happened, so that a watcher can measure how long endpoints lag behind pods.

A pod's trigger time is its Ready condition's lastTransitionTime; the Service's is its creation time.
Each sync returns the earliest of the times that moved since the previous sync of that Service (the
creation time for a Service seen for the first time), or None when nothing moved. The memory is the
process's own, as upstream: after a restart every Service is new again.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp

from kubelab.api.v1 import core_pb2
from kubelab.podutil import ready_condition

__all__ = ["TriggerTimeTracker", "Time"]

Time = tuple[int, int]
"""(seconds, nanos) since the epoch; (0, 0) is Go's zero time."""
ZERO: Time = (0, 0)


def _time(ts: Timestamp) -> Time:
    return (ts.seconds, ts.nanos)


def _pod_trigger_time(pod: core_pb2.Pod) -> Time:
    cond = ready_condition(pod)
    return _time(cond.last_transition_time) if cond is not None else ZERO


@dataclass
class _State:
    pods: dict[str, Time] = field(default_factory=dict)
    service: Time = ZERO


class TriggerTimeTracker:
    def __init__(self) -> None:
        self._states: dict[str, _State] = {}

    def compute(self, key: str, svc: core_pb2.Service, pods: Iterable[core_pb2.Pod]) -> Time | None:
        """ComputeEndpointLastChangeTriggerTime for the Service `key` and its selected pods."""
        state = self._states.get(key)
        known = state is not None
        state = state or _State()
        changed: list[Time] = []
        pod_times = {}
        for pod in pods:
            t = _pod_trigger_time(pod)
            if t != ZERO:
                pod_times[pod.metadata.name] = t
                if t > state.pods.get(pod.metadata.name, ZERO):
                    changed.append(t)
        svc_time = _time(svc.metadata.creation_timestamp)
        if svc_time > state.service:
            changed.append(svc_time)
        self._states[key] = _State(pod_times, svc_time)
        if not known:
            return svc_time if svc_time != ZERO else None
        return min(changed) if changed else None

    def forget(self, key: str) -> None:
        self._states.pop(key, None)
