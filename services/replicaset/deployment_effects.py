"""Carries out a Deployment sync's `Plan` in order (the writes Kubernetes' deployment controller makes as
it goes), and the events that follow them (`ScalingReplicaSet` "Scaled up replica set web-7d4b9c5f86 to 3",
"Scaled down replica set web-5c8d7f9b4 to 1 from 2").

A conflict ends the plan and asks for a requeue: the cache was behind, and the next sync decides again
from fresher objects. A create that finds the name taken is either our own set not yet in the cache
(requeue) or a pod-template-hash collision: then status.collisionCount goes up and the next sync tries
another name. Any other failed create is reported as Progressing=False ReplicaSetCreateError.
"""
from __future__ import annotations

import logging

from kubelab.api.v1 import apps_pb2
from kubelab.controller import Result
from kubelab.errors import ApiError, is_already_exists, is_conflict, is_not_found
from kubelab.events import NORMAL, WARNING, EventRecorder
from kubelab.informer import SharedInformer, key_of
from kubelab.meta import copy_of, is_controlled_by
from services.replicaset import conditions as cond
from services.replicaset.actions import (CreateReplicaSet, DeleteReplicaSet, Plan, RecordEvent, UpdateDeployment,
                                         UpdateDeploymentStatus, UpdateReplicaSet)
from services.replicaset.hashing import equal_ignore_hash


__all__ = ["DeploymentEffects"]

log = logging.getLogger(__name__)


class _Conflict(Exception):
    """The plan stops; the Deployment is synced again."""


class DeploymentEffects:
    def __init__(self, client, events: EventRecorder, sets: SharedInformer, clock):
        self.client, self.events, self.sets, self.clock = client, events, sets, clock

    async def run(self, d: apps_pb2.Deployment, plan: Plan) -> Result | None:
        try:
            await _PlanRun(self, d).run(plan.actions)
        except _Conflict as e:
            log.debug("plan stopped, syncing again deployment=%s reason=%s", key_of(d), e)
            return Result(requeue=True)
        if plan.requeue_after is not None:
            return Result(requeue_after=plan.requeue_after) if plan.requeue_after > 0 else Result(requeue=True)
        return None


class _PlanRun:
    """One plan's writes: the resourceVersions they returned, for the writes after them."""

    def __init__(self, effects: DeploymentEffects, d: apps_pb2.Deployment):
        self.client, self.events, self.sets, self._clock = effects.client, effects.events, effects.sets, effects.clock
        self._d, self._rv, self._rs_rv = d, d.metadata.resource_version, {}

    async def run(self, actions: list) -> None:
        for action in actions:
            await self._do(action)

    async def _do(self, action) -> None:
        try:
            if isinstance(action, CreateReplicaSet):
                await self._create(action.rs)
            elif isinstance(action, UpdateReplicaSet):
                await self._update_rs(action)
            elif isinstance(action, DeleteReplicaSet):
                await self._delete_rs(action.rs)
            elif isinstance(action, UpdateDeployment):
                obj = copy_of(action.deployment)
                obj.metadata.resource_version = self._rv
                self._rv = (await self.client.update(obj)).metadata.resource_version
            elif isinstance(action, UpdateDeploymentStatus):
                await self._update_status(action.status)
            elif isinstance(action, RecordEvent):
                self.events.event(self._d, action.type, action.reason, action.message)
        except ApiError as e:
            if is_conflict(e) or is_not_found(e):
                raise _Conflict(f"{type(action).__name__}: {e}") from None
            raise

    async def _update_status(self, status: apps_pb2.DeploymentStatus) -> None:
        obj = copy_of(self._d)
        obj.status.CopyFrom(status)
        obj.metadata.resource_version = self._rv
        self._rv = (await self.client.update_status(obj)).metadata.resource_version

    async def _update_rs(self, action: UpdateReplicaSet) -> None:
        rs = copy_of(action.rs)
        name = rs.metadata.name
        if name in self._rs_rv:
            rs.metadata.resource_version = self._rs_rv[name]
        self._rs_rv[name] = (await self.client.update(rs)).metadata.resource_version
        if action.event:
            self.events.event(self._d, NORMAL, "ScalingReplicaSet", action.event)

    async def _delete_rs(self, rs: apps_pb2.ReplicaSet) -> None:
        try:
            await self.client.delete("ReplicaSet", rs.metadata.name, rs.metadata.namespace, uid=rs.metadata.uid)
        except ApiError as e:
            if not is_not_found(e):
                raise
        log.info("deleted old replica set deployment=%s replicaset=%s", key_of(self._d), rs.metadata.name)

    async def _create(self, rs: apps_pb2.ReplicaSet) -> None:
        try:
            created = await self.client.create(rs)
        except ApiError as e:
            if is_already_exists(e):
                await self._name_taken(rs)
                raise _Conflict(f"replica set {rs.metadata.name} exists") from None
            await self._create_failed(rs, e)
            raise
        self._rs_rv[created.metadata.name] = created.metadata.resource_version
        log.info("created new replica set deployment=%s replicaset=%s replicas=%d", key_of(self._d),
                 created.metadata.name, created.spec.replicas)
        if created.spec.replicas > 0:
            self.events.event(self._d, NORMAL, "ScalingReplicaSet",
                              f"Scaled up replica set {created.metadata.name} to {created.spec.replicas}")

    async def _name_taken(self, rs: apps_pb2.ReplicaSet) -> None:
        existing = self.sets.get(key_of(rs))
        if existing is None:
            existing = await self.client.get("ReplicaSet", rs.metadata.name, rs.metadata.namespace)
        d = self._d
        if is_controlled_by(existing, d.metadata.uid) and equal_ignore_hash(d.spec.template, existing.spec.template):
            return  # ours, the cache had not caught up
        before = d.status.collision_count if d.status.HasField("collision_count") else 0
        status = copy_of(d.status)
        status.collision_count = before + 1
        await self._update_status(status)
        log.info("found a hash collision, bumping collisionCount deployment=%s old=%d new=%d", key_of(d), before,
                 before + 1)

    async def _create_failed(self, rs: apps_pb2.ReplicaSet, err: ApiError) -> None:
        msg = f'Failed to create new replica set "{rs.metadata.name}": {err}'
        d = self._d
        if cond.has_progress_deadline(d):
            status = copy_of(d.status)
            cond.set_condition(status, cond.new_condition(cond.PROGRESSING, "False", cond.FAILED_RS_CREATE, msg,
                                                          self._clock()))
            try:
                await self._update_status(status)
            except ApiError:
                pass  # the create failure is the news
        self.events.event(d, WARNING, cond.FAILED_RS_CREATE, msg)
