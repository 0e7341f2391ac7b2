"""Deployment status and conditions (k/k `deployment/sync.go: calculateStatus`, `deployment_util.go`
condition helpers, DeploymentComplete/Progressing/TimedOut). Pure: times are epoch seconds passed in.

Progressing (reason: message):
  NewReplicaSetCreated    Created new replica set "web-7d4b9c5f86"
  FoundNewReplicaSet      Found new replica set "web-7d4b9c5f86"
  ReplicaSetUpdated       ReplicaSet "web-7d4b9c5f86" is progressing.
  NewReplicaSetAvailable  ReplicaSet "web-7d4b9c5f86" has successfully progressed.
  ProgressDeadlineExceeded  ReplicaSet "web-7d4b9c5f86" has timed out progressing.   (status False)
  ReplicaSetCreateError   Failed to create new replica set "web-...": <error>          (status False)
  DeploymentPaused / DeploymentResumed   Deployment is paused / Deployment is resumed (status Unknown)
Available:
  MinimumReplicasAvailable    Deployment has minimum availability.
  MinimumReplicasUnavailable  Deployment does not have minimum availability.       (status False)
"""
from __future__ import annotations

from collections.abc import Sequence

from kubelab.api.v1 import apps_pb2
from services.replicaset import deployment_util as du
from services.replicaset.podutil import seconds, set_time

__all__ = [
    "PROGRESSING", "AVAILABLE", "REPLICA_FAILURE", "NEW_RS_CREATED", "FOUND_NEW_RS", "RS_UPDATED",
    "NEW_RS_AVAILABLE", "TIMED_OUT", "FAILED_RS_CREATE", "PAUSED", "RESUMED", "MIN_AVAILABLE",
    "MIN_UNAVAILABLE", "has_progress_deadline", "new_condition", "get_condition", "set_condition",
    "remove_condition", "calculate_status", "deployment_complete", "deployment_progressing",
    "deployment_timed_out", "replica_failures",
]

PROGRESSING, AVAILABLE, REPLICA_FAILURE = "Progressing", "Available", "ReplicaFailure"
NEW_RS_CREATED, FOUND_NEW_RS, RS_UPDATED = "NewReplicaSetCreated", "FoundNewReplicaSet", "ReplicaSetUpdated"
NEW_RS_AVAILABLE, TIMED_OUT, FAILED_RS_CREATE = "NewReplicaSetAvailable", "ProgressDeadlineExceeded", \
    "ReplicaSetCreateError"
PAUSED, RESUMED = "DeploymentPaused", "DeploymentResumed"
MIN_AVAILABLE, MIN_UNAVAILABLE = "MinimumReplicasAvailable", "MinimumReplicasUnavailable"

Status = apps_pb2.DeploymentStatus
Condition = apps_pb2.DeploymentCondition


def has_progress_deadline(d: apps_pb2.Deployment) -> bool:
    return d.spec.HasField("progress_deadline_seconds") and d.spec.progress_deadline_seconds != du.MAX_INT32


def new_condition(type_: str, status: str, reason: str, message: str, now: float) -> Condition:
    cond = Condition(type=type_, status=status, reason=reason, message=message)
    set_time(cond.last_update_time, now)
    set_time(cond.last_transition_time, now)
    return cond


def get_condition(status: Status, type_: str) -> Condition | None:
    return next((c for c in status.conditions if c.type == type_), None)


def set_condition(status: Status, cond: Condition) -> None:
    """Replace the condition of the same type unless status and reason are unchanged; the transition
    time only moves when the status does."""
    current = get_condition(status, cond.type)
    if current is not None and current.status == cond.status and current.reason == cond.reason:
        return
    if current is not None and current.status == cond.status:
        cond.last_transition_time.CopyFrom(current.last_transition_time)
    remove_condition(status, cond.type)
    status.conditions.append(cond)


def remove_condition(status: Status, type_: str) -> None:
    keep = [c for c in status.conditions if c.type != type_]
    del status.conditions[:]
    status.conditions.extend(keep)


def calculate_status(all_rss: Sequence, new_rs, d: apps_pb2.Deployment, now: float) -> Status:
    """Counts from the sets' statuses; conditions carried over, Available recomputed."""
    available = du.available_replicas(all_rss)
    total = du.total_replicas(all_rss)
    status = Status(observed_generation=d.metadata.generation, replicas=du.actual_replicas(all_rss),
                    updated_replicas=du.actual_replicas([new_rs]), ready_replicas=du.ready_replicas(all_rss),
                    available_replicas=available, unavailable_replicas=max(0, total - available))
    if d.status.HasField("collision_count"):
        status.collision_count = d.status.collision_count
    status.conditions.extend(d.status.conditions)
    if available >= du.replicas_of(d) - du.max_unavailable(d):
        set_condition(status, new_condition(AVAILABLE, "True", MIN_AVAILABLE, "Deployment has minimum availability.",
                                            now))
    else:
        set_condition(status, new_condition(AVAILABLE, "False", MIN_UNAVAILABLE,
                                            "Deployment does not have minimum availability.", now))
    return status


def deployment_complete(d: apps_pb2.Deployment, status: Status) -> bool:
    n = du.replicas_of(d)
    return (status.updated_replicas == n and status.replicas == n and status.available_replicas == n
            and status.observed_generation >= d.metadata.generation)


def deployment_progressing(d: apps_pb2.Deployment, new: Status) -> bool:
    """Any sign of progress since the status last written: more updated, fewer old, more ready or available."""
    old = d.status
    return (new.updated_replicas > old.updated_replicas
            or new.replicas - new.updated_replicas < old.replicas - old.updated_replicas
            or new.ready_replicas > old.ready_replicas or new.available_replicas > old.available_replicas)


def deployment_timed_out(d: apps_pb2.Deployment, status: Status, now: float) -> bool:
    if not has_progress_deadline(d):
        return False
    cond = get_condition(status, PROGRESSING)
    if cond is None or cond.reason == NEW_RS_AVAILABLE:
        return False
    if cond.reason == TIMED_OUT:
        return True
    return seconds(cond.last_update_time) + d.spec.progress_deadline_seconds < now


def replica_failures(all_rss: Sequence, new_rs) -> list[Condition]:
    """ReplicaFailure conditions of the new set, else of any set, as Deployment conditions."""
    def of(rss) -> list[Condition]:
        out = []
        for rs in rss:
            for c in (rs.status.conditions if rs is not None else ()):
                if c.type == REPLICA_FAILURE:
                    out.append(Condition(type=c.type, status=c.status, reason=c.reason, message=c.message,
                                         last_update_time=c.last_transition_time,
                                         last_transition_time=c.last_transition_time))
        return out
    return of([new_rs]) or of(all_rss)
