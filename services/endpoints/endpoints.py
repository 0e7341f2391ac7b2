"""The legacy Endpoints controller's plumbing (k/k `pkg/controller/endpoint/endpoints_controller.go`):
handlers map Services and pods to Service keys; `reconcile(key)` writes the Endpoints object
`endpoints_decisions.desired_endpoints` asks for, or deletes it when the Service is gone.

Endpoints carry no ownerReferences, so this controller deletes them itself: when a Service's deletion is
seen, and (upstream's checkLeftoverEndpoints) for every Endpoints object once its caches have synced,
which catches Services deleted while it was not running. An Endpoints object that is deleted is
requeued, and recreated if its Service still wants it. Endpoints created by hand for a selector-less
Service are left alone, as are those with a leader-election annotation.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kubelab.controller import Controller, Result
from kubelab.errors import ApiError, is_not_found
from kubelab.events import WARNING, EventRecorder
from kubelab.informer import InformerFactory, key_of, split_key
from kubelab.meta import parse_resource_version
from services.endpoints.endpoints_decisions import desired_endpoints
from services.endpoints.membership import ServiceMembership, pod_endpoints_changed
from services.endpoints.slice_writer import namespace_terminating
from services.endpoints.tracker import WriteTracker
from services.endpoints.trigger_time import TriggerTimeTracker
from services.endpoints.utils import format_trigger_time, handles

__all__ = ["EndpointsReconciler", "LEADER_ANNOTATION"]

log = logging.getLogger(__name__)

LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"


class EndpointsReconciler:
    def __init__(self, client, informers: InformerFactory, events: EventRecorder, *,
                 monotonic: Callable[[], float] = time.monotonic):
        self.client, self.events = client, events
        self.members = ServiceMembership(informers)
        self.endpoints = informers.informer("Endpoints")
        self.written = WriteTracker("Endpoints", monotonic)
        self.trigger_times = TriggerTimeTracker()

    def watches(self):
        # Endpoints map to no key here (a deleted one is requeued by `wire`), but as a source their cache
        # is synced before the first reconcile, which must not take an existing object for a missing one.
        return [("Pod", self.members.pod_keys, pod_endpoints_changed), ("Endpoints", lambda ep: [])]

    def wire(self, controller: Controller) -> None:
        """Requeue a deleted Endpoints object's key (onEndpointsDelete): the Service may still want it."""
        self.endpoints.add_event_handler(on_delete=lambda ep: controller.queue.add(key_of(ep)))

    async def check_leftover_endpoints(self, controller: Controller) -> None:
        """Once the caches are in, every Endpoints object's key is synced: those whose Service went while
        this controller was away are deleted."""
        await self.endpoints.wait_for_cache_sync()
        await self.members.services.wait_for_cache_sync()
        for ep in self.endpoints.list():
            if LEADER_ANNOTATION not in ep.metadata.annotations:
                controller.queue.add(key_of(ep))

    async def reconcile(self, key: str) -> Result | None:
        svc = self.members.services.get(key)
        if svc is None:
            return await self._delete(key)
        if not handles(svc):
            return None
        current = self.endpoints.get(key)
        if not self.written.caught_up(key, self.endpoints.resource_version):
            return Result(requeue_after=0.5)
        pods = self.members.pods_of(svc)
        trigger = self.trigger_times.compute(key, svc, pods)
        wanted = desired_endpoints(svc, pods, current, format_trigger_time(*trigger) if trigger else None)
        if wanted is None:
            return None
        try:
            written = await (self.client.update(wanted) if current is not None else self.client.create(wanted))
        except ApiError as e:
            if current is None and namespace_terminating(e):
                return None
            if current is None:
                self.events.event(wanted, WARNING, "FailedToCreateEndpoint",
                                  f"Failed to create endpoint for service {key}: {e}")
            else:
                self.events.event(wanted, WARNING, "FailedToUpdateEndpoint", f"Failed to update endpoint {key}: {e}")
            raise
        self.written.wrote(key, written)
        log.info("%s Endpoints service=%s subsets=%d", "updated" if current else "created", key, len(written.subsets))
        return None

    async def _delete(self, key: str) -> Result | None:
        self.trigger_times.forget(key)
        ep = self.endpoints.get(key)
        if ep is None or LEADER_ANNOTATION in ep.metadata.annotations:
            self.written.forget(key)
            return None
        seen = parse_resource_version(self.members.services.resource_version, 0)
        if seen < parse_resource_version(ep.metadata.resource_version, 0):
            return Result(requeue_after=0.5)  # the Service cache may not show a Service made just before
        namespace, name = split_key(key)
        try:
            gone, _ = await self.client.delete("Endpoints", name, namespace, uid=ep.metadata.uid)
        except ApiError as e:
            if is_not_found(e):
                return None
            raise
        self.written.wrote(key, gone)
        log.info("deleted Endpoints of a deleted Service service=%s", key)
        return None
