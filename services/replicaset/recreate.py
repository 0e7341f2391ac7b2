"""Recreate (k/k `deployment/recreate.go`): scale every old ReplicaSet to 0, wait until none of their pods
is left running (terminating pods count: a pod holding a ReadWriteOnce volume must be gone before its
successor can attach it), then create or scale up the new set to all the replicas at once.
"""
from __future__ import annotations

from services.replicaset import conditions as cond
from services.replicaset import deployment_util as du
from services.replicaset.deployment_sync import cleanup_deployment, get_all_replica_sets, scale_and_record
from services.replicaset.progress import sync_rollout_status
from services.replicaset.rollout import Rollout

__all__ = ["rollout_recreate", "old_pods_running"]


def rollout_recreate(r: Rollout) -> None:
    new, old = get_all_replica_sets(r, False)  # no new set yet: never scale up before scaling down
    all_rss = [*old, new]
    scaled_down = False
    for rs in du.active(old):
        scaled_down = scale_and_record(r, rs, 0) or scaled_down
    if scaled_down or old_pods_running(new, old, r.pods):
        sync_rollout_status(r, all_rss, new)
        return
    if new is None:
        new, old = get_all_replica_sets(r, True)
        all_rss = [*old, new]
    scale_and_record(r, new, du.replicas_of(r.d))
    if cond.deployment_complete(r.d, r.d.status):
        cleanup_deployment(r, old)
    sync_rollout_status(r, all_rss, new)


def old_pods_running(new, old: list, pods: dict) -> bool:
    """Old sets still report pods, or some pod of an old set has not terminated (Pending, Running, Unknown,
    or being deleted)."""
    if du.actual_replicas(old) > 0:
        return True
    for uid, members in pods.items():
        if new is not None and uid == new.metadata.uid:
            continue
        if any(p.status.phase not in ("Failed", "Succeeded") for p in members):
            return True
    return False
