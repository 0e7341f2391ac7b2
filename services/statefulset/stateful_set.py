"""The StatefulSet controller's plumbing (k/k `stateful_set.go`): which keys to reconcile when objects
change, and `reconcile(key)`: read the snapshot from the informer caches, adopt and release, settle the
revisions, ask `control.plan_sync` what to do, do it, write the status, trim the history.

Handlers only map objects to set keys: a pod or revision to its controlling set (an orphan pod to every
set in its namespace whose selector matches it), a claim to the sets whose selector matches its labels
(claims carry them) or that own it. Reconcile never acts on an event's payload.

Expectations: each write's resourceVersion is remembered per set, and a sync waits until the informers
have caught up with it (resourceVersions are one global counter), so a lagging cache never makes a sync
create, delete or bump twice.
"""
from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.api.v1 import apps_pb2
from kubelab.controller import Result, TerminalError, controller_owner_key
from kubelab.errors import ApiError, is_conflict, is_not_found
from kubelab.events import WARNING, EventRecorder
from kubelab.informer import BY_NAMESPACE, InformerFactory, key_of
from kubelab.labels import Selector, SelectorError, label_selector_as_selector
from kubelab.meta import controller_of, parse_resource_version, resource_version_of
from kubelab.controller_ref_manager import check_can_adopt, with_controller, without_owner
from services.statefulset import history as hist
from services.statefulset.control import Snapshot, plan_sync
from services.statefulset.history_control import HistoryControl
from services.statefulset.pod_control import StatefulPodControl
from services.statefulset.ref_manager import classify_pods
from services.statefulset.status_updater import StatusUpdater

__all__ = ["StatefulSetReconciler", "CACHE_WAIT_TIMEOUT"]

log = logging.getLogger(__name__)

CACHE_WAIT_TIMEOUT = 30.0
"""Give up waiting for the caches to show our writes after this long (a lost watch event)."""
KINDS = ("StatefulSet", "Pod", "PersistentVolumeClaim", "ControllerRevision")

_syncing: contextvars.ContextVar[str] = contextvars.ContextVar("statefulset_key", default="")
"""The key the current task reconciles (several workers interleave; each worker is its own task)."""


