"""Which Services are proxied and what each of their ports needs: kubernetes/kubernetes pkg/proxy/serviceport.go,
servicechangetracker.go and pkg/proxy/util ShouldSkipService, for the ClusterIP part of a Service."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2

__all__ = ["LABEL_SELECTOR", "DEFAULT_AFFINITY_TIMEOUT", "ServicePortName", "ServicePort", "service_ports",
           "should_skip", "is_ipv4"]

LABEL_SELECTOR = "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"
"""kube-proxy's informers select Services and EndpointSlices with this (cmd/kube-proxy/app/server.go): a
Service another proxy owns (`service-proxy-name`) or marked headless is none of its business."""

DEFAULT_AFFINITY_TIMEOUT = 10800
"""core/v1 DefaultClientIPServiceAffinitySeconds: 3 hours."""


@dataclass(frozen=True, order=True)
class ServicePortName:
    """What an endpoint list is keyed by: `ns/name:port-name` and the protocol (proxy/types.go)."""

    namespace: str
    name: str
    port: str
    protocol: str

    def __str__(self) -> str:
        base = f"{self.namespace}/{self.name}"
        return f"{base}:{self.port}" if self.port else base


@dataclass(frozen=True)
class ServicePort:
    """One port of a proxied Service, as the proxier programs it."""

    name: ServicePortName
    cluster_ip: str
    port: int
    protocol: str
    affinity_timeout: int = 0
    """Seconds of ClientIP stickiness; 0: sessionAffinity None."""
    local_only: bool = False
    """internalTrafficPolicy: Local."""


def should_skip(svc: core_pb2.Service) -> str:
    """Why kube-proxy ignores this Service ("" if it does not): ShouldSkipService."""
    if svc.spec.cluster_ip in ("", "None"):
        return "Skipping service due to cluster IP"
    if svc.spec.type == "ExternalName":
        return "Skipping service due to Type=ExternalName"
    return ""


def is_ipv4(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv4Address)
    except ValueError:
        return False


def _affinity_timeout(spec: core_pb2.ServiceSpec) -> int:
    if spec.session_affinity != "ClientIP":
        return 0
    cfg = spec.session_affinity_config.client_ip
    return cfg.timeout_seconds if cfg.HasField("timeout_seconds") and cfg.timeout_seconds > 0 \
        else DEFAULT_AFFINITY_TIMEOUT


def service_ports(svc: core_pb2.Service) -> list[ServicePort]:
    """The ports kube-proxy programs for `svc` (none if it is skipped). Only the IPv4 ClusterIP: the
    emulator's networks are IPv4."""
    if should_skip(svc) or not is_ipv4(svc.spec.cluster_ip):
        return []  # an IPv6 (or malformed) ClusterIP: the emulator's networks are IPv4
    spec = svc.spec
    out = []
    for p in spec.ports:
        protocol = p.protocol or "TCP"
        if protocol not in ("TCP", "UDP") or not 0 < p.port < 65536:
            continue  # SCTP: not supported by the emulator's proxy
        name = ServicePortName(svc.metadata.namespace, svc.metadata.name, p.name, protocol)
        out.append(ServicePort(name, spec.cluster_ip, p.port, protocol, _affinity_timeout(spec),
                               spec.internal_traffic_policy == "Local"))
    return out
