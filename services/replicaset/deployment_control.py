"""The Deployment controller's decision (k/k `deployment_controller.go: syncDeployment`), a pure function
of a snapshot: the Deployment, the ReplicaSets it owns, their pods, and the time.

    plan = plan_sync(Snapshot(deployment, replica_sets, pods_by_rs, now))

`Rollout` is the sync's working state: copies of the Deployment and its sets that the steps change as
Kubernetes' steps change the live objects, recording each write as an action. Kubernetes writes as it
goes; here the writes come out as one ordered `Plan`, and the status is written once, at the end.

Order of a sync (as Kubernetes): a Deployment being deleted only gets its status; pausing or resuming
sets a Progressing Unknown condition; a paused Deployment, or one whose replicas changed (the
desired-replicas annotation of an active set differs), is scaled proportionally (`deployment_sync.sync`);
otherwise it rolls out with its strategy (`rolling`, `recreate`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.events import WARNING
from kubelab.meta import copy_of, is_terminating
from services.replicaset import conditions as cond
from services.replicaset import deployment_sync as sync
from services.replicaset import recreate, rolling
from services.replicaset.actions import (CreateReplicaSet, DeleteReplicaSet, Plan, RecordEvent, UpdateDeployment,
                                         UpdateDeploymentStatus, UpdateReplicaSet)


__all__ = ["Snapshot", "Rollout", "plan_sync"]


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


def check_paused_conditions(r: Rollout) -> None:
    """Progressing Unknown while paused, so that a resumed Deployment is not taken for a stuck one."""
    d = r.d
    if not cond.has_progress_deadline(d):
        return
    current = cond.get_condition(d.status, cond.PROGRESSING)
    if current is not None and current.reason == cond.TIMED_OUT:
        return
    paused_noted = current is not None and current.reason == cond.PAUSED
    if d.spec.paused and not paused_noted:
        cond.set_condition(d.status, cond.new_condition(cond.PROGRESSING, "Unknown", cond.PAUSED,
                                                        "Deployment is paused", r.now))
    elif not d.spec.paused and paused_noted:
        cond.set_condition(d.status, cond.new_condition(cond.PROGRESSING, "Unknown", cond.RESUMED,
                                                        "Deployment is resumed", r.now))


def plan_sync(snap: Snapshot) -> Plan:
    r = Rollout(snap)
    d = r.d
    if not d.spec.selector.match_labels and not d.spec.selector.match_expressions:
        r.event(WARNING, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
        if d.status.observed_generation < d.metadata.generation:
            d.status.observed_generation = d.metadata.generation
        return r.finish()
    if is_terminating(d):
        sync.sync_status_only(r)
        return r.finish()
    check_paused_conditions(r)
    if d.spec.paused or sync.is_scaling_event(r):
        sync.sync(r)
    elif d.spec.strategy.type == "Recreate":
        recreate.rollout_recreate(r)
    elif d.spec.strategy.type == "RollingUpdate":
        rolling.rollout_rolling(r)
    else:
        raise ValueError(f"unexpected deployment strategy type: {d.spec.strategy.type}")
    return r.finish()
