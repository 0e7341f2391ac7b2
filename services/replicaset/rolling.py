"""RollingUpdate (k/k `deployment/rolling.go`): grow the new ReplicaSet while the total stays within
replicas + maxSurge, shrink old ones while the available pods stay at least replicas - maxUnavailable.

One step per sync: if the new set grew, stop there (its pods have to come up before anything else
changes); else shrink old sets, unhealthy replicas first (they cost no availability); when the rollout is
complete, trim the history.
"""
from __future__ import annotations

from services.replicaset import conditions as cond
from services.replicaset import deployment_util as du
from services.replicaset.deployment_sync import cleanup_deployment, get_all_replica_sets, scale_and_record
from services.replicaset.progress import sync_rollout_status
from services.replicaset.rollout import Rollout

__all__ = ["rollout_rolling", "reconcile_new_replica_set", "reconcile_old_replica_sets"]


def rollout_rolling(r: Rollout) -> None:
    new, old = get_all_replica_sets(r, True)
    all_rss = [*old, new]
    if reconcile_new_replica_set(r, all_rss, new) or reconcile_old_replica_sets(r, all_rss, du.active(old), new):
        sync_rollout_status(r, all_rss, new)
        return
    if cond.deployment_complete(r.d, r.d.status):
        cleanup_deployment(r, old)
    sync_rollout_status(r, all_rss, new)


def reconcile_new_replica_set(r: Rollout, all_rss: list, new) -> bool:
    want = du.replicas_of(r.d)
    if du.replicas_of(new) == want:
        return False
    if du.replicas_of(new) > want:
        return scale_and_record(r, new, want)
    return scale_and_record(r, new, du.new_rs_new_replicas(r.d, all_rss, new))


def reconcile_old_replica_sets(r: Rollout, all_rss: list, old: list, new) -> bool:
    if du.total_replicas(old) == 0:
        return False
    min_available = du.replicas_of(r.d) - du.max_unavailable(r.d)
    new_unavailable = du.replicas_of(new) - new.status.available_replicas
    max_scaled_down = du.total_replicas(all_rss) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    old, cleaned = _cleanup_unhealthy_replicas(r, old, max_scaled_down)
    scaled = _scale_down_old_replica_sets(r, [*old, new], old)
    return cleaned + scaled > 0


def _cleanup_unhealthy_replicas(r: Rollout, old: list, max_cleanup: int) -> tuple[list, int]:
    """Drop unavailable replicas of old sets first, oldest set first: that costs no availability."""
    old = du.by_creation(old)
    total = 0
    for rs in old:
        if total >= max_cleanup:
            break
        if du.replicas_of(rs) == 0 or du.replicas_of(rs) == rs.status.available_replicas:
            continue
        count = min(max_cleanup - total, du.replicas_of(rs) - rs.status.available_replicas)
        target = du.replicas_of(rs) - count
        if target > du.replicas_of(rs):
            raise ValueError(f"when cleaning up unhealthy replicas, got invalid request to scale down "
                             f"{rs.metadata.namespace}/{rs.metadata.name} {du.replicas_of(rs)} -> {target}")
        scale_and_record(r, rs, target)
        total += count
    return old, total


def _scale_down_old_replica_sets(r: Rollout, all_rss: list, old: list) -> int:
    """Scale old sets down, oldest first, as far as the available pods above minAvailable allow."""
    min_available = du.replicas_of(r.d) - du.max_unavailable(r.d)
    available = du.available_replicas(all_rss)
    if available <= min_available:
        return 0
    budget, total = available - min_available, 0
    for rs in du.by_creation(old):
        if total >= budget:
            break
        if du.replicas_of(rs) == 0:
            continue
        count = min(du.replicas_of(rs), budget - total)
        scale_and_record(r, rs, du.replicas_of(rs) - count)
        total += count
    return total
