"""The annotations a Deployment keeps on its ReplicaSets (k/k `deployment_util.go`):

- `deployment.kubernetes.io/revision`: the rollout sequence number of the set; the newest set's revision
  is also written on the Deployment;
- `deployment.kubernetes.io/revision-history`: earlier revisions a set held before a rollback reused it;
- `deployment.kubernetes.io/desired-replicas`, `deployment.kubernetes.io/max-replicas`: the Deployment's
  replicas (and replicas + maxSurge) when the set was last sized, for proportional scaling;
- every other annotation of the Deployment is copied to its new set (kubectl's last-applied-configuration
  aside), which is how `kubernetes.io/change-cause` reaches `kubelab rollout history`.

Pure: functions change the message they are given and say whether they changed it.
"""
from __future__ import annotations

from google.protobuf.message import Message

from kubelab.api.v1 import apps_pb2

__all__ = [
    "REVISION", "REVISION_HISTORY", "DESIRED_REPLICAS", "MAX_REPLICAS", "LAST_APPLIED", "ROLLBACK_TO",
    "CHANGE_CAUSE", "SKIPPED", "MAX_REVISION_HISTORY_CHARS", "revision_of", "max_revision",
    "desired_replicas_annotation", "max_replicas_annotation", "replicas_annotations_need_update",
    "set_replicas_annotations", "copy_deployment_annotations", "set_new_replica_set_annotations",
    "set_deployment_revision",
]

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
CHANGE_CAUSE = "kubernetes.io/change-cause"
SKIPPED = frozenset({LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO})
"""Annotations a Deployment does not copy to its sets (annotationsToSkip)."""
MAX_REVISION_HISTORY_CHARS = 2000


def _int(obj: Message, key: str) -> int | None:
    try:
        return int(obj.metadata.annotations[key])
    except (KeyError, ValueError):
        return None


def revision_of(obj: Message) -> int | None:
    """The revision annotation: 0 when absent, None when unparsable."""
    if REVISION not in obj.metadata.annotations:
        return 0
    return _int(obj, REVISION)


def max_revision(rss) -> int:
    return max((r for r in (revision_of(rs) for rs in rss) if r is not None), default=0)


def desired_replicas_annotation(rs: apps_pb2.ReplicaSet) -> int | None:
    return _int(rs, DESIRED_REPLICAS)


def max_replicas_annotation(rs: apps_pb2.ReplicaSet) -> int:
    return _int(rs, MAX_REPLICAS) or 0


def replicas_annotations_need_update(rs: apps_pb2.ReplicaSet, desired: int, most: int) -> bool:
    ann = rs.metadata.annotations
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(most)


def set_replicas_annotations(rs: apps_pb2.ReplicaSet, desired: int, most: int) -> bool:
    changed = replicas_annotations_need_update(rs, desired, most)
    rs.metadata.annotations[DESIRED_REPLICAS] = str(desired)
    rs.metadata.annotations[MAX_REPLICAS] = str(most)
    return changed


def copy_deployment_annotations(d: apps_pb2.Deployment, rs: apps_pb2.ReplicaSet) -> bool:
    changed = False
    for k, v in d.metadata.annotations.items():
        if k in SKIPPED or rs.metadata.annotations.get(k) == v:
            continue
        rs.metadata.annotations[k] = v
        changed = True
    return changed


def _append_history(rs: apps_pb2.ReplicaSet, old_revision: str, limit: int) -> None:
    """Remember a reused set's previous revision, dropping the oldest past `limit` characters."""
    history = rs.metadata.annotations.get(REVISION_HISTORY, "")
    if not history:
        rs.metadata.annotations[REVISION_HISTORY] = old_revision
        return
    revisions = history.split(",")
    total, start = len(history) + len(old_revision) + 1, 0
    while total > limit and start < len(revisions):
        total -= len(revisions[start]) + 1
        start += 1
    if total <= limit:
        rs.metadata.annotations[REVISION_HISTORY] = ",".join(revisions[start:] + [old_revision])


def set_new_replica_set_annotations(d: apps_pb2.Deployment, rs: apps_pb2.ReplicaSet, new_revision: int,
                                    exists: bool, desired: int, most: int,
                                    limit: int = MAX_REVISION_HISTORY_CHARS) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the revision (keeping the old
    one in the history when a rollback reuses the set) and, for a set about to be created, the sizes."""
    changed = copy_deployment_annotations(d, rs)
    ann = rs.metadata.annotations
    old = ann.get(REVISION)
    if old is None:
        old_int = 0
    else:
        try:
            old_int = int(old)
        except ValueError:
            return False
    if old_int < new_revision:
        ann[REVISION] = str(new_revision)
        changed = True
        if old is not None:
            _append_history(rs, old, limit)
    if not exists and set_replicas_annotations(rs, desired, most):
        changed = True
    return changed


def set_deployment_revision(d: apps_pb2.Deployment, revision: str) -> bool:
    if d.metadata.annotations.get(REVISION) == revision:
        return False
    d.metadata.annotations[REVISION] = revision
    return True
