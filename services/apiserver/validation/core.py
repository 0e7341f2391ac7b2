"""Namespace, Node, Service and Event (k/k core validation)."""
from __future__ import annotations

from dataclasses import replace

from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import Path, duplicate, forbidden, invalid, not_supported, required
from kubelab.validation_names import is_dns1123_label, is_valid_label_value, name_is_dns_subdomain

from .common import Errors, each, go_struct, int_or_string, is_valid_ip, is_valid_port_name, is_valid_port_num
from .meta import (
    name_rule, validate_finalizer_name, validate_label_name, validate_labels, validate_object_meta,
    validate_object_meta_update,
)
from .resources import validate_resource_quantity

__all__ = [
    "validate_namespace", "validate_namespace_status_update", "validate_node", "validate_node_update",
    "validate_service", "validate_service_update", "validate_event",
]

_PROTOCOLS = ["SCTP", "TCP", "UDP"]
_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
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


def _is_headless(svc: core_pb2.Service) -> bool:
    return list(svc.spec.cluster_ips) == ["None"]


def _service_port(sp, require_name: bool, names: set[str], path: Path) -> Errors:
    errs: Errors = []
    if require_name and not sp.name:
        errs.append(required(path.child("name")))
    elif sp.name:
        errs += each([sp.name], is_dns1123_label, path.child("name"))
        if sp.name in names:
            errs.append(duplicate(path.child("name"), sp.name))
        names.add(sp.name)
    errs += [invalid(path.child("port"), sp.port, m) for m in is_valid_port_num(sp.port)]
    if not sp.protocol:
        errs.append(required(path.child("protocol")))
    elif sp.protocol not in _PROTOCOLS:
        errs.append(not_supported(path.child("protocol"), sp.protocol, _PROTOCOLS))
    target = int_or_string(sp.target_port)
    check = is_valid_port_num if isinstance(target, int) else is_valid_port_name
    errs += [invalid(path.child("targetPort"), target, m) for m in check(target)]
    return errs


def _cluster_ips(svc: core_pb2.Service, spec: Path) -> Errors:
    s, errs = svc.spec, []
    field = spec.child("clusterIPs")
    if s.cluster_ip:
        if not s.cluster_ips:
            errs.append(required(field))
        elif s.cluster_ips[0] != s.cluster_ip:
            errs.append(invalid(field, list(s.cluster_ips), "first value must match `clusterIP`"))
    elif s.cluster_ips:
        errs.append(invalid(field, list(s.cluster_ips), "must be empty when `clusterIP` is not specified"))
    for i, ip in enumerate(s.cluster_ips):
        if i == 0 and ip == "None":
            if len(s.cluster_ips) > 1:
                errs.append(invalid(field, list(s.cluster_ips), "'None' must be the first and only value"))
            continue
        errs += is_valid_ip(field.index(i), ip)
    if len(s.cluster_ips) > 2:
        errs.append(invalid(field, list(s.cluster_ips), "may only hold up to 2 values"))
    return errs


