"""The ReplicaSet controller's plumbing (k/k `replica_set.go`): which keys to sync when pods and sets
change, and `reconcile(key)`: claim pods (adopt matching orphans, release pods that stop matching), ask
`replica_set_control` what to do, do it through `PodControl`, write the status.

Handlers only map objects to set keys and keep the expectations: a pod to its controlling set (an orphan
to every set in its namespace whose selector matches it). Expectations (`UIDTrackingExpectations`):
before creating N pods the set expects N creations, and the pod handler counts them off as the cache
sees them; until then a sync only writes status, so a lagging cache never creates a pod twice.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.controller import Result, TerminalError
from kubelab.errors import ApiError, is_conflict, is_not_found
from kubelab.events import EventRecorder
from kubelab.expectations import UIDTrackingExpectations
from kubelab.informer import BY_NAMESPACE, InformerFactory, key_of
from kubelab.labels import Selector, SelectorError, label_selector_as_selector
from kubelab.meta import controller_of, is_terminating
from kubelab.controller_ref_manager import check_can_adopt, claim_objects, with_controller, without_owner
from services.replicaset.pod_control import PodControl, pod_key
from services.replicaset.podutil import is_active
from services.replicaset.replica_set_control import (BURST_REPLICAS, calculate_status, desired_replicas,
                                                     min_ready_requeue, plan_replicas)

__all__ = ["ReplicaSetReconciler"]

log = logging.getLogger(__name__)


class ReplicaSetReconciler:
    def __init__(self, client, informers: InformerFactory, events: EventRecorder, *,
                 clock: Callable[[], float] = time.time, burst: int = BURST_REPLICAS):
        self.client, self.events, self.clock, self.burst = client, events, clock, burst
        self.sets = informers.informer("ReplicaSet")
        self.pods = informers.informer("Pod")
        self.expectations = UIDTrackingExpectations()
        self.pod_control = PodControl(client, events, self.expectations)
        self.pods.add_event_handler(on_add=self._pod_added, on_update=self._pod_updated,
                                    on_delete=self._pod_deleted)

    # --- handlers: pods -> set keys, and the expectations ----------------------------------------------

    def _controlling_set(self, pod: core_pb2.Pod) -> str | None:
        ref = controller_of(pod)
        if ref is None or ref.kind != "ReplicaSet":
            return None
        key = f"{pod.metadata.namespace}/{ref.name}"
        rs = self.sets.get(key)
        return key if rs is not None and rs.metadata.uid == ref.uid else None

    def pod_keys(self, pod: core_pb2.Pod) -> list[str]:
        """The controlling set, or (an orphan) every set that could adopt it."""
        if controller_of(pod) is not None:
            key = self._controlling_set(pod)
            return [key] if key else []
        keys = []
        for rs in self.sets.by_index(BY_NAMESPACE, pod.metadata.namespace):
            try:
                if label_selector_as_selector(rs.spec.selector).matches(pod.metadata.labels):
                    keys.append(key_of(rs))
            except SelectorError:
                continue
        return keys

    def _pod_added(self, pod: core_pb2.Pod) -> None:
        key = self._controlling_set(pod)
        if key is None:
            return
        if is_terminating(pod):  # seen first while already going (a restart): not a creation
            self.expectations.pod_deletion_observed(key, pod_key(pod))
        else:
            self.expectations.creation_observed(key)

    def _pod_updated(self, old: core_pb2.Pod, new: core_pb2.Pod) -> None:
        if is_terminating(new):  # a graceful delete: replace the pod now, not when the kubelet is done
            for pod in (new, old):
                key = self._controlling_set(pod)
                if key is not None:
                    self.expectations.pod_deletion_observed(key, pod_key(pod))

    def _pod_deleted(self, pod: core_pb2.Pod) -> None:
        key = self._controlling_set(pod)
        if key is not None:
            self.expectations.pod_deletion_observed(key, pod_key(pod))

    # --- reconcile --------------------------------------------------------------------------------------

    async def reconcile(self, key: str) -> Result | None:
        rs = self.sets.get(key)
        if rs is None:
            self.expectations.delete_expectations(key)
            return None
        needs_sync = self.expectations.satisfied(key)
        try:
            selector = label_selector_as_selector(rs.spec.selector)
        except SelectorError as e:
            raise TerminalError(f"invalid selector: {e}") from None
        active = [p for p in self.pods.by_index(BY_NAMESPACE, rs.metadata.namespace) if is_active(p)]
        pods = await self._claim_pods(rs, selector, active)
        now = self.clock()
        failure: Exception | None = None
        if needs_sync and not is_terminating(rs):
            failure = await self._manage_replicas(rs, key, pods, now)
        elif not needs_sync:
            log.debug("expectations not met, status only replicaset=%s", key)
        status = calculate_status(rs, pods, str(failure) if failure else None, now)
        if status != rs.status:
            rs.status.CopyFrom(status)
            try:
                await self.client.update_status(rs)
            except ApiError as e:
                if is_not_found(e):
                    return None
                if not is_conflict(e) or failure is not None:
                    raise failure or e
                return Result(requeue=True)  # the set changed meanwhile; its own event brings it back
        if failure is not None:
            raise failure
        wait = min_ready_requeue(rs, status, pods, now)
        return Result(requeue_after=wait) if wait is not None else None

    async def _manage_replicas(self, rs: apps_pb2.ReplicaSet, key: str, pods: list, now: float) -> Exception | None:
        related = self._related_pods(rs) if len(pods) > desired_replicas(rs) else []
        plan = plan_replicas(rs, pods, related, now, self.burst)
        if plan.create:
            log.info("too few replicas replicaset=%s need=%d creating=%d", key, desired_replicas(rs), plan.create)
            return await self.pod_control.create_pods(rs, key, plan.create)
        if plan.delete:
            log.info("too many replicas replicaset=%s need=%d deleting=%d", key, desired_replicas(rs),
                     len(plan.delete))
            return await self.pod_control.delete_pods(rs, key, plan.delete)
        return None

    def _related_pods(self, rs: apps_pb2.ReplicaSet) -> list[core_pb2.Pod]:
        """Pods of every set with the same controller (a Deployment's sets), for co-location ranks."""
        owner = controller_of(rs)
        if owner is None:
            return []
        seen: dict[str, core_pb2.Pod] = {}
        for other in self.sets.by_index(BY_NAMESPACE, rs.metadata.namespace):
            ref = controller_of(other)
            if ref is None or ref.uid != owner.uid:
                continue
            try:
                selector = label_selector_as_selector(other.spec.selector)
            except SelectorError:
                continue
            for pod in self.pods.by_index(BY_NAMESPACE, rs.metadata.namespace):
                if selector.matches(pod.metadata.labels):
                    seen.setdefault(pod.metadata.uid, pod)
        return list(seen.values())

    # --- adoption and release ---------------------------------------------------------------------------

    async def _claim_pods(self, rs: apps_pb2.ReplicaSet, selector: Selector, active: list) -> list:
        claimed = claim_objects(rs, active, lambda p: selector.matches(p.metadata.labels))
        pods = list(claimed.owned)
        if claimed.adopt:
            await check_can_adopt(self.client, rs)
        for pod in claimed.adopt:
            adopted = await self._write_owner(with_controller(pod, rs), "adopted", rs)
            if adopted is not None:
                pods.append(adopted)
        for pod in claimed.release:
            await self._write_owner(without_owner(pod, [rs.metadata.uid]), "released", rs)
        return pods

    async def _write_owner(self, pod: core_pb2.Pod, what: str, rs: apps_pb2.ReplicaSet) -> core_pb2.Pod | None:
        try:
            updated = await self.client.update(pod)
        except ApiError as e:
            if is_not_found(e):
                return None
            raise
        log.info("%s pod replicaset=%s pod=%s", what, key_of(rs), pod.metadata.name)
        return updated