class StatefulSetReconciler:
    def __init__(self, client, informers: InformerFactory, events: EventRecorder, *,
                 clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic):
        self.client, self.events, self.clock, self.monotonic = client, events, clock, monotonic
        self.informers = {kind: informers.informer(kind) for kind in KINDS}
        self.sets = self.informers["StatefulSet"]
        self._writes: dict[str, tuple[float, dict[str, int]]] = {}
        self.pod_control = StatefulPodControl(client, events, self._wrote)
        self.history = HistoryControl(client, self._wrote)
        self.status_updater = StatusUpdater(client, self._wrote)

    # --- handlers: objects -> set keys ------------------------------------------------------------------

    def _matching_sets(self, obj: Message) -> list[str]:
        keys = []
        for sts in self.sets.by_index(BY_NAMESPACE, obj.metadata.namespace):
            try:
                if label_selector_as_selector(sts.spec.selector).matches(obj.metadata.labels):
                    keys.append(key_of(sts))
            except SelectorError:
                continue
        return keys

    def pod_keys(self, pod: Message) -> list[str]:
        """The controlling set, or (an orphan) every set that could adopt it."""
        ref = controller_of(pod)
        if ref is not None:
            key = controller_owner_key(pod, "StatefulSet")
            return [key] if key else []
        return self._matching_sets(pod)

    def claim_keys(self, claim: Message) -> list[str]:
        owner = controller_owner_key(claim, "StatefulSet")
        return sorted(set(self._matching_sets(claim)) | ({owner} if owner else set()))

    # --- expectations: wait for the caches to show our writes -------------------------------------------

    def _wrote(self, kind: str, obj: Message) -> None:
        rv = resource_version_of(obj, default=None)
        if rv is None:
            return
        started, seen = self._writes.setdefault(_syncing.get(), (self.monotonic(), {}))
        seen[kind] = max(seen.get(kind, 0), rv)

    def caught_up(self, key: str) -> bool:
        started, seen = self._writes.get(key, (0.0, {}))
        lagging = [kind for kind, rv in seen.items()
                   if parse_resource_version(self.informers[kind].resource_version, 0) < rv]
        if not lagging:
            self._writes.pop(key, None)
            return True
        if self.monotonic() - started > CACHE_WAIT_TIMEOUT:
            log.warning("caches did not catch up with our writes, syncing anyway statefulset=%s kinds=%s", key,
                        ",".join(lagging))
            self._writes.pop(key, None)
            return True
        return False

    # --- reconcile ----------------------------------------------------------------------------------------

    async def reconcile(self, key: str) -> Result | None:
        sts = self.sets.get(key)
        if sts is None:
            self._writes.pop(key, None)
            return None
        if not self.caught_up(key):
            return Result(requeue_after=0.5)  # the write's own watch event brings us back sooner
        _syncing.set(key)
        try:
            selector = label_selector_as_selector(sts.spec.selector)
        except SelectorError as e:
            self.events.event(sts, WARNING, "InvalidSelector", f"Error parsing selector: {e}")
            raise TerminalError(f"invalid selector: {e}") from None
        if selector.empty():
            self.events.event(sts, WARNING, "SelectingAll", "This StatefulSet is selecting all pods. "
                              "A non-empty selector is required.")
            return None
        pods = await self._claim_pods(sts, selector)
        revisions = hist.sort_revisions(await self._claim_revisions(sts, selector))
        collision = sts.status.collision_count
        update, collision = await self.history.realize(sts, hist.choose_update_revision(sts, revisions, collision),
                                                       collision)
        current = hist.current_revision(sts, revisions, update)
        claims = {c.metadata.name: c for c in self.informers["PersistentVolumeClaim"].by_index(
            BY_NAMESPACE, sts.metadata.namespace)}
        plan = plan_sync(Snapshot(sts, pods, claims, current, update, collision, self.clock()))
        if plan.waiting:
            log.debug("sync waits statefulset=%s reason=%r", key, plan.waiting)
        failure = None
        try:
            await self.pod_control.run(sts, plan.steps)
        except Exception as e:  # the status is written even when an action failed
            failure = e
        try:
            await self.status_updater.update_status(sts, plan.status)
        except ApiError as e:
            if not is_conflict(e) or failure is not None:
                raise failure or e
            log.debug("status conflict, the set changed meanwhile statefulset=%s", key)
            return Result(requeue=True)  # the change's own event brings the set back at once
        old = hist.revisions_to_truncate(sts, (p.metadata.labels.get("controller-revision-hash", "") for p in pods),
                                         revisions, (current.metadata.name, update.metadata.name))
        await self.history.delete(old)
        if failure is not None:
            raise failure
        return Result(requeue_after=plan.requeue_after) if plan.requeue_after is not None else None

    async def _claim_pods(self, sts: apps_pb2.StatefulSet, selector: Selector) -> list:
        claimed = classify_pods(sts, self.informers["Pod"].by_index(BY_NAMESPACE, sts.metadata.namespace),
                                selector)
        pods = list(claimed.owned)
        if claimed.adopt:
            await check_can_adopt(self.client, sts)
        for pod in claimed.adopt:
            adopted = await self._write_owner(with_controller(pod, sts), "adopted")
            if adopted is not None:
                pods.append(adopted)
        for pod in claimed.release:
            await self._write_owner(without_owner(pod, [sts.metadata.uid]), "released")
        return pods

    async def _write_owner(self, obj: Message, what: str) -> Message | None:
        try:
            updated = await self.client.update(obj)
        except ApiError as e:
            if is_not_found(e):
                return None
            raise
        self._wrote(updated.__class__.__name__, updated)
        log.info("%s %s statefulset=%s name=%s", what, updated.__class__.__name__, _syncing.get(),
                 updated.metadata.name)
        return updated

    async def _claim_revisions(self, sts: apps_pb2.StatefulSet, selector: Selector) -> list:
        """The set's revisions: owned ones, and orphans matching the selector (adopted)."""
        revisions = [r for r in self.informers["ControllerRevision"].by_index(BY_NAMESPACE, sts.metadata.namespace)
                     if selector.matches(r.metadata.labels)]
        owned = [r for r in revisions if (ref := controller_of(r)) is not None and ref.uid == sts.metadata.uid]
        orphans = [r for r in revisions if controller_of(r) is None]
        if orphans:
            await check_can_adopt(self.client, sts)
        for rev in orphans:
            owned.append(await self.history.adopt(sts, rev))
        return owned
