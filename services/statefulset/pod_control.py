"""The effects of a plan on pods and claims (k/k `stateful_pod_control.go`): API writes and the events
Kubernetes records on the StatefulSet, worded as it words them:

    Normal   SuccessfulCreate  create Pod web-0 in StatefulSet web successful
    Normal   SuccessfulCreate  create Claim www-web-0 Pod web-0 in StatefulSet web success
    Normal   SuccessfulDelete  delete Pod web-2 in StatefulSet web successful
    Warning  FailedCreate      create Pod web-0 in StatefulSet web failed error: <err>
    Warning  FailedCreate      create Claim www-web-0 for Pod web-0 in StatefulSet web failed error: <err>

Every successful write is reported to `on_write(kind, object)`, so the plumbing can wait for its
informer caches to show it before the next sync (a lagging cache must not make a sync act twice).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.api.v1 import apps_pb2
from kubelab.errors import ApiError, is_already_exists, is_not_found, is_precondition_failed
from kubelab.events import NORMAL, WARNING, EventRecorder
from services.statefulset.actions import Action, CreateClaims, CreatePod, DeletePod, Step, UpdateClaim, UpdatePod
from services.statefulset.retention import CONFLICTING_CONTROLLER

__all__ = ["StatefulPodControl", "SyncError", "ClaimError", "MAX_BATCH_SIZE"]

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 500
"""At most this many writes in flight in Parallel mode (k/k MaxBatchSize)."""


class SyncError(Exception):
    """One or more actions of a plan failed (the message joins them, as utilerrors.NewAggregate)."""

    def __init__(self, errors: list[BaseException]):
        self.errors = errors
        super().__init__(errors[0] if len(errors) == 1 else "[" + ", ".join(map(str, errors)) + "]")


class ClaimError(Exception):
    """A pod's claims could not all be created (`failed to create PVC ...`, `pvc ... is being deleted`)."""


