"""Service (k/k pkg/apis/core/validation/validation.go: ValidateService, validateServicePort,
ValidateServiceClusterIPsRelatedFields, validateUpgradeDowngradeClusterIPs/IPFamilies, validateClientIPAffinityConfig,
the traffic-policy checks). Address allocation errors come from the registry (serviceregistry.py)."""
from __future__ import annotations

import dataclasses
import ipaddress

from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import Path, duplicate, forbidden, invalid, not_supported, required
from kubelab.validation_names import is_dns1123_label, name_is_dns_subdomain

from .common import (
    Errors, each, go_struct, int_or_string, is_valid_cidr, is_valid_ip, is_valid_port_name, is_valid_port_num, validate_endpoint_ip,
    validate_port_protocol, validate_qualified_name,
)
from .meta import name_rule, validate_labels, validate_object_meta, validate_object_meta_update

__all__ = ["validate_service", "validate_service_update", "MAX_CLIENT_IP_AFFINITY_SECONDS"]

_SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_POLICIES = ["Cluster", "Local"]
_IP_FAMILIES = ["IPv4", "IPv6"]
_IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"]
MAX_CLIENT_IP_AFFINITY_SECONDS = 86400
SPEC = Path("spec")
LB_ONLY = "may only be used when `type` is 'LoadBalancer'"


def _is_headless(svc: core_pb2.Service) -> bool:
    return list(svc.spec.cluster_ips) == ["None"]


def _externally_accessible(s: core_pb2.ServiceSpec) -> bool:
    return s.type in ("LoadBalancer", "NodePort") or (s.type == "ClusterIP" and bool(s.external_ips))


def _service_port(sp: core_pb2.ServicePort, require_name: bool, names: set[str], path: Path) -> Errors:
    errs: Errors = []
    if require_name and not sp.name:
        errs.append(required(path.child("name")))
    elif sp.name:
        errs += each([sp.name], is_dns1123_label, path.child("name"))
        if sp.name in names:
            errs.append(duplicate(path.child("name"), sp.name))
        names.add(sp.name)
    errs += [invalid(path.child("port"), sp.port, m) for m in is_valid_port_num(sp.port)]
    errs += validate_port_protocol(sp.protocol or None, None, path)
    target = int_or_string(sp.target_port)  # ValidatePortNumOrName
    check = is_valid_port_num if isinstance(target, int) else is_valid_port_name
    errs += [invalid(path.child("targetPort"), target, m) for m in check(target)]
    if sp.app_protocol:
        errs += validate_qualified_name(sp.app_protocol, path.child("appProtocol"))
    return errs


def _type_rules(svc: core_pb2.Service) -> Errors:
    s, errs = svc.spec, []
    if not s.ports and not _is_headless(svc) and s.type != "ExternalName":
        errs.append(required(SPEC.child("ports")))
    if s.type in ("LoadBalancer", "NodePort") and _is_headless(svc):
        errs.append(invalid(SPEC.child("clusterIPs").index(0), "None",
                            f"may not be set to 'None' for {s.type} services"))
    if s.type == "ExternalName":
        for field, json in (("cluster_ips", "clusterIPs"), ("ip_families", "ipFamilies")):
            if getattr(s, field):
                errs.append(forbidden(SPEC.child(json), "may not be set for ExternalName services"))
        if s.HasField("ip_family_policy"):
            errs.append(forbidden(SPEC.child("ipFamilyPolicy"), "may not be set for ExternalName services"))
        cname = s.external_name.removesuffix(".")  # a trailing dot marks it fully qualified
        errs += each([cname], name_is_dns_subdomain, SPEC.child("externalName")) if cname else \
            [required(SPEC.child("externalName"))]
    return errs


def _session_affinity(s: core_pb2.ServiceSpec) -> Errors:
    path, errs = SPEC.child("sessionAffinityConfig"), []
    if not s.session_affinity:
        errs.append(required(SPEC.child("sessionAffinity")))
    elif s.session_affinity not in ("ClientIP", "None"):
        errs.append(not_supported(SPEC.child("sessionAffinity"), s.session_affinity, ["ClientIP", "None"]))
    if s.session_affinity == "None" and s.HasField("session_affinity_config"):
        errs.append(forbidden(path, "must not be set when session affinity is None"))
    if s.session_affinity != "ClientIP":
        return errs
    why = "when session affinity type is ClientIP"
    if not s.HasField("session_affinity_config"):
        return errs + [required(path, why)]
    if not s.session_affinity_config.HasField("client_ip"):
        return errs + [required(path.child("clientIP"), why)]
    client_ip = s.session_affinity_config.client_ip
    timeout_path = path.child("clientIP", "timeoutSeconds")
    if not client_ip.HasField("timeout_seconds"):
        return errs + [required(timeout_path, why)]
    if not 0 < client_ip.timeout_seconds <= MAX_CLIENT_IP_AFFINITY_SECONDS:
        errs.append(invalid(timeout_path, client_ip.timeout_seconds,
                            f"must be greater than 0 and less than {MAX_CLIENT_IP_AFFINITY_SECONDS}"))
    return errs


