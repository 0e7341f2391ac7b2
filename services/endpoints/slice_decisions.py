"""The EndpointSlice controller's decision (staging `k8s.io/endpointslice/reconciler.go`: reconcile,
reconcileByAddressType, reconcileByPortMapping, finalize; `utils.go` getSliceToFill), a pure function of
a snapshot: the Service, the pods its selector matches, the nodes, and the slices labelled with its name
and managed by this controller. It returns the slices to create, update and delete.

1. Managed slices not owned by the Service (another Service of that name, long gone) are deleted, as are
   slices of an address type the Service no longer has.
2. Every pod in endpoints (ShouldPodBeInEndpoints, terminating pods kept) gives one endpoint, grouped by
   its port map: pods whose named ports resolve to different numbers land in different slices. A pod on
   a Node that does not exist is skipped (`skipping Pod ... Node ... Not Found`, and the sync retried)
   unless the Service publishes not-ready addresses.
3. Per port map: endpoints no longer wanted are removed from their slices, changed ones replaced in place;
   a slice left empty is deleted. New endpoints go first into slices already being updated (fullest
   first), then into the unchanged slice that comes closest to full, then into new slices, at most
   `max_endpoints_per_slice` per slice. Untouched slices are not written.
4. A Service with no slice left gets the placeholder: one slice with no endpoints and no ports.
5. Creates that would sit beside deletes become updates of the slices to delete (fewer writes); no
   slice is created for a Service being deleted.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kubelab.api.v1 import core_pb2, discovery_pb2
from kubelab.meta import copy_of
from services.endpoints.slice_endpoints import (EndpointKey, PortKey, endpoint_ports, endpoint_key,
                                                is_placeholder_of, new_endpoint_slice, owned_by, pod_to_endpoint,
                                                port_key, set_trigger_time, slice_labels)
from services.endpoints.utils import address_types, should_pod_be_in_endpoints

__all__ = ["SliceSnapshot", "SlicePlan", "plan_slices", "DEFAULT_MAX_ENDPOINTS_PER_SLICE"]

DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100


@dataclass(frozen=True)
class SliceSnapshot:
    service: core_pb2.Service
    pods: Sequence[core_pb2.Pod]
    """The pods of the Service's namespace its selector matches."""
    nodes: Mapping[str, core_pb2.Node]
    """Nodes by name."""
    slices: Sequence[discovery_pb2.EndpointSlice]
    """Slices labelled with the Service's name and managed by this controller, not being deleted."""
    max_endpoints_per_slice: int = DEFAULT_MAX_ENDPOINTS_PER_SLICE
    trigger_time: str | None = None
    """The last-change-trigger-time annotation for the slices written (None: remove it)."""


@dataclass
class SlicePlan:
    create: list[discovery_pb2.EndpointSlice] = field(default_factory=list)
    update: list[discovery_pb2.EndpointSlice] = field(default_factory=list)
    delete: list[discovery_pb2.EndpointSlice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Pods skipped, each worded as upstream's error; the sync is retried."""

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)


@dataclass
class _Group:
    """The desired endpoints of one port map, in a stable order."""
    ports: list[discovery_pb2.EndpointSlicePort]
    endpoints: dict[EndpointKey, discovery_pb2.Endpoint] = field(default_factory=dict)


def _desired(snap: SliceSnapshot, address_type: str, plan: SlicePlan) -> dict[PortKey, _Group]:
    svc = snap.service
    groups: dict[PortKey, _Group] = {}
    for pod in sorted(snap.pods, key=lambda p: p.metadata.name):
        if not should_pod_be_in_endpoints(pod, include_terminating=True):
            continue
        ports = endpoint_ports(svc, pod)
        group = groups.setdefault(port_key(ports), _Group(ports))
        node = snap.nodes.get(pod.spec.node_name)
        if node is None and not svc.spec.publish_not_ready_addresses:
            plan.errors.append(f"skipping Pod {pod.metadata.name} for Service {svc.metadata.namespace}/"
                               f"{svc.metadata.name}: Node {pod.spec.node_name} Not Found")
            continue
        ep = pod_to_endpoint(pod, node, svc, address_type)
        if ep.addresses:
            group.endpoints[endpoint_key(ep)] = ep
    return groups


def _slice_to_fill(slices: list[discovery_pb2.EndpointSlice], n: int, limit: int):
    """getSliceToFill: the slice that would come closest to full with n more endpoints."""
    best, best_diff = None, limit
    for es in slices:
        diff = limit - (n + len(es.endpoints))
        if 0 <= diff < best_diff:
            best, best_diff = es, diff
            if diff == 0:
                break
    return best


