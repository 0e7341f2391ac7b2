"""StatefulSet status from pods, pure (k/k `computeReplicaStatus`, `completeRollingUpdate`,
`inconsistentStatus`), and when to look again for minReadySeconds."""
from __future__ import annotations

from collections.abc import Iterable

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.meta import is_terminating
from kubelab.podutil import is_pod_available, pod_ready_since
from services.statefulset.utils import is_created, is_running_and_ready, pod_revision, replicas_of

__all__ = ["replica_status", "complete_rolling_update", "inconsistent_status", "requeue_after"]

_COUNTS = ("replicas", "ready_replicas", "available_replicas", "current_replicas", "updated_replicas")


def replica_status(status: apps_pb2.StatefulSetStatus, pods: Iterable[core_pb2.Pod], min_ready_seconds: int,
                   now: float, current_revision: str, update_revision: str) -> None:
    """Fill the counts: created pods (terminating ones too), Running+Ready, available for minReadySeconds,
    and created, non-terminating pods at the current / update revision."""
    for name in _COUNTS:
        setattr(status, name, 0)
    for pod in pods:
        created = is_created(pod)
        status.replicas += created
        if is_running_and_ready(pod):
            status.ready_replicas += 1
            status.available_replicas += is_pod_available(pod, min_ready_seconds, now)
        if created and not is_terminating(pod):
            status.current_replicas += pod_revision(pod) == current_revision
            status.updated_replicas += pod_revision(pod) == update_revision


def complete_rolling_update(sts: apps_pb2.StatefulSet, status: apps_pb2.StatefulSetStatus) -> None:
    """Every replica updated and ready: the update revision becomes the current one."""
    want = replicas_of(sts)
    if (sts.spec.update_strategy.type == "RollingUpdate" and status.updated_replicas == want
            and status.ready_replicas == want and status.replicas == want):
        status.current_replicas = status.updated_replicas
        status.current_revision = status.update_revision


def inconsistent_status(sts: apps_pb2.StatefulSet, status: apps_pb2.StatefulSetStatus) -> bool:
    """Whether the status must be written: a newer generation observed or any field differs."""
    old = sts.status
    return (status.observed_generation > old.observed_generation
            or any(getattr(status, f) != getattr(old, f) for f in _COUNTS)
            or status.current_revision != old.current_revision or status.update_revision != old.update_revision
            or status.collision_count != old.collision_count or not old.HasField("collision_count"))


def requeue_after(sts: apps_pb2.StatefulSet, status: apps_pb2.StatefulSetStatus, pods: Iterable[core_pb2.Pod],
                  now: float) -> float | None:
    """With minReadySeconds, look again when the next Ready pod becomes available (Kubernetes requeues
    after minReadySeconds while availableReplicas != replicas)."""
    min_ready = sts.spec.min_ready_seconds
    if min_ready <= 0 or status.available_replicas == replicas_of(sts):
        return None
    waits = [since + min_ready - now for pod in pods
             if is_running_and_ready(pod) and (since := pod_ready_since(pod)) and
             not is_pod_available(pod, min_ready, now)]
    return max(min(waits), 0.0) + 0.05 if waits else float(min_ready)