class StatefulPodControl:
    def __init__(self, client, events: EventRecorder, on_write: Callable[[str, Message], None] = lambda k, o: None):
        self.client, self.events, self.on_write = client, events, on_write

    async def run(self, sts: apps_pb2.StatefulSet, steps: list[Step]) -> None:
        """Run the steps in order; raise SyncError at the first step with a failure."""
        for step in steps:
            if step.parallel:
                await self._slow_start(sts, step.units)
            else:
                for unit in step.units:
                    await self._unit(sts, unit)

    async def _slow_start(self, sts, units: list[list[Action]]) -> None:
        done, size = 0, 1
        while done < len(units):
            batch = units[done:done + size]
            results = await asyncio.gather(*(self._unit(sts, u) for u in batch), return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)]
            for e in errors:
                if isinstance(e, asyncio.CancelledError):
                    raise e
            if errors:
                raise SyncError([x for e in errors for x in (e.errors if isinstance(e, SyncError) else [e])])
            done += len(batch)
            size = min(2 * size, MAX_BATCH_SIZE)

    async def _unit(self, sts, unit: list[Action]) -> None:
        for action in unit:
            try:
                await self.apply(sts, action)
            except (ApiError, ClaimError) as e:
                raise SyncError([e]) from e

    async def apply(self, sts: apps_pb2.StatefulSet, action: Action) -> None:
        match action:
            case CreateClaims():
                await self.create_claims(sts, action)
            case CreatePod():
                await self.create_pod(sts, action.pod)
            case UpdatePod():
                await self.update_pod(sts, action.pod)
            case UpdateClaim():
                await self.update_claim(sts, action)
            case DeletePod():
                await self.delete_pod(sts, action.pod, action.reason)

    def _pod_event(self, verb: str, sts, pod_name: str, err: Exception | None) -> None:
        set_name = sts.metadata.name
        if err is None:
            self.events.event(sts, NORMAL, f"Successful{verb.title()}",
                              f"{verb} Pod {pod_name} in StatefulSet {set_name} successful")
        else:
            self.events.event(sts, WARNING, f"Failed{verb.title()}",
                              f"{verb} Pod {pod_name} in StatefulSet {set_name} failed error: {err}")

    async def create_claims(self, sts, action: CreateClaims) -> None:
        pod, set_name, errors = action.pod.metadata.name, sts.metadata.name, []
        for claim in action.claims:
            try:
                created = await self.client.create(claim)
            except ApiError as e:
                if is_already_exists(e):  # made meanwhile (or our cache lags): reuse it as it is
                    continue
                errors.append(f"failed to create PVC {claim.metadata.name}: {e}")
                self.events.event(sts, WARNING, "FailedCreate", f"create Claim {claim.metadata.name} for Pod {pod} "
                                  f"in StatefulSet {set_name} failed error: {e}")
                continue
            self.on_write("PersistentVolumeClaim", created)
            log.info("created claim statefulset=%s/%s claim=%s pod=%s", sts.metadata.namespace, set_name,
                     claim.metadata.name, pod)
            self.events.event(sts, NORMAL, "SuccessfulCreate",
                              f"create Claim {claim.metadata.name} Pod {pod} in StatefulSet {set_name} success")
        errors += [f"pvc {name} is being deleted" for name in action.terminating]
        if errors:
            err = ClaimError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
            if action.verb:
                self._pod_event(action.verb, sts, pod, err)
            raise err

    async def create_pod(self, sts, pod) -> None:
        try:
            created = await self.client.create(pod)
        except ApiError as e:
            if not is_already_exists(e):  # Kubernetes sinks AlreadyExists: no event, but a retry
                self._pod_event("create", sts, pod.metadata.name, e)
            raise
        self.on_write("Pod", created)
        log.info("created pod statefulset=%s/%s pod=%s revision=%s", sts.metadata.namespace, sts.metadata.name,
                 pod.metadata.name, pod.metadata.labels.get("controller-revision-hash", ""))
        self._pod_event("create", sts, pod.metadata.name, None)

    async def update_pod(self, sts, pod) -> None:
        try:
            updated = await self.client.update(pod)
        except ApiError as e:
            self._pod_event("update", sts, pod.metadata.name, e)
            raise
        self.on_write("Pod", updated)
        self._pod_event("update", sts, pod.metadata.name, None)

    async def update_claim(self, sts, action: UpdateClaim) -> None:
        name = action.claim.metadata.name
        if action.conflicting:
            self.events.event(sts, WARNING, "ConflictingController", CONFLICTING_CONTROLLER.format(name))
        if not action.write:
            return
        try:
            updated = await self.client.update(action.claim)
        except ApiError as e:
            if is_not_found(e):
                return  # gone meanwhile: picked up by a later sync
            err = ApiError(e.code, e.reason, f"could not update claim {name} for delete policy ownerRefs: {e}")
            self._pod_event("update", sts, action.pod.metadata.name, err)
            raise err from e
        self.on_write("PersistentVolumeClaim", updated)
        log.info("claim ownerReferences follow the retention policy statefulset=%s/%s claim=%s owners=%s",
                 sts.metadata.namespace, sts.metadata.name, name,
                 ",".join(f"{r.kind}/{r.name}" for r in updated.metadata.owner_references) or "none")

    async def delete_pod(self, sts, pod, reason: str) -> None:
        try:
            obj, _gone = await self.client.delete("Pod", pod.metadata.name, pod.metadata.namespace,
                                                  uid=pod.metadata.uid or None)
        except ApiError as e:
            if is_not_found(e) or is_precondition_failed(e):
                return  # already gone (and perhaps recreated: that one is not ours to delete)
            self._pod_event("delete", sts, pod.metadata.name, e)
            raise
        self.on_write("Pod", obj)
        log.info("deleted pod statefulset=%s/%s pod=%s for=%s", sts.metadata.namespace, sts.metadata.name,
                 pod.metadata.name, reason)
        self._pod_event("delete", sts, pod.metadata.name, None)
