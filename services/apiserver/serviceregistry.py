"""The Service registry's rules for updates, and what a stored Service holds.

Mirrors k/k `pkg/registry/core/service/storage/rest.go` (normalizeClusterIPs, patchAllocatedValues,
dropTypeDependentFields). Allocation itself is in `serviceallocator.py`.
"""
from __future__ import annotations

from kubelab.api.v1 import core_pb2

__all__ = ["held", "prepare_update", "needs_cluster_ip", "needs_node_ports", "is_headless", "NODE_PORT"]

NONE = "None"
NODE_PORT = "nodeport:"  # how a NodePort is named among the held values


def needs_cluster_ip(svc: core_pb2.Service) -> bool:
    return svc.spec.type != "ExternalName"


def needs_node_ports(svc: core_pb2.Service) -> bool:
    s = svc.spec
    return s.type == "NodePort" or (s.type == "LoadBalancer" and (
        not s.HasField("allocate_load_balancer_node_ports") or s.allocate_load_balancer_node_ports))


def is_headless(svc: core_pb2.Service) -> bool:
    return list(svc.spec.cluster_ips) == [NONE]


def held(svc: core_pb2.Service | None) -> list[str]:
    """The values a stored Service holds: its ClusterIPs (not `None`) and `nodeport:<port>`s."""
    if svc is None:
        return []
    ips = [ip for ip in svc.spec.cluster_ips if ip and ip != NONE] if needs_cluster_ip(svc) else []
    ports = [f"{NODE_PORT}{p.node_port}" for p in svc.spec.ports if p.node_port]
    return list(dict.fromkeys(ips + ports))


def _clear_ip_fields(spec: core_pb2.ServiceSpec) -> None:
    spec.cluster_ip = ""
    del spec.cluster_ips[:]
    del spec.ip_families[:]
    spec.ClearField("ip_family_policy")


def _patch_ip_fields(ns: core_pb2.ServiceSpec, os_: core_pb2.ServiceSpec) -> None:
    if not ns.cluster_ip:
        ns.cluster_ip = os_.cluster_ip
    if not ns.cluster_ips:
        ns.cluster_ips.extend(os_.cluster_ips)
    if not ns.ip_families:
        ns.ip_families.extend(os_.ip_families)
    if not ns.HasField("ip_family_policy") and os_.HasField("ip_family_policy"):
        ns.ip_family_policy = os_.ip_family_policy


def _patch_node_ports(ns: core_pb2.ServiceSpec, os_: core_pb2.ServiceSpec) -> None:
    """A port the client sent without nodePort keeps the one its namesake had, unless another port uses it."""
    by_name = {p.name: p.node_port for p in os_.ports}
    used = {p.node_port for p in os_.ports} & {p.node_port for p in ns.ports}
    for p in ns.ports:
        if not p.node_port and by_name.get(p.name, 0) not in used:
            p.node_port = by_name.get(p.name, 0)


def prepare_update(new: core_pb2.Service, old: core_pb2.Service) -> None:
    """normalizeClusterIPs + patchAllocatedValues + dropTypeDependentFields for an update: a client that
    left the allocated fields out keeps them; a type that needs them no more drops them (unless the
    client changed them, which validation then judges)."""
    ns, os_ = new.spec, old.spec
    if os_.cluster_ips and not ns.cluster_ips and os_.cluster_ip == ns.cluster_ip:
        ns.cluster_ips.extend(os_.cluster_ips)  # an old client patching something else
    if needs_cluster_ip(old) and needs_cluster_ip(new):
        _patch_ip_fields(ns, os_)
    elif needs_cluster_ip(old) and list(ns.cluster_ips) == list(os_.cluster_ips):
        _clear_ip_fields(ns)
    if needs_node_ports(old) and needs_node_ports(new):
        _patch_node_ports(ns, os_)
    elif needs_node_ports(old) and {p.node_port for p in ns.ports} - {0} <= {p.node_port for p in os_.ports}:
        for p in ns.ports:
            p.node_port = 0
    _drop_external_fields(ns, os_)


def _externally_accessible(s: core_pb2.ServiceSpec) -> bool:
    return s.type in ("LoadBalancer", "NodePort") or (s.type == "ClusterIP" and bool(s.external_ips))


def _drop_external_fields(ns: core_pb2.ServiceSpec, os_: core_pb2.ServiceSpec) -> None:
    """The rest of dropTypeDependentFields: fields only an external or LoadBalancer Service has, when the
    client left them as they were."""
    if _externally_accessible(os_) and not _externally_accessible(ns) and \
            ns.external_traffic_policy == os_.external_traffic_policy:
        ns.external_traffic_policy = ""
    if os_.type == "LoadBalancer" and ns.type != "LoadBalancer":
        for field in ("allocate_load_balancer_node_ports", "load_balancer_class"):
            if ns.HasField(field) and getattr(ns, field) == getattr(os_, field):
                ns.ClearField(field)
    if not (ns.type == "LoadBalancer" and ns.external_traffic_policy == "Local") and \
            ns.health_check_node_port == os_.health_check_node_port:
        ns.health_check_node_port = 0
