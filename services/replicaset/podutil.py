"""Pod and ownerReference predicates the ReplicaSet and Deployment controllers share (k/k
`pkg/api/v1/pod` IsPodReady/IsPodAvailable, `pkg/controller` IsPodActive, metav1 NewControllerRef).

Pure: times are epoch seconds passed in; nothing here reads a clock or the API.
"""
from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from kubelab.api.v1 import core_pb2
from kubelab.meta import copy_of, is_terminating, new_controller_ref

__all__ = [
    "seconds", "set_time", "is_active", "max_restarts", "with_controller", "without_owner", "deletion_cost",
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


def with_controller(obj: Message, owner: Message) -> Message:
    """A copy of an orphan with `owner` as its controller."""
    out = copy_of(obj)
    out.metadata.owner_references.append(new_controller_ref(owner))
    return out


def without_owner(obj: Message, owner_uids: Iterable[str]) -> Message:
    """A copy without the ownerReferences to `owner_uids`."""
    drop = set(owner_uids)
    out = copy_of(obj)
    keep = [r for r in out.metadata.owner_references if r.uid not in drop]
    del out.metadata.owner_references[:]
    out.metadata.owner_references.extend(keep)
    return out
