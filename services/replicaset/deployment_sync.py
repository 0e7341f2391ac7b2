"""The steps every Deployment sync shares (k/k `deployment/sync.go`): find or create the new ReplicaSet
and keep revisions in step, scale sets (proportionally in the middle of a rollout), trim old sets past
revisionHistoryLimit, compute the status. Each step changes the `Rollout`'s working copies and records
the writes; none performs I/O.
"""
from __future__ import annotations

from kubelab.api.v1 import apps_pb2
from kubelab.meta import is_terminating, new_controller_ref
from services.replicaset import conditions as cond
from services.replicaset import deployment_util as du
from services.replicaset.annotations import (REVISION, desired_replicas_annotation, max_revision,
                                             replicas_annotations_need_update, set_deployment_revision,
                                             set_new_replica_set_annotations, set_replicas_annotations)
from services.replicaset.hashing import POD_TEMPLATE_HASH_LABEL, compute_hash
from services.replicaset.podutil import set_time
from services.replicaset.rollout import Rollout

__all__ = ["get_all_replica_sets", "get_new_replica_set", "new_replica_set", "scale_replica_set",
           "scale_and_record", "scale", "cleanup_deployment", "sync", "sync_status_only", "is_scaling_event",
           "sync_deployment_status"]

RS = apps_pb2.ReplicaSet


def get_all_replica_sets(r: Rollout, create: bool) -> tuple[RS | None, list[RS]]:
    """(the new set, every old set); the new set's revision is raised above the old ones'."""
    _, old = du.find_old_replica_sets(r.d, r.rss)
    return get_new_replica_set(r, old, create), old


def get_new_replica_set(r: Rollout, old: list[RS], create: bool) -> RS | None:
    d = r.d
    existing = du.find_new_replica_set(d, r.rss)
    revision = max_revision(old) + 1
    desired, most = du.replicas_of(d), du.replicas_of(d) + du.max_surge(d)
    if existing is not None:
        changed = set_new_replica_set_annotations(d, existing, revision, True, desired, most)
        if changed or existing.spec.min_ready_seconds != d.spec.min_ready_seconds:
            existing.spec.min_ready_seconds = d.spec.min_ready_seconds
            r.update(existing)
            return existing  # the Deployment's revision follows in the next sync, as in Kubernetes
        if set_deployment_revision(d, existing.metadata.annotations.get(REVISION, "")):
            r.update_deployment()
        if cond.has_progress_deadline(d) and cond.get_condition(d.status, cond.PROGRESSING) is None:
            cond.set_condition(d.status, cond.new_condition(
                cond.PROGRESSING, "True", cond.FOUND_NEW_RS, f'Found new replica set "{existing.metadata.name}"',
                r.now))
        return existing
    if not create:
        return None
    rs = new_replica_set(d, r.now)
    rs.spec.replicas = du.new_rs_new_replicas(d, [*old, rs], rs)
    set_new_replica_set_annotations(d, rs, revision, False, desired, most)
    r.create(rs)
    if set_deployment_revision(d, str(revision)):
        r.update_deployment()
    if cond.has_progress_deadline(d):
        cond.set_condition(d.status, cond.new_condition(
            cond.PROGRESSING, "True", cond.NEW_RS_CREATED, f'Created new replica set "{rs.metadata.name}"', r.now))
    return rs


def new_replica_set(d: apps_pb2.Deployment, now: float) -> RS:
    """`<deployment>-<hash>` with the hash label on its template, selector and itself; 0 replicas."""
    collision = d.status.collision_count if d.status.HasField("collision_count") else None
    pod_hash = compute_hash(d.spec.template, collision)
    rs = RS()
    rs.metadata.name, rs.metadata.namespace = f"{d.metadata.name}-{pod_hash}", d.metadata.namespace
    rs.metadata.owner_references.append(new_controller_ref(d))
    set_time(rs.metadata.creation_timestamp, now)  # the server sets it; ordering within this sync needs one
    rs.spec.template.CopyFrom(d.spec.template)
    rs.spec.template.metadata.labels[POD_TEMPLATE_HASH_LABEL] = pod_hash
    rs.metadata.labels.update(rs.spec.template.metadata.labels)
    rs.spec.selector.CopyFrom(d.spec.selector)
    rs.spec.selector.match_labels[POD_TEMPLATE_HASH_LABEL] = pod_hash
    rs.spec.min_ready_seconds = d.spec.min_ready_seconds
    rs.spec.replicas = 0
    return rs


