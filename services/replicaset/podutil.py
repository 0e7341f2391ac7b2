"""Pod helpers only the ReplicaSet and Deployment controllers need (k/k `pkg/controller` IsPodActive,
ranking inputs, timestamps). Readiness and availability are `kubelab.podutil`'s; ownerReferences
`kubelab.meta` and `kubelab.controller_ref_manager`.

Pure: times are epoch seconds passed in; nothing here reads a clock or the API.
"""
from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp

from kubelab.api.v1 import core_pb2
from kubelab.meta import is_terminating

__all__ = [
    "seconds", "set_time", "is_active", "max_restarts", "deletion_cost",
    "DELETION_COST_ANNOTATION",
]

DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"


def seconds(ts: Timestamp) -> float:
    """A timestamp as epoch seconds; 0.0 when unset (Go's zero time)."""
    return ts.seconds + ts.nanos / 1e9


def set_time(ts: Timestamp, now: float) -> None:
    """metav1.Time: second precision."""
    ts.FromSeconds(int(now))


def is_active(pod: core_pb2.Pod) -> bool:
    """Not Succeeded, not Failed and not being deleted (controller.IsPodActive)."""
    return pod.status.phase not in ("Succeeded", "Failed") and not is_terminating(pod)


def max_restarts(pod: core_pb2.Pod) -> tuple[int, int]:
    """The highest restart count of the regular containers, then of the sidecars (restartable init containers)."""
    regular = max((c.restart_count for c in pod.status.container_statuses), default=0)
    sidecars = {c.name for c in pod.spec.init_containers if c.HasField("restart_policy") and c.restart_policy == "Always"}
    sidecar = max((c.restart_count for c in pod.status.init_container_statuses if c.name in sidecars), default=0)
    return regular, sidecar


def deletion_cost(pod: core_pb2.Pod) -> int:
    """The pod-deletion-cost annotation; 0 when absent or not an int32."""
    try:
        value = int(pod.metadata.annotations.get(DELETION_COST_ANNOTATION, "0"))
    except ValueError:
        return 0
    return value if -(2 ** 31) <= value < 2 ** 31 else 0
