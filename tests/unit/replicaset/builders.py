"""Objects for the Deployment/ReplicaSet unit tests, and a small world that applies a sync's Plan the way
the API server and the ReplicaSet controller would (sets get the pods they ask for; pods of the sets
named in `slow` stay unavailable)."""
from __future__ import annotations

import itertools

from google.protobuf.struct_pb2 import Value

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.meta import new_controller_ref
from services.replicaset.actions import (CreateReplicaSet, DeleteReplicaSet, RecordEvent, UpdateDeployment,
                                         UpdateDeploymentStatus, UpdateReplicaSet)
from services.replicaset.deployment_control import Snapshot, plan_sync


NOW = 1_700_000_000.0
_uids = itertools.count(1)


def pod(name: str = "p", *, node: str = "", phase: str = "Running", ready: bool = True, ready_at: float = NOW - 100,
        created: float = NOW - 200, restarts: int = 0, cost: int | None = None, labels=None, uid: str | None = None,
        terminating: bool = False) -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace, p.metadata.uid = name, "default", uid or f"uid-{name}"
    p.metadata.labels.update(labels if labels is not None else {"app": "web"})
    p.metadata.creation_timestamp.FromSeconds(int(created))
    if cost is not None:
        p.metadata.annotations["controller.kubernetes.io/pod-deletion-cost"] = str(cost)
    if terminating:
        p.metadata.deletion_timestamp.FromSeconds(int(NOW))
    p.spec.node_name = node
    p.status.phase = phase
    c = p.status.conditions.add(type="Ready", status="True" if ready else "False")
    c.last_transition_time.FromSeconds(int(ready_at))
    p.status.container_statuses.add(name="app", restart_count=restarts)
    return p


def template(image: str = "nginx:1.25", labels=None) -> core_pb2.PodTemplateSpec:
    t = core_pb2.PodTemplateSpec()
    t.metadata.labels.update(labels or {"app": "web"})
    t.spec.containers.add(name="app", image=image)
    t.spec.restart_policy = "Always"
    return t


def deployment(replicas: int = 3, *, surge="25%", unavailable="25%", strategy: str = "RollingUpdate",
               image: str = "nginx:1.25", history: int | None = 10, deadline: int | None = 600,
               generation: int = 1) -> apps_pb2.Deployment:
    d = apps_pb2.Deployment()
    d.metadata.name, d.metadata.namespace, d.metadata.uid = "web", "default", "d-uid"
    d.metadata.generation = generation
    d.spec.replicas = replicas
    d.spec.selector.match_labels["app"] = "web"
    d.spec.template.CopyFrom(template(image))
    d.spec.strategy.type = strategy
    if strategy == "RollingUpdate":
        for field, value in (("max_surge", surge), ("max_unavailable", unavailable)):
            v = Value()
            if isinstance(value, str):
                v.string_value = value
            else:
                v.number_value = value
            getattr(d.spec.strategy.rolling_update, field).CopyFrom(v)
    if history is not None:
        d.spec.revision_history_limit = history
    if deadline is not None:
        d.spec.progress_deadline_seconds = deadline
    return d


def replica_set(name: str, replicas: int, *, available: int | None = None, owner=None, revision: int | None = None,
                created: float = NOW - 500, image: str = "nginx:1.25", desired: int | None = None,
                most: int | None = None) -> apps_pb2.ReplicaSet:
    rs = apps_pb2.ReplicaSet()
    rs.metadata.name, rs.metadata.namespace, rs.metadata.uid = name, "default", f"rs-{name}"
    rs.metadata.creation_timestamp.FromSeconds(int(created))
    rs.metadata.labels["app"] = "web"
    rs.metadata.generation = 1
    if owner is not None:
        rs.metadata.owner_references.append(new_controller_ref(owner))
    if revision is not None:
        rs.metadata.annotations["deployment.kubernetes.io/revision"] = str(revision)
    if desired is not None:
        rs.metadata.annotations["deployment.kubernetes.io/desired-replicas"] = str(desired)
    if most is not None:
        rs.metadata.annotations["deployment.kubernetes.io/max-replicas"] = str(most)
    rs.spec.replicas = replicas
    rs.spec.selector.match_labels["app"] = "web"
    rs.spec.template.CopyFrom(template(image))
    rs.status.replicas = replicas
    rs.status.ready_replicas = rs.status.available_replicas = replicas if available is None else available
    rs.status.observed_generation = 1
    return rs


class World:
    """A Deployment and its sets; `sync()` plans and applies one Deployment sync."""

    def __init__(self, d: apps_pb2.Deployment, sets=(), now: float = NOW):
        self.d, self.sets, self.now = d, {rs.metadata.name: rs for rs in sets}, now
        self.slow: set[str] = set()
        self.events: list[str] = []
        self.created: list[str] = []
        self.deleted: list[str] = []

    def snapshot(self) -> Snapshot:
        return Snapshot(self.d, list(self.sets.values()), {}, self.now)

    def sync(self):
        plan = plan_sync(self.snapshot())
        for a in plan.actions:
            self.apply(a)
        self.settle()
        return plan

    def apply(self, a) -> None:
        if isinstance(a, CreateReplicaSet):
            rs = apps_pb2.ReplicaSet()
            rs.CopyFrom(a.rs)
            rs.metadata.uid = f"rs-{rs.metadata.name}"
            rs.metadata.generation = 1
            rs.metadata.creation_timestamp.FromSeconds(int(self.now))
            self.sets[rs.metadata.name] = rs
            self.created.append(rs.metadata.name)
            if rs.spec.replicas:
                self.events.append(f"Scaled up replica set {rs.metadata.name} to {rs.spec.replicas}")
        elif isinstance(a, UpdateReplicaSet):
            status = self.sets[a.rs.metadata.name].status
            self.sets[a.rs.metadata.name].CopyFrom(a.rs)
            self.sets[a.rs.metadata.name].status.CopyFrom(status)
            if a.event:
                self.events.append(a.event)
        elif isinstance(a, DeleteReplicaSet):
            self.deleted.append(a.rs.metadata.name)
            del self.sets[a.rs.metadata.name]
        elif isinstance(a, UpdateDeployment):
            self.d.metadata.CopyFrom(a.deployment.metadata)
        elif isinstance(a, UpdateDeploymentStatus):
            self.d.status.CopyFrom(a.status)
        elif isinstance(a, RecordEvent):
            self.events.append(f"{a.reason}: {a.message}")

    def settle(self) -> None:
        """The ReplicaSet controller and kubelets: every set has its pods, available unless slow."""
        for name, rs in self.sets.items():
            rs.status.replicas = rs.spec.replicas
            ok = 0 if name in self.slow else rs.spec.replicas
            rs.status.ready_replicas = rs.status.available_replicas = ok
            rs.status.observed_generation = rs.metadata.generation

    def new_set(self) -> apps_pb2.ReplicaSet:
        return next(rs for rs in self.sets.values() if rs.spec.template.spec.containers[0].image ==
                    self.d.spec.template.spec.containers[0].image)

    def sizes(self) -> dict[str, int]:
        return {rs.spec.template.spec.containers[0].image: rs.spec.replicas for rs in self.sets.values()}