def validate_service(svc: core_pb2.Service) -> Errors:
    s, spec = svc.spec, Path("spec")
    errs = validate_object_meta(svc.metadata, True, name_rule("Service"))
    if not s.ports and not _is_headless(svc) and s.type != "ExternalName":
        errs.append(required(spec.child("ports")))
    if s.type in ("LoadBalancer", "NodePort") and _is_headless(svc):
        errs.append(invalid(spec.child("clusterIPs").index(0), "None", f"may not be set to 'None' for {s.type} services"))
    if s.type == "ExternalName":
        if s.cluster_ips:
            errs.append(forbidden(spec.child("clusterIPs"), "may not be set for ExternalName services"))
        cname = s.external_name.removesuffix(".")
        errs += each([cname], name_is_dns_subdomain, spec.child("externalName")) if cname else \
            [required(spec.child("externalName"))]
    names: set[str] = set()
    for i, sp in enumerate(s.ports):
        errs += _service_port(sp, len(s.ports) > 1, names, spec.child("ports").index(i))
    errs += validate_labels(s.selector, spec.child("selector"))
    if not s.session_affinity:
        errs.append(required(spec.child("sessionAffinity")))
    elif s.session_affinity not in ("ClientIP", "None"):
        errs.append(not_supported(spec.child("sessionAffinity"), s.session_affinity, ["ClientIP", "None"]))
    if s.type != "ExternalName":
        errs += _cluster_ips(svc, spec)
    for i, ip in enumerate(s.external_ips):
        errs += is_valid_ip(spec.child("externalIPs").index(i), ip)
    if not s.type:
        errs.append(required(spec.child("type")))
    elif s.type not in _SERVICE_TYPES:
        errs.append(not_supported(spec.child("type"), s.type, _SERVICE_TYPES))
    seen_node_ports: set[tuple[str, int]] = set()
    seen_ports: set[tuple[str, int]] = set()
    for i, sp in enumerate(s.ports):
        p = spec.child("ports").index(i)
        if s.type == "ClusterIP" and sp.node_port:
            errs.append(forbidden(p.child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
        if sp.node_port and (sp.protocol, sp.node_port) in seen_node_ports:
            errs.append(duplicate(p.child("nodePort"), sp.node_port))
        if sp.node_port:
            seen_node_ports.add((sp.protocol, sp.node_port))
        if (sp.protocol, sp.port) in seen_ports:
            key = {"Name": "", "Protocol": sp.protocol, "AppProtocol": None, "Port": sp.port, "TargetPort": 0,
                   "NodePort": 0}
            errs.append(duplicate(p, key))
        seen_ports.add((sp.protocol, sp.port))
    external = s.type in ("NodePort", "LoadBalancer")
    if not external and s.external_traffic_policy:
        errs.append(invalid(spec.child("externalTrafficPolicy"), s.external_traffic_policy,
                            "may only be set for externally-accessible services"))
    elif external and s.external_traffic_policy not in ("Cluster", "Local"):
        errs.append(required(spec.child("externalTrafficPolicy")) if not s.external_traffic_policy else
                    not_supported(spec.child("externalTrafficPolicy"), s.external_traffic_policy, ["Cluster", "Local"]))
    itp = s.internal_traffic_policy
    if not itp and s.type in ("NodePort", "LoadBalancer", "ClusterIP"):
        errs.append(required(spec.child("internalTrafficPolicy")))
    elif itp and itp not in ("Cluster", "Local"):
        errs.append(not_supported(spec.child("internalTrafficPolicy"), itp, ["Cluster", "Local"]))
    return errs


def validate_service_update(new: core_pb2.Service, old: core_pb2.Service) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata)
    external_name = "ExternalName" in (new.spec.type, old.spec.type)
    if not external_name and not (_is_headless(new) and _is_headless(old)):
        old_ips, new_ips = list(old.spec.cluster_ips), list(new.spec.cluster_ips)
        field = Path("spec", "clusterIPs")
        if len(old_ips) == len(new_ips):
            errs += [invalid(field.index(i), new_ips, "may not change once set")
                     for i, ip in enumerate(old_ips) if ip != new_ips[i]]
        elif old_ips and not new_ips:
            errs.append(invalid(field.index(0), new_ips, "primary clusterIP can not be unset"))
        elif old_ips and new_ips and old_ips[0] != new_ips[0]:
            errs.append(invalid(field.index(0), new_ips, "may not change once set"))
    return errs + validate_service(new)


def validate_event(ev: core_pb2.Event) -> Errors:
    """Events: metadata, and an involved object in the event's own namespace."""
    errs = validate_object_meta(ev.metadata, True, name_is_dns_subdomain)
    involved = ev.involved_object.namespace
    if involved and involved != ev.metadata.namespace:
        errs.append(invalid(Path("involvedObject", "namespace"), involved, "does not match event.namespace"))
    return errs