def _fill(es: discovery_pb2.EndpointSlice, wanted: dict[EndpointKey, discovery_pb2.Endpoint], limit: int) -> None:
    while wanted and len(es.endpoints) < limit:
        es.endpoints.append(wanted.pop(next(iter(wanted))))


def _by_port_map(snap: SliceSnapshot, existing: list[discovery_pb2.EndpointSlice], group: _Group,
                 address_type: str, plan: SlicePlan) -> None:
    """reconcileByPortMapping for one port map."""
    limit, labels = snap.max_endpoints_per_slice, slice_labels(snap.service)
    wanted = dict(group.endpoints)
    to_update: list[discovery_pb2.EndpointSlice] = []
    unchanged: list[discovery_pb2.EndpointSlice] = []
    for es in existing:
        kept, changed = [], False
        for ep in es.endpoints:
            got = wanted.pop(endpoint_key(ep), None)
            if got is not None:
                kept.append(got)
                changed = changed or got != ep
        if changed or len(kept) != len(es.endpoints):
            if not kept:
                plan.delete.append(es)
                continue
            es = copy_of(es)
            del es.endpoints[:]
            es.endpoints.extend(kept)
            _relabel(es, labels)
            to_update.append(es)
        elif dict(es.metadata.labels) != labels:
            es = copy_of(es)
            _relabel(es, labels)
            to_update.append(es)
        else:
            unchanged.append(es)
    for es in sorted(to_update, key=lambda s: -len(s.endpoints)):  # the fullest first
        _fill(es, wanted, limit)
    while wanted:
        target = _slice_to_fill(unchanged, len(wanted), limit) if len(wanted) < limit else None
        if target is None:
            target = new_endpoint_slice(snap.service, address_type, group.ports)
            plan.create.append(target)
        else:
            unchanged.remove(target)
            target = copy_of(target)
            to_update.append(target)
        _fill(target, wanted, limit)
    plan.update.extend(to_update)


def _relabel(es: discovery_pb2.EndpointSlice, labels: dict[str, str]) -> None:
    es.metadata.labels.clear()
    es.metadata.labels.update(labels)


def _by_address_type(snap: SliceSnapshot, address_type: str, existing: list[discovery_pb2.EndpointSlice],
                     plan: SlicePlan) -> None:
    svc = snap.service
    deletes_before, creates_before = len(plan.delete), len(plan.create)
    by_ports: dict[PortKey, list[discovery_pb2.EndpointSlice]] = {}
    for es in existing:
        if owned_by(es, svc):
            by_ports.setdefault(port_key(es.ports), []).append(es)
        else:
            plan.delete.append(es)
    groups = _desired(snap, address_type, plan)
    for key, group in groups.items():
        _by_port_map(snap, by_ports.get(key, []), group, address_type, plan)
    for key, slices in by_ports.items():
        if key not in groups:
            plan.delete.extend(slices)
    deleted = plan.delete[deletes_before:]
    if len(existing) == len(deleted) and len(plan.create) == creates_before:
        if len(deleted) == 1 and is_placeholder_of(deleted[0], svc, address_type):
            plan.delete.pop()  # the placeholder is already there
        else:
            plan.create.append(new_endpoint_slice(svc, address_type, []))


def _finalize(snap: SliceSnapshot, plan: SlicePlan) -> None:
    """Turn creates into updates of slices about to be deleted; no creates for a Service being deleted;
    the trigger time on everything written."""
    i = 0
    while i < len(plan.delete) and plan.create:
        doomed, new = plan.delete[i], plan.create[-1]
        if owned_by(doomed, snap.service) and doomed.address_type == new.address_type:
            new.metadata.name = doomed.metadata.name
            new.metadata.uid = doomed.metadata.uid
            new.metadata.resource_version = doomed.metadata.resource_version
            new.metadata.creation_timestamp.CopyFrom(doomed.metadata.creation_timestamp)
            plan.create.pop()
            plan.update.append(new)
            plan.delete.pop(i)
        else:
            i += 1
    if snap.service.metadata.HasField("deletion_timestamp"):
        plan.create.clear()
    for es in (*plan.create, *plan.update):
        set_trigger_time(es, snap.trigger_time)


def plan_slices(snap: SliceSnapshot) -> SlicePlan:
    plan = SlicePlan()
    types = address_types(snap.service)
    for es in snap.slices:
        if es.address_type not in types:
            plan.delete.append(es)
    for address_type in types:
        _by_address_type(snap, address_type, [es for es in snap.slices if es.address_type == address_type], plan)
    _finalize(snap, plan)
    return plan