def _cluster_ips(svc: core_pb2.Service) -> Errors:
    """ValidateServiceClusterIPsRelatedFields."""
    s, errs = svc.spec, []
    if s.type == "ExternalName":
        return errs
    field, families = SPEC.child("clusterIPs"), SPEC.child("ipFamilies")
    ips = list(s.cluster_ips)
    if s.cluster_ip:
        if not ips:
            errs.append(required(field))
        elif ips[0] != s.cluster_ip:
            errs.append(invalid(field, ips, "first value must match `clusterIP`"))
    elif ips:
        errs.append(invalid(field, ips, "must be empty when `clusterIP` is not specified"))
    seen: set[str] = set()
    for i, fam in enumerate(s.ip_families):
        if fam not in _IP_FAMILIES:
            errs.append(not_supported(families.index(i), fam, _IP_FAMILIES))
        if fam in seen:
            errs.append(duplicate(families.index(i), fam))
        seen.add(fam)
    if s.HasField("ip_family_policy") and s.ip_family_policy not in _IP_FAMILY_POLICIES:
        errs.append(not_supported(SPEC.child("ipFamilyPolicy"), s.ip_family_policy, _IP_FAMILY_POLICIES))
    bad = False
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                bad = True
                errs.append(invalid(field, ips, "'None' must be the first and only value"))
            continue
        found = is_valid_ip(field.index(i), ip)
        bad = bad or bool(found)
        errs += found
    if len(ips) > 2:
        errs.append(invalid(field, ips, "may only hold up to 2 values"))
    if bad:
        return errs
    if len(ips) == 2 and ipaddress.ip_address(ips[0]).version == ipaddress.ip_address(ips[1]).version:
        errs.append(invalid(field, ips, "may specify no more than one IP for each IP family"))
    if not _is_headless(svc):
        for i, (ip, fam) in enumerate(zip(ips, s.ip_families)):
            is_v6 = ipaddress.ip_address(ip).version == 6
            if (fam == "IPv4" and is_v6) or (fam == "IPv6" and not is_v6):
                errs.append(invalid(field.index(i), ip, f"expected an {fam} value as indicated by `ipFamilies[{i}]`"))
    return errs


def _ports(svc: core_pb2.Service) -> Errors:
    s, errs, names = svc.spec, [], set()
    for i, sp in enumerate(s.ports):
        errs += _service_port(sp, len(s.ports) > 1, names, SPEC.child("ports").index(i))
    return errs


