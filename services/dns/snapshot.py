"""What the DNS server knows of the cluster at one moment: Services, ready endpoints and Namespaces, indexed
for the lookups of CoreDNS's kubernetes plugin (`plugin/kubernetes/controller.go` indexes Services by
name.namespace and by ClusterIP, EndpointSlices by service name.namespace and by address;
`object/service.go` and `object/endpoint.go` keep only the fields DNS needs).

Pure data: built from API objects, never changed after. `services.dns.cache` keeps a current one.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from google.protobuf.message import Message

__all__ = ["Port", "ServiceEntry", "EndpointEntry", "SliceEntry", "Snapshot", "SERVICE_NAME_LABEL", "NO_PORT"]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
NO_PORT = -1
"""CoreDNS's sentinel port for a slice without ports: A records yes, SRV records no."""


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    protocol: str


@dataclass(frozen=True)
class ServiceEntry:
    namespace: str
    name: str
    type: str
    cluster_ips: tuple[str, ...]
    external_name: str
    ports: tuple[Port, ...]

    @property
    def headless(self) -> bool:
        return bool(self.cluster_ips) and self.cluster_ips[0] == "None"

    @classmethod
    def from_proto(cls, svc: Message) -> ServiceEntry:
        s = svc.spec
        ips = tuple(s.cluster_ips) or ((s.cluster_ip,) if s.cluster_ip else ())
        ports = tuple(Port(p.name, p.port, p.protocol or "TCP") for p in s.ports)
        return cls(svc.metadata.namespace, svc.metadata.name, s.type or "ClusterIP", ips, s.external_name, ports)


@dataclass(frozen=True)
class EndpointEntry:
    addresses: tuple[str, ...]
    hostname: str = ""


@dataclass(frozen=True)
class SliceEntry:
    namespace: str
    name: str
    service: str
    endpoints: tuple[EndpointEntry, ...]
    """Ready ones only: `conditions.ready` nil ("unknown, read as ready") or true."""
    ports: tuple[Port, ...]

    @classmethod
    def from_proto(cls, eps: Message) -> SliceEntry | None:
        """None for a slice without the service-name label or of address type FQDN (CoreDNS skips both)."""
        service = eps.metadata.labels.get(SERVICE_NAME_LABEL, "")
        if not service or eps.address_type not in ("IPv4", "IPv6", ""):
            return None
        endpoints = tuple(
            EndpointEntry(tuple(e.addresses), e.hostname)
            for e in eps.endpoints
            if e.addresses and (not e.conditions.HasField("ready") or e.conditions.ready))
        ports = tuple(Port(p.name, p.port if p.HasField("port") else NO_PORT, p.protocol or "TCP")
                      for p in eps.ports) or (Port("", NO_PORT, ""),)
        return cls(eps.metadata.namespace, eps.metadata.name, service, endpoints, ports)


@dataclass
class Snapshot:
    """Read-only indexes; `synced` is False until every informer has listed once (name errors are then
    SERVFAIL, as CoreDNS answers before its caches have synced); `modified` (Unix seconds of the last change
    seen) is the SOA serial."""

    namespaces: frozenset[str] = frozenset()
    services: dict[tuple[str, str], ServiceEntry] = field(default_factory=dict)
    by_cluster_ip: dict[str, list[ServiceEntry]] = field(default_factory=dict)
    slices_of: dict[tuple[str, str], list[SliceEntry]] = field(default_factory=dict)
    by_endpoint_ip: dict[str, list[tuple[SliceEntry, EndpointEntry]]] = field(default_factory=dict)
    modified: int = 0
    synced: bool = True
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    """services.dns.answer's answers to questions already asked of this snapshot."""

    @classmethod
    def build(cls, namespaces: Iterable[str], services: Iterable[ServiceEntry], slices: Iterable[SliceEntry],
              modified: int = 0, synced: bool = True) -> Snapshot:
        snap = cls(frozenset(namespaces), modified=modified, synced=synced)
        for svc in sorted(services, key=lambda s: (s.namespace, s.name)):
            snap.services[(svc.namespace, svc.name)] = svc
            for ip in svc.cluster_ips:
                if ip != "None":
                    snap.by_cluster_ip.setdefault(ip, []).append(svc)
        for sl in sorted(slices, key=lambda s: (s.namespace, s.name)):
            snap.slices_of.setdefault((sl.namespace, sl.service), []).append(sl)
            for ep in sl.endpoints:
                for ip in ep.addresses:
                    snap.by_endpoint_ip.setdefault(ip, []).append((sl, ep))
        return snap

    @classmethod
    def from_objects(cls, namespaces: Iterable[Message] = (), services: Iterable[Message] = (),
                     slices: Iterable[Message] = (), modified: int = 0, synced: bool = True) -> Snapshot:
        """From API objects as the informers hold them."""
        entries = (SliceEntry.from_proto(s) for s in slices)
        return cls.build((ns.metadata.name for ns in namespaces), map(ServiceEntry.from_proto, services),
                         (e for e in entries if e is not None), modified, synced)
