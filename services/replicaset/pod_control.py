"""A ReplicaSet's effects on pods (k/k `RealPodControl`, `GetPodFromTemplate`, `slowStartBatch`):
create pods from the template in slow-start batches, delete chosen pods, and say so in events
(`SuccessfulCreate` "Created pod: web-7d4b9-x2x7q", `SuccessfulDelete`, `FailedCreate`, `FailedDelete`).

Expectations are lowered here for every create or delete that the informer will never observe
(it failed) or may never observe (it was cut short: leadership lost while the API server was away, or
shutdown), so neither can wedge the ReplicaSet until the expectations expire.
"""
from __future__ import annotations

import asyncio
import logging

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.errors import ApiError, is_conflict, is_not_found
from kubelab.events import NORMAL, WARNING, EventRecorder
from kubelab.expectations import UIDTrackingExpectations
from kubelab.meta import new_controller_ref

from services.replicaset.replica_set_control import slow_start_batches

__all__ = ["PodControl", "new_pod", "pod_key"]

log = logging.getLogger(__name__)


def pod_key(pod: core_pb2.Pod) -> str:
    return f"{pod.metadata.namespace}/{pod.metadata.name}"


def new_pod(rs: apps_pb2.ReplicaSet) -> core_pb2.Pod:
    """A pod from the set's template: its labels, annotations and finalizers, generateName `<rs>-`, and the
    set as controller."""
    tpl = rs.spec.template
    pod = core_pb2.Pod()
    pod.metadata.namespace = rs.metadata.namespace
    pod.metadata.generate_name = f"{rs.metadata.name}-"
    pod.metadata.labels.update(tpl.metadata.labels)
    pod.metadata.annotations.update(tpl.metadata.annotations)
    pod.metadata.finalizers.extend(tpl.metadata.finalizers)
    pod.metadata.owner_references.append(new_controller_ref(rs))
    pod.spec.CopyFrom(tpl.spec)
    return pod


class PodControl:
    def __init__(self, client, events: EventRecorder, expectations: UIDTrackingExpectations):
        self.client, self.events, self.expectations = client, events, expectations

    async def create_pods(self, rs: apps_pb2.ReplicaSet, key: str, count: int) -> Exception | None:
        """Create `count` pods in slow-start batches; the first failing batch ends it. Returns the error."""
        self.expectations.expect_creations(key, count)
        unsettled = count
        """Creates neither done nor failed: the informer may never see them if we stop now."""
        try:
            for size in slow_start_batches(count):
                results = await asyncio.gather(*(self._create(rs) for _ in range(size)), return_exceptions=True)
                errors = [r for r in results if isinstance(r, BaseException)]
                unsettled -= size
                for _ in errors:
                    self.expectations.creation_observed(key)
                if errors:
                    for _ in range(unsettled):  # never attempted
                        self.expectations.creation_observed(key)
                    unsettled = 0
                    return errors[0]
        except asyncio.CancelledError:
            # Leadership lost (the API server went away mid-batch) or shutting down: the creates cut
            # short must not hold the next sync back until the expectations expire (5 minutes). One
            # that was stored all the same is observed too; the count then goes below zero, which
            # also counts as satisfied.
            for _ in range(unsettled):
                self.expectations.creation_observed(key)
            raise
        return None

    async def _create(self, rs: apps_pb2.ReplicaSet) -> None:
        pod = new_pod(rs)
        if not pod.metadata.labels:
            raise ValueError("unable to create pods, no labels")
        try:
            created = await self.client.create(pod)
        except ApiError as e:
            self.events.event(rs, WARNING, "FailedCreate", f"Error creating: {e}")
            raise
        log.info("created pod replicaset=%s/%s pod=%s", rs.metadata.namespace, rs.metadata.name,
                 created.metadata.name)
        self.events.event(rs, NORMAL, "SuccessfulCreate", f"Created pod: {created.metadata.name}")

    async def delete_pods(self, rs: apps_pb2.ReplicaSet, key: str, pods: list[core_pb2.Pod]) -> Exception | None:
        """Delete the chosen pods at once; returns the first error other than NotFound."""
        self.expectations.expect_pod_deletions(key, (pod_key(p) for p in pods))
        try:
            results = await asyncio.gather(*(self._delete(rs, key, p) for p in pods), return_exceptions=True)
        except asyncio.CancelledError:  # as in create_pods; each pod's deletion counts once however seen
            for p in pods:
                self.expectations.pod_deletion_observed(key, pod_key(p))
            raise
        return next((r for r in results if isinstance(r, BaseException)), None)

    async def _delete(self, rs: apps_pb2.ReplicaSet, key: str, pod: core_pb2.Pod) -> None:
        name = pod.metadata.name
        try:
            await self.client.delete("Pod", name, pod.metadata.namespace, uid=pod.metadata.uid)
        except ApiError as e:
            self.expectations.pod_deletion_observed(key, pod_key(pod))  # the informer will not see it
            if is_not_found(e) or is_conflict(e):
                return  # already gone, or replaced by another pod of the same name
            self.events.event(rs, WARNING, "FailedDelete", f"Error deleting: {e}")
            raise
        log.info("deleted pod replicaset=%s/%s pod=%s", rs.metadata.namespace, rs.metadata.name, name)
        self.events.event(rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {name}")
