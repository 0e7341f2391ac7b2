"""Namespace, Node and Event (k/k core validation; Service is in service.py, Endpoints in endpoints.py)."""
from __future__ import annotations

from dataclasses import replace

from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import Path, duplicate, forbidden, invalid, not_supported, required
from kubelab.validation_names import is_valid_label_value, name_is_dns_subdomain

from .common import Errors, go_struct
from .meta import (
    name_rule, validate_finalizer_name, validate_label_name, validate_object_meta, validate_object_meta_update,
)
from .resources import validate_resource_quantity

__all__ = [
    "validate_namespace", "validate_namespace_status_update", "validate_node", "validate_node_update",
    "validate_event",
]

_TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]


def validate_namespace(ns: core_pb2.Namespace) -> Errors:
    errs = validate_object_meta(ns.metadata, False, name_rule("Namespace"))
    for f in ns.spec.finalizers:
        errs += validate_finalizer_name(f, Path("spec", "finalizers"))
    return errs


def validate_namespace_status_update(new: core_pb2.Namespace, old: core_pb2.Namespace) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata)
    phase = Path("status", "Phase")
    if not new.metadata.HasField("deletion_timestamp"):
        if new.status.phase != "Active":
            errs.append(invalid(phase, new.status.phase, "may only be 'Active' if `deletionTimestamp` is empty"))
    elif new.status.phase != "Terminating":
        errs.append(invalid(phase, new.status.phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"))
    return errs


def _taints(taints, path: Path) -> Errors:
    errs: Errors = []
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(taints):
        p = path.index(i)
        errs += validate_label_name(t.key, p.child("key"))
        msgs = is_valid_label_value(t.value)
        if msgs:
            errs.append(invalid(p.child("value"), t.value, ";".join(msgs)))
        if not t.effect:
            errs.append(required(p.child("effect")))
        elif t.effect not in _TAINT_EFFECTS:
            errs.append(not_supported(p.child("effect"), t.effect, _TAINT_EFFECTS))
        if (t.key, t.effect) in seen:
            errs.append(replace(duplicate(p, go_struct(t)), detail="taints must be unique by key and effect pair"))
            continue
        seen.add((t.key, t.effect))
    return errs


def _node_resources(node: core_pb2.Node) -> Errors:
    errs: Errors = []
    for field in ("capacity", "allocatable"):
        for name, text in getattr(node.status, field).items():
            errs += validate_resource_quantity(name, text, Path("status", field, name))
    return errs


def validate_node(node: core_pb2.Node) -> Errors:
    meta = Path("metadata")
    errs = validate_object_meta(node.metadata, False, name_rule("Node"))
    errs += _taints(node.spec.taints, meta.child("taints"))  # Kubernetes reports them under metadata
    errs += _node_resources(node)
    cidrs = Path("spec", "podCIDRs")
    for i, value in enumerate(node.spec.pod_cidrs):
        if "/" not in value:
            errs.append(invalid(cidrs.index(i), value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
    return errs


def validate_node_update(new: core_pb2.Node, old: core_pb2.Node) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata) + _node_resources(new)
    seen: set[tuple[str, str]] = set()
    for i, addr in enumerate(new.status.addresses):
        if (addr.type, addr.address) in seen:
            errs.append(duplicate(Path("status", "addresses").index(i), go_struct(addr)))
        seen.add((addr.type, addr.address))
    if old.spec.pod_cidrs and list(old.spec.pod_cidrs) != list(new.spec.pod_cidrs):
        errs.append(forbidden(Path("spec", "podCIDRs"), 'node updates may not change podCIDR except from "" to valid'))
    if old.spec.provider_id and old.spec.provider_id != new.spec.provider_id:
        errs.append(forbidden(Path("spec", "providerID"),
                              'node updates may not change providerID except from "" to valid'))
    return errs + _taints(new.spec.taints, Path("metadata", "taints"))


def validate_event(ev: core_pb2.Event) -> Errors:
    """Events: metadata, and an involved object in the event's own namespace."""
    errs = validate_object_meta(ev.metadata, True, name_is_dns_subdomain)
    involved = ev.involved_object.namespace
    if involved and involved != ev.metadata.namespace:
        errs.append(invalid(Path("involvedObject", "namespace"), involved, "does not match event.namespace"))
    return errs
