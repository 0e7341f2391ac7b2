"""A Deployment sync's working state (the sync is deployment_control.plan_sync).

`Snapshot` is what a sync decides from: the Deployment, the ReplicaSets it owns, their pods, and the time.
`Rollout` holds copies of the Deployment and its sets that the steps (deployment_sync, rolling, recreate,
progress) change as Kubernetes' steps change the live objects, recording each write as an action.
Kubernetes writes as it goes; here the writes come out as one ordered `Plan`, and the status is written
once, at the end. It sits below every step, so that each can take it without importing the decision
that calls them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubelab.api.v1 import apps_pb2, core_pb2
from services.replicaset.actions import (CreateReplicaSet, DeleteReplicaSet, Plan, RecordEvent, UpdateDeployment,
                                         UpdateDeploymentStatus, UpdateReplicaSet)
from kubelab.meta import copy_of

__all__ = ["Snapshot", "Rollout"]


@dataclass
class Snapshot:
    deployment: apps_pb2.Deployment
    replica_sets: Sequence[apps_pb2.ReplicaSet]
    """The sets the Deployment controls (after adoption and release)."""
    pods: dict[str, list[core_pb2.Pod]] = field(default_factory=dict)
    """Pods matching the selector, by the uid of their controlling set (terminated and terminating too)."""
    now: float = 0.0


class Rollout:
    """One sync's working copies and the writes made to them so far."""

    def __init__(self, snap: Snapshot):
        self.before = snap.deployment
        self.d = copy_of(snap.deployment)
        self.rss = [copy_of(rs) for rs in snap.replica_sets]
        self.pods = snap.pods
        self.now = snap.now
        self.actions: list = []
        self.requeue_after: float | None = None

    def create(self, rs: apps_pb2.ReplicaSet) -> None:
        self.rss.append(rs)
        self.actions.append(CreateReplicaSet(copy_of(rs)))

    def update(self, rs: apps_pb2.ReplicaSet, event: str | None = None) -> None:
        self.actions.append(UpdateReplicaSet(copy_of(rs), event))

    def delete(self, rs: apps_pb2.ReplicaSet) -> None:
        self.actions.append(DeleteReplicaSet(copy_of(rs)))

    def update_deployment(self) -> None:
        self.actions.append(UpdateDeployment(copy_of(self.d)))

    def event(self, type_: str, reason: str, message: str) -> None:
        self.actions.append(RecordEvent(type_, reason, message))

    def finish(self) -> Plan:
        if self.d.status != self.before.status:
            self.actions.append(UpdateDeploymentStatus(copy_of(self.d.status)))
        return Plan(self.actions, self.requeue_after)
