"""The ReplicaSet controller's decisions over a snapshot (k/k `replica_set.go`: manageReplicas,
slowStartBatch, calculateStatus; `replica_set_utils.go`). Pure: no I/O, the clock passed in.

- Too few active pods: create the difference (at most `BURST_REPLICAS` per sync), in slow-start batches
  1, 2, 4, ... so that a template the API rejects fails once, not a thousand times.
- Too many: delete the difference, chosen by `ranking.pods_to_delete`.
- Status counts active pods: replicas, fullyLabeledReplicas (labels ⊇ template labels), readyReplicas,
  availableReplicas (ready for minReadySeconds); a failed create/delete shows as a ReplicaFailure condition.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.podutil import is_pod_available, is_pod_ready, pod_ready_since
from services.replicaset.podutil import set_time
from services.replicaset.ranking import pods_to_delete

__all__ = ["BURST_REPLICAS", "SLOW_START_INITIAL_BATCH", "ReplicasPlan", "plan_replicas", "slow_start_batches",
           "calculate_status", "set_condition", "remove_condition", "get_condition", "min_ready_requeue",
           "desired_replicas"]

BURST_REPLICAS = 500
"""kube-controller-manager's burstReplicas: creates or deletes per sync."""
SLOW_START_INITIAL_BATCH = 1
REPLICA_FAILURE = "ReplicaFailure"


@dataclass
class ReplicasPlan:
    create: int = 0
    delete: list[core_pb2.Pod] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.create and not self.delete


def desired_replicas(rs: apps_pb2.ReplicaSet) -> int:
    return rs.spec.replicas if rs.spec.HasField("replicas") else 1


def plan_replicas(rs: apps_pb2.ReplicaSet, active: Sequence[core_pb2.Pod], related: Sequence[core_pb2.Pod],
                  now: float, burst: int = BURST_REPLICAS) -> ReplicasPlan:
    diff = len(active) - desired_replicas(rs)
    if diff < 0:
        return ReplicasPlan(create=min(-diff, burst))
    if diff > 0:
        return ReplicasPlan(delete=pods_to_delete(active, related, min(diff, burst), now))
    return ReplicasPlan()


def slow_start_batches(count: int, initial: int = SLOW_START_INITIAL_BATCH) -> list[int]:
    """Batch sizes 1, 2, 4, ... adding up to `count`."""
    batches, size, remaining = [], min(count, initial), count
    while size > 0:
        batches.append(size)
        remaining -= size
        size = min(2 * size, remaining)
    return batches


def get_condition(status: apps_pb2.ReplicaSetStatus, type_: str) -> apps_pb2.ReplicaSetCondition | None:
    return next((c for c in status.conditions if c.type == type_), None)


def set_condition(status: apps_pb2.ReplicaSetStatus, cond: apps_pb2.ReplicaSetCondition) -> None:
    current = get_condition(status, cond.type)
    if current is not None and current.status == cond.status and current.reason == cond.reason:
        return
    remove_condition(status, cond.type)
    status.conditions.append(cond)


def remove_condition(status: apps_pb2.ReplicaSetStatus, type_: str) -> None:
    keep = [c for c in status.conditions if c.type != type_]
    del status.conditions[:]
    status.conditions.extend(keep)


def calculate_status(rs: apps_pb2.ReplicaSet, active: Sequence[core_pb2.Pod], manage_error: str | None,
                     now: float) -> apps_pb2.ReplicaSetStatus:
    """The status for these active pods; observedGeneration is the generation synced."""
    status = apps_pb2.ReplicaSetStatus()
    status.CopyFrom(rs.status)
    template = rs.spec.template.metadata.labels
    labeled = ready = available = 0
    for pod in active:
        labels = pod.metadata.labels
        if all(labels.get(k) == v for k, v in template.items()):
            labeled += 1
        if is_pod_ready(pod):
            ready += 1
            if is_pod_available(pod, rs.spec.min_ready_seconds, now):
                available += 1
    failure = get_condition(rs.status, REPLICA_FAILURE)
    if manage_error is not None and failure is None:
        diff = len(active) - desired_replicas(rs)
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        cond = apps_pb2.ReplicaSetCondition(type=REPLICA_FAILURE, status="True", reason=reason, message=manage_error)
        set_time(cond.last_transition_time, now)
        set_condition(status, cond)
    elif manage_error is None and failure is not None:
        remove_condition(status, REPLICA_FAILURE)
    status.replicas, status.fully_labeled_replicas = len(active), labeled
    status.ready_replicas, status.available_replicas = ready, available
    status.observed_generation = rs.metadata.generation
    return status


def min_ready_requeue(rs: apps_pb2.ReplicaSet, status: apps_pb2.ReplicaSetStatus, active: Sequence[core_pb2.Pod],
                      now: float) -> float | None:
    """Seconds until the next ready pod becomes available, when some ready pods are not available yet.

    Kubernetes requeues after minReadySeconds when all pods are ready but not all available; this also
    covers a partial rollout (a Deployment waits on each new pod's availability).
    """
    mrs = rs.spec.min_ready_seconds
    if mrs <= 0 or status.ready_replicas == status.available_replicas:
        return None
    waits = [pod_ready_since(p) + mrs - now for p in active
             if is_pod_ready(p) and not is_pod_available(p, mrs, now)]
    return max(0.05, min(waits, default=float(mrs)) + 0.05)
