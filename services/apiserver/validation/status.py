"""Status updates: metadata rules plus the few status invariants Kubernetes enforces per kind."""
from __future__ import annotations

from kubelab.fielderrors import Path, invalid

from .common import Errors, nonnegative

__all__ = ["validate_workload_status"]

_COUNTS = {
    "Deployment": ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"),
    "ReplicaSet": ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas"),
    "StatefulSet": ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"),
}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def validate_workload_status(kind: str, new, old) -> Errors:
    """Counts are not negative, none exceeds status.replicas, and collisionCount never goes down."""
    path = Path("status")
    status, errs = new.status, []
    counts = {name: getattr(status, _snake(name)) for name in _COUNTS[kind]}
    for name, value in counts.items():
        errs += nonnegative(value, path.child(name))
    errs += nonnegative(status.observed_generation, path.child("observedGeneration"))
    for name in _COUNTS[kind][1:]:
        if name != "unavailableReplicas" and counts[name] > counts["replicas"]:
            errs.append(invalid(path.child(name), counts[name], "cannot be greater than status.replicas"))
    if counts.get("availableReplicas", 0) > counts["readyReplicas"]:
        detail = "cannot be greater than status.readyReplicas" if kind == "StatefulSet" else \
            "cannot be greater than readyReplicas"
        errs.append(invalid(path.child("availableReplicas"), counts["availableReplicas"], detail))
    if kind != "ReplicaSet":
        new_cc = status.collision_count if status.HasField("collision_count") else None
        old_cc = old.status.collision_count if old.status.HasField("collision_count") else None
        if old_cc is not None and (new_cc is None or new_cc < old_cc):
            errs.append(invalid(path.child("collisionCount"), new_cc or 0, "cannot be decremented"))
    return errs