def _node_ports_and_duplicates(s: core_pb2.ServiceSpec) -> Errors:
    errs, node_ports, ports = [], set(), set()
    for i, sp in enumerate(s.ports):
        p = SPEC.child("ports").index(i)
        if s.type == "ClusterIP" and sp.node_port:
            errs.append(forbidden(p.child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
    for i, sp in enumerate(s.ports):
        if sp.node_port:
            if (sp.protocol, sp.node_port) in node_ports:
                errs.append(duplicate(SPEC.child("ports").index(i).child("nodePort"), sp.node_port))
            node_ports.add((sp.protocol, sp.node_port))
    for i, sp in enumerate(s.ports):
        if (sp.protocol, sp.port) in ports:  # the key is a ServicePort with only protocol and port set
            key = go_struct(core_pb2.ServicePort(protocol=sp.protocol, port=sp.port))
            key = dataclasses.replace(key, AppProtocol=None, TargetPort=0)  # Go's zero values
            errs.append(duplicate(SPEC.child("ports").index(i), key))
        ports.add((sp.protocol, sp.port))
    return errs


def _external_ips(s: core_pb2.ServiceSpec) -> Errors:
    errs = []
    for i, ip in enumerate(s.external_ips):
        path = SPEC.child("externalIPs").index(i)
        errs += is_valid_ip(path, ip) or validate_endpoint_ip(ip, path)
    return errs


def _load_balancer_fields(s: core_pb2.ServiceSpec) -> Errors:
    errs, lb = [], s.type == "LoadBalancer"
    ranges = SPEC.child("LoadBalancerSourceRanges")  # upstream spells this path with a capital L
    if s.load_balancer_source_ranges and not lb:
        errs.append(forbidden(ranges, LB_ONLY))
    for i, cidr in enumerate(s.load_balancer_source_ranges):  # space-padding tolerated, as upstream
        errs += is_valid_cidr(ranges.index(i), cidr.strip())
    if s.HasField("allocate_load_balancer_node_ports") and not lb:
        errs.append(forbidden(SPEC.child("allocateLoadBalancerNodePorts"), LB_ONLY))
    if lb and not s.HasField("allocate_load_balancer_node_ports"):
        errs.append(required(Path("allocateLoadBalancerNodePorts")))  # sic: no spec. prefix upstream
    if s.HasField("load_balancer_class"):
        if lb:
            errs += validate_qualified_name(s.load_balancer_class, SPEC.child("loadBalancerClass"))
        else:
            errs.append(forbidden(SPEC.child("loadBalancerClass"), LB_ONLY))
    return errs


def _traffic_policies(s: core_pb2.ServiceSpec) -> Errors:
    errs, etp = [], s.external_traffic_policy
    if not _externally_accessible(s):
        if etp:
            errs.append(invalid(SPEC.child("externalTrafficPolicy"), etp,
                                "may only be set for externally-accessible services"))
    elif not etp:
        errs.append(required(SPEC.child("externalTrafficPolicy")))
    elif etp not in _POLICIES:
        errs.append(not_supported(SPEC.child("externalTrafficPolicy"), etp, _POLICIES))
    needs_health_check = s.type == "LoadBalancer" and etp == "Local"
    if not needs_health_check and s.health_check_node_port:
        errs.append(invalid(SPEC.child("healthCheckNodePort"), s.health_check_node_port,
                            "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    itp = s.internal_traffic_policy
    if not itp and s.type in ("NodePort", "LoadBalancer", "ClusterIP"):
        errs.append(required(SPEC.child("internalTrafficPolicy")))
    elif itp and itp not in _POLICIES:
        errs.append(not_supported(SPEC.child("internalTrafficPolicy"), itp, _POLICIES))
    return errs


def validate_service(svc: core_pb2.Service) -> Errors:
    s = svc.spec
    errs = validate_object_meta(svc.metadata, True, name_rule("Service"))
    errs += _type_rules(svc) + _ports(svc)
    errs += validate_labels(s.selector, SPEC.child("selector"))
    errs += _session_affinity(s) + _cluster_ips(svc) + _external_ips(s)
    if not s.type:
        errs.append(required(SPEC.child("type")))
    elif s.type not in _SERVICE_TYPES:
        errs.append(not_supported(SPEC.child("type"), s.type, _SERVICE_TYPES))
    return errs + _node_ports_and_duplicates(s) + _load_balancer_fields(s) + _traffic_policies(s)


def _upgrade_downgrade_cluster_ips(new: core_pb2.Service, old: core_pb2.Service) -> Errors:
    if "ExternalName" in (new.spec.type, old.spec.type) or (_is_headless(new) and _is_headless(old)):
        return []
    old_ips, new_ips, field = list(old.spec.cluster_ips), list(new.spec.cluster_ips), SPEC.child("clusterIPs")
    if len(old_ips) == len(new_ips):
        return [invalid(field.index(i), new_ips, "may not change once set")
                for i, ip in enumerate(old_ips) if ip != new_ips[i]]
    errs = []
    if len(old_ips) > len(new_ips) and not new_ips:
        errs.append(invalid(field.index(0), new_ips, "primary clusterIP can not be unset"))
    if old_ips and new_ips and old_ips[0] != new_ips[0]:
        errs.append(invalid(field.index(0), new_ips, "may not change once set"))
    return errs


def _upgrade_downgrade_ip_families(new: core_pb2.Service, old: core_pb2.Service) -> Errors:
    if "ExternalName" in (new.spec.type, old.spec.type) or _is_headless(new) or _is_headless(old):
        return []
    old_f, new_f = list(old.spec.ip_families), list(new.spec.ip_families)
    if len(old_f) == len(new_f):
        return [invalid(SPEC.child("ipFamilies").index(0), new_f, "may not change once set")
                for i, f in enumerate(old_f) if f != new_f[i]]
    if new_f and old_f and new_f[0] != old_f[0]:
        return [invalid(SPEC.child("ipFamilies").index(0), list(new.spec.cluster_ips), "may not change once set")]
    return []


def validate_service_update(new: core_pb2.Service, old: core_pb2.Service) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata)
    errs += _upgrade_downgrade_cluster_ips(new, old) + _upgrade_downgrade_ip_families(new, old)
    old_lb, new_lb = old.spec, new.spec
    if old_lb.type == new_lb.type == "LoadBalancer" and (
            old_lb.HasField("load_balancer_class"), old_lb.load_balancer_class) != (
            new_lb.HasField("load_balancer_class"), new_lb.load_balancer_class):
        errs.append(invalid(SPEC.child("loadBalancerClass"),
                            new_lb.load_balancer_class if new_lb.HasField("load_balancer_class") else None,
                            "may not change once set"))
    return errs + validate_service(new)
