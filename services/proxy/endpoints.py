"""Endpoints per Service port from EndpointSlices, and which of them take traffic.

Mirrors kubernetes/kubernetes pkg/proxy/endpointslicecache.go (slices keyed by their
`kubernetes.io/service-name` label; one endpoint per `addresses[0]:port`, deduplicated and sorted; the
ready/serving/terminating flags) and pkg/proxy/topology.go CategorizeEndpoints (ready endpoints, else the
serving terminating ones: KEP-1669's fallback; internalTrafficPolicy Local keeps the local ones).
"""
from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from kubelab.api.v1 import discovery_pb2
from services.proxy.serviceports import ServicePort, ServicePortName, is_ipv4

__all__ = ["SERVICE_NAME_LABEL", "Endpoint", "endpoints_map", "categorize"]

log = logging.getLogger(__name__)

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


@dataclass(frozen=True, order=True)
class Endpoint:
    ip: str
    port: int
    ready: bool = True
    serving: bool = True
    terminating: bool = False
    node_name: str = ""

    def __str__(self) -> str:
        return f"{self.ip}:{self.port}"


def _endpoint(ep: discovery_pb2.Endpoint, port: int) -> Endpoint:
    c = ep.conditions
    return Endpoint(
        ip=ep.addresses[0], port=port,
        ready=not c.HasField("ready") or c.ready,  # nil means unknown: consumers read it as ready
        serving=not c.HasField("serving") or c.serving,
        terminating=c.HasField("terminating") and c.terminating,
        node_name=ep.node_name if ep.HasField("node_name") else "",
    )


def endpoints_map(slices: Iterable[discovery_pb2.EndpointSlice]) -> dict[ServicePortName, list[Endpoint]]:
    """{ServicePortName: endpoints sorted by ip:port}, from every slice of every Service."""
    seen: dict[ServicePortName, dict[str, Endpoint]] = {}
    for eps in sorted(slices, key=lambda s: (s.metadata.namespace, s.metadata.name)):
        service = eps.metadata.labels.get(SERVICE_NAME_LABEL)
        if not service:
            log.warning("no %s label set on endpoint slice: %s/%s", SERVICE_NAME_LABEL, eps.metadata.namespace,
                        eps.metadata.name)
            continue
        if eps.address_type != "IPv4":
            continue
        for port in eps.ports:
            if not port.HasField("port") or not 0 < port.port < 65536:
                log.warning("Ignoring invalid endpoint port portName=%s slice=%s/%s", port.name,
                            eps.metadata.namespace, eps.metadata.name)
                continue
            key = ServicePortName(eps.metadata.namespace, service, port.name, port.protocol or "TCP")
            bucket = seen.setdefault(key, {})
            for ep in eps.endpoints:
                if ep.addresses and is_ipv4(ep.addresses[0]):
                    bucket.setdefault(f"{ep.addresses[0]}:{port.port}", _endpoint(ep, port.port))
    return {key: sorted(bucket.values(), key=lambda e: (ipaddress.ip_address(e.ip), e.port))
            for key, bucket in seen.items()}


def categorize(port: ServicePort, endpoints: list[Endpoint], node_name: str = "") -> tuple[list[Endpoint], bool]:
    """(the endpoints that take this port's traffic, whether the port has any usable endpoint at all).

    With internalTrafficPolicy Local only endpoints on `node_name` count; without a node name (one proxy
    for every node of a local cluster, all in the host's network namespace) every endpoint is local.
    """
    def usable(eps: list[Endpoint]) -> list[Endpoint]:
        ready = [e for e in eps if e.ready]
        return ready or [e for e in eps if e.serving and e.terminating]

    has_any = bool(usable(endpoints))
    if port.local_only and node_name:
        return usable([e for e in endpoints if e.node_name == node_name]), has_any
    return usable(endpoints), has_any
