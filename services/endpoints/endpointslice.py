"""The EndpointSlice controller's plumbing (k/k `pkg/controller/endpointslice/endpointslice_controller.go`):
which Service keys to sync when objects change, and `reconcile(key)`: read the snapshot from the caches,
ask `slice_decisions.plan_slices`, write the plan with `SliceWriter`.

Handlers only map objects to Service keys: a Service to itself; a pod to the Services whose selector
matches it (before and after a label change); a Node to the Services of its pods (its zone is in their
endpoints, and a Node appearing lets a skipped pod in); a slice to the Service named by its
`kubernetes.io/service-name` label when this controller manages it. Reconcile never acts on an event.

A Service that is gone needs nothing: its slices carry an ownerReference to it and the garbage collector
removes them. Selector-less and ExternalName Services are left alone (their slices are hand-made).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kubelab.api.v1 import core_pb2, discovery_pb2
from kubelab.controller import Result
from kubelab.events import WARNING, EventRecorder
from kubelab.informer import BY_NAMESPACE, InformerFactory
from services.endpoints.membership import ServiceMembership, pod_endpoints_changed
from services.endpoints.slice_decisions import DEFAULT_MAX_ENDPOINTS_PER_SLICE, SliceSnapshot, plan_slices
from services.endpoints.slice_writer import SliceWriter
from services.endpoints.tracker import WriteTracker
from services.endpoints.trigger_time import TriggerTimeTracker
from services.endpoints.utils import (CONTROLLER_NAME, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, format_trigger_time,
                                      handles)

__all__ = ["EndpointSliceReconciler", "SyncError"]

log = logging.getLogger(__name__)


class SyncError(Exception):
    """Some of a sync failed; the message aggregates the failures as utilerrors.NewAggregate does."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")


class EndpointSliceReconciler:
    def __init__(self, client, informers: InformerFactory, events: EventRecorder, *,
                 max_endpoints_per_slice: int = DEFAULT_MAX_ENDPOINTS_PER_SLICE,
                 monotonic: Callable[[], float] = time.monotonic):
        self.events, self.max_endpoints_per_slice = events, max_endpoints_per_slice
        self.members = ServiceMembership(informers)
        self.nodes = informers.informer("Node")
        self.slices = informers.informer("EndpointSlice")
        self.written = WriteTracker("EndpointSlice", monotonic)
        self.trigger_times = TriggerTimeTracker()
        self.writer = SliceWriter(client, self.written.wrote)

    def watches(self):
        return [("Pod", self.members.pod_keys, pod_endpoints_changed), ("Node", self.members.node_keys),
                ("EndpointSlice", self.slice_keys)]

    def slice_keys(self, es: discovery_pb2.EndpointSlice) -> list[str]:
        name = es.metadata.labels.get(SERVICE_NAME_LABEL)
        if not name or es.metadata.labels.get(MANAGED_BY_LABEL) != CONTROLLER_NAME:
            return []
        return [f"{es.metadata.namespace}/{name}"]

    def _managed_slices(self, svc: core_pb2.Service) -> list[discovery_pb2.EndpointSlice]:
        """The Service's slices this controller manages, but those being deleted (they must not block it)."""
        return [es for es in self.slices.by_index(BY_NAMESPACE, svc.metadata.namespace)
                if es.metadata.labels.get(SERVICE_NAME_LABEL) == svc.metadata.name
                and es.metadata.labels.get(MANAGED_BY_LABEL) == CONTROLLER_NAME
                and not es.metadata.HasField("deletion_timestamp")]

    async def reconcile(self, key: str) -> Result | None:
        svc = self.members.services.get(key)
        if svc is None:
            self.trigger_times.forget(key)
            self.written.forget(key)
            return None
        if not handles(svc):
            return None
        if not self.written.caught_up(key, self.slices.resource_version):
            return Result(requeue_after=0.5)  # the write's own watch event brings us back sooner
        pods = self.members.pods_of(svc)
        trigger = self.trigger_times.compute(key, svc, pods)
        nodes = {name: node for name in {p.spec.node_name for p in pods} if (node := self.nodes.get(name))}
        snap = SliceSnapshot(svc, pods, nodes, self._managed_slices(svc), self.max_endpoints_per_slice,
                             format_trigger_time(*trigger) if trigger else None)
        plan = plan_slices(snap)
        errors = plan.errors + await self.writer.apply(key, svc, plan)
        if errors:
            err = SyncError(errors)
            self.events.event(svc, WARNING, "FailedToUpdateEndpointSlices",
                              f"Error updating Endpoint Slices for Service {key}: {err}")
            raise err
        return None
