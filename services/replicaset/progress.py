"""Rollout progress (k/k `deployment/progress.go`): the status after a rollout step, with the Progressing
condition moved along, and when to look again for a stuck rollout.

- complete (all replicas updated and available, generation observed) -> NewReplicaSetAvailable;
- any progress since the last status (more updated, fewer old, more ready or available) ->
  ReplicaSetUpdated, with lastUpdateTime now (the deadline counts from it);
- no progress for progressDeadlineSeconds since lastUpdateTime -> ProgressDeadlineExceeded (False).
A finished rollout is not re-evaluated until a new one starts.
"""
from __future__ import annotations

from services.replicaset import conditions as cond
from services.replicaset.podutil import seconds
from services.replicaset.rollout import Rollout

__all__ = ["sync_rollout_status", "requeue_stuck"]


def sync_rollout_status(r: Rollout, all_rss: list, new) -> None:
    d, now = r.d, r.now
    status = cond.calculate_status(all_rss, new, d, now)
    if not cond.has_progress_deadline(d):
        cond.remove_condition(status, cond.PROGRESSING)
    current = cond.get_condition(d.status, cond.PROGRESSING)
    finished = (status.replicas == status.updated_replicas and current is not None
                and current.reason == cond.NEW_RS_AVAILABLE)
    if cond.has_progress_deadline(d) and not finished:
        subject = f'ReplicaSet "{new.metadata.name}"' if new is not None else f'Deployment "{d.metadata.name}"'
        if cond.deployment_complete(d, status):
            cond.set_condition(status, cond.new_condition(cond.PROGRESSING, "True", cond.NEW_RS_AVAILABLE,
                                                          f"{subject} has successfully progressed.", now))
        elif cond.deployment_progressing(d, status):
            updated = cond.new_condition(cond.PROGRESSING, "True", cond.RS_UPDATED, f"{subject} is progressing.", now)
            if current is not None:
                if current.status == "True":
                    updated.last_transition_time.CopyFrom(current.last_transition_time)
                cond.remove_condition(status, cond.PROGRESSING)
            cond.set_condition(status, updated)
        elif cond.deployment_timed_out(d, status, now):
            cond.set_condition(status, cond.new_condition(cond.PROGRESSING, "False", cond.TIMED_OUT,
                                                          f"{subject} has timed out progressing.", now))
    failures = cond.replica_failures(all_rss, new)
    if failures:
        cond.set_condition(status, failures[0])
    else:
        cond.remove_condition(status, cond.REPLICA_FAILURE)
    r.requeue_after = requeue_stuck(r.before, status, now) if status == r.before.status else None
    d.status.CopyFrom(status)


def requeue_stuck(d, status, now: float) -> float | None:
    """Seconds until a rollout without progress would pass its deadline (then it is checked again)."""
    current = cond.get_condition(d.status, cond.PROGRESSING)
    if not cond.has_progress_deadline(d) or current is None:
        return None
    if cond.deployment_complete(d, status) or current.reason == cond.TIMED_OUT:
        return None
    after = seconds(current.last_update_time) + d.spec.progress_deadline_seconds - now
    return 0.0 if after < 1 else after + 1
