"""A query name read as CoreDNS's kubernetes plugin reads it (`plugin/kubernetes/parse.go` parseRequest).

    _port._protocol.service.namespace.svc.zone
    endpoint.service.namespace.svc.zone
    service.namespace.svc.zone          namespace.svc.zone (NODATA)
    a-b-c-d.namespace.pod.zone

Names are compared lowercased ("All comparisons between query data and data in Kubernetes are
case-insensitive", kubernetes/dns specification).
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NameError_", "Request", "parse_request", "zone_of", "REVERSE_ZONES", "SVC", "POD"]

SVC, POD = "svc", "pod"
REVERSE_ZONES = ("in-addr.arpa.", "ip6.arpa.")


class NameError_(Exception):
    """CoreDNS's errNoItems, errNsNotExposed and errInvalidRequest: the name does not exist (NXDOMAIN), or,
    in a reverse zone, falls through to the upstream resolver."""


@dataclass(frozen=True)
class Request:
    pod_or_svc: str = ""
    """"svc", "pod", or "" for the zone apex, `svc.<zone>` and `pod.<zone>` (NODATA)."""
    namespace: str = ""
    service: str = ""
    endpoint: str = ""
    port: str = ""
    protocol: str = ""


def zone_of(name: str, zone: str) -> str | None:
    """The zone (cluster or reverse) a lowercased FQDN belongs to, or None: not ours, forward it."""
    for z in (zone, *REVERSE_ZONES):
        if name == z or name.endswith("." + z):
            return z
    return None


def _strip_underscore(label: str) -> str:
    return label[1:] if label.startswith("_") else label


def parse_request(name: str, zone: str) -> Request:
    """`name` and `zone` lowercased FQDNs, name inside zone. Raises NameError_ for an invalid name."""
    base = name[: -len(zone)].rstrip(".")
    if base in ("", SVC, POD):
        return Request()
    segs = base.split(".")
    kind = segs.pop()
    if kind not in (SVC, POD):
        raise NameError_("invalid query name")
    if not segs:
        return Request(kind)
    namespace = segs.pop()
    if not segs:
        return Request(kind, namespace)
    service = segs.pop()
    if not segs:
        return Request(kind, namespace, service)
    if len(segs) == 1:
        return Request(kind, namespace, service, endpoint=segs[0])
    if len(segs) == 2:
        return Request(kind, namespace, service, port=_strip_underscore(segs[0]),
                       protocol=_strip_underscore(segs[1]))
    raise NameError_("query name too long")
