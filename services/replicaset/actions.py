"""What one Deployment sync decided to do, in order (the vocabulary between `deployment_control` and the
effects in `deployment_effects`). Each write is the whole desired object; a later write of the same
object in the same plan is sent with the resourceVersion the earlier one returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kubelab.api.v1 import apps_pb2

__all__ = ["CreateReplicaSet", "UpdateReplicaSet", "DeleteReplicaSet", "UpdateDeployment", "UpdateDeploymentStatus",
           "RecordEvent", "Action", "Plan"]


@dataclass
class CreateReplicaSet:
    rs: apps_pb2.ReplicaSet
    """The new set, named `<deployment>-<pod-template-hash>` (a name taken means a hash collision)."""


@dataclass
class UpdateReplicaSet:
    rs: apps_pb2.ReplicaSet
    event: str | None = None
    """A ScalingReplicaSet message, recorded once the write succeeded."""


@dataclass
class DeleteReplicaSet:
    rs: apps_pb2.ReplicaSet


@dataclass
class UpdateDeployment:
    """The Deployment's metadata (its revision annotation); its spec is sent as read."""
    deployment: apps_pb2.Deployment


@dataclass
class UpdateDeploymentStatus:
    status: apps_pb2.DeploymentStatus


@dataclass
class RecordEvent:
    type: str
    reason: str
    message: str


Action = CreateReplicaSet | UpdateReplicaSet | DeleteReplicaSet | UpdateDeployment | UpdateDeploymentStatus | RecordEvent


@dataclass
class Plan:
    actions: list = field(default_factory=list)
    requeue_after: float | None = None
    """Look again then (the progress deadline), unless a write brings the Deployment back sooner."""