def scale_replica_set(r: Rollout, rs: RS, new_scale: int, operation: str) -> bool:
    """Resize (and refresh the sizing annotations); True if the size changed."""
    d = r.d
    desired, most = du.replicas_of(d), du.replicas_of(d) + du.max_surge(d)
    resized = du.replicas_of(rs) != new_scale
    if not resized and not replicas_annotations_need_update(rs, desired, most):
        return False
    old = du.replicas_of(rs)
    rs.spec.replicas = new_scale
    set_replicas_annotations(rs, desired, most)
    event = f"Scaled {operation} replica set {rs.metadata.name} to {new_scale} from {old}" if resized else None
    r.update(rs, event)
    return resized


def scale_and_record(r: Rollout, rs: RS, new_scale: int) -> bool:
    if du.replicas_of(rs) == new_scale:
        return False
    return scale_replica_set(r, rs, new_scale, "up" if du.replicas_of(rs) < new_scale else "down")


def scale(r: Rollout, new: RS | None, old: list[RS]) -> None:
    """Follow a change of spec.replicas: one active set takes it all; several share it in proportion to
    their sizes, newer sets first when growing, older first when shrinking, the rest to the largest."""
    d = r.d
    only = du.find_active_or_latest(new, old)
    if only is not None:
        if du.replicas_of(only) != du.replicas_of(d):
            scale_and_record(r, only, du.replicas_of(d))
        return
    if du.is_saturated(d, new):
        for rs in du.active(old):
            scale_and_record(r, rs, 0)
        return
    if not du.is_rolling_update(d):
        return
    live = du.active([*old, new])
    allowed = du.replicas_of(d) + du.max_surge(d) if du.replicas_of(d) > 0 else 0
    to_add = allowed - du.total_replicas(live)
    operation = ""
    if to_add > 0:
        live, operation = du.by_size_newer(live), "up"
    elif to_add < 0:
        live, operation = du.by_size_older(live), "down"
    sizes, added = {}, 0
    for rs in live:
        share = du.proportion(rs, d, to_add, added) if to_add else 0
        sizes[rs.metadata.name] = du.replicas_of(rs) + share
        added += share
    for i, rs in enumerate(live):
        if i == 0 and to_add:
            sizes[rs.metadata.name] = max(0, sizes[rs.metadata.name] + to_add - added)
        scale_replica_set(r, rs, sizes[rs.metadata.name], operation)


def cleanup_deployment(r: Rollout, old: list[RS]) -> None:
    """Delete the oldest empty sets beyond revisionHistoryLimit."""
    d = r.d
    if not d.spec.HasField("revision_history_limit"):
        return
    alive = [rs for rs in old if not is_terminating(rs)]
    excess = len(alive) - d.spec.revision_history_limit
    for rs in du.by_revision(alive)[:max(0, excess)]:
        if (rs.status.replicas or du.replicas_of(rs) or rs.metadata.generation > rs.status.observed_generation):
            continue
        r.delete(rs)


def sync_deployment_status(r: Rollout, all_rss: list, new: RS | None) -> None:
    r.d.status.CopyFrom(cond.calculate_status(all_rss, new, r.d, r.now))


def sync(r: Rollout) -> None:
    """A paused Deployment, or a scaling event: resize, no rollout."""
    new, old = get_all_replica_sets(r, False)
    scale(r, new, old)
    if r.d.spec.paused:
        cleanup_deployment(r, old)
    sync_deployment_status(r, [*old, new], new)


def sync_status_only(r: Rollout) -> None:
    new, old = get_all_replica_sets(r, False)
    sync_deployment_status(r, [*old, new], new)


def is_scaling_event(r: Rollout) -> bool:
    """An active set was sized for another spec.replicas than the Deployment's."""
    new, old = get_all_replica_sets(r, False)
    for rs in du.active([*old, new]):
        desired = desired_replicas_annotation(rs)
        if desired is not None and desired != du.replicas_of(r.d):
            return True
    return False
