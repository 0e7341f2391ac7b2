"""Which records a name has: CoreDNS's kubernetes plugin `Records`, `findServices`, `findPods` and
`serviceRecordForIP` (`plugin/kubernetes/kubernetes.go`, `reverse.go`), over a Snapshot.

An Item is CoreDNS's `msg.Service`: an address (or, for ExternalName, a name) with the port and the name
the record stands for (`<svc>.<ns>.svc.<zone>.`, `<hostname>.<svc>.<ns>.svc.<zone>.`), from which
`services.dns.answer` makes A, SRV, CNAME and PTR records.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from services.dns.request import POD, NameError_, Request, parse_request
from services.dns.snapshot import EndpointEntry, ServiceEntry, Snapshot

__all__ = ["Item", "records", "reverse", "endpoint_hostname", "is_ip"]


@dataclass(frozen=True)
class Item:
    host: str
    """An IP address, or the target name of an ExternalName Service."""
    port: int
    key: str
    """The name this item stands for (an SRV target, the owner of the additional A record)."""
    ttl: int


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def endpoint_hostname(ep: EndpointEntry, ip: str) -> str:
    """The endpoint's `hostname`, else its address with dashes (`10.244.1.6` -> `10-244-1-6`)."""
    if ep.hostname:
        return ep.hostname.lower()
    return ip.replace(".", "-").replace(":", "-")


def _match(want: str, have: str) -> bool:
    """matchPortAndProtocol: an empty query label matches anything."""
    return not want or want == have.lower()


def records(name: str, zone: str, snap: Snapshot, ttl: int) -> list[Item]:
    """Items for a name inside the cluster zone; [] is NODATA; raises NameError_ for NXDOMAIN."""
    r = parse_request(name, zone)
    if not r.pod_or_svc:
        return []
    if r.namespace not in snap.namespaces:
        raise NameError_("namespace is not exposed")
    if r.pod_or_svc == POD:
        return _pods(r, zone, ttl)
    return _services(r, zone, snap, ttl)


def _pods(r: Request, zone: str, ttl: int) -> list[Item]:
    """`pods insecure` (kubeadm's Corefile): the address is the dashed label itself."""
    if not r.service:
        return []
    label = r.service
    ip = label.replace("-", ".") if label.count("-") == 3 and "--" not in label else label.replace("-", ":")
    if not is_ip(ip):
        raise NameError_("no items found")
    return [Item(ip, -1, f"{label}.{r.namespace}.pod.{zone}", ttl)]


def _services(r: Request, zone: str, snap: Snapshot, ttl: int) -> list[Item]:
    if not r.service:
        return []  # <ns>.svc.<zone>: NODATA
    svc = snap.services.get((r.namespace, r.service))
    if svc is None:
        raise NameError_("no items found")
    base = f"{svc.name}.{svc.namespace}.svc.{zone}"
    if svc.type == "ExternalName":
        if r.endpoint or is_ip(svc.external_name):
            raise NameError_("no items found")
        return [Item(svc.external_name.rstrip(".").lower() + ".", -1, base, ttl)]
    if svc.headless or r.endpoint:
        items = _endpoints(r, svc, base, snap, ttl)
    else:
        ports = [p for p in svc.ports if _match(r.port, p.name) and _match(r.protocol, p.protocol)]
        if not ports:
            raise NameError_("no items found")
        # The A record exists whether or not the Service has endpoints.
        items = [Item(ip, p.port, base, ttl) for p in ports for ip in svc.cluster_ips]
    return items


def _endpoints(r: Request, svc: ServiceEntry, base: str, snap: Snapshot, ttl: int) -> list[Item]:
    """Every ready address (of the hostname asked for) x every port matching `_port._protocol`; none is
    NXDOMAIN, so a headless Service without ready endpoints does not exist."""
    items = []
    for sl in snap.slices_of.get((svc.namespace, svc.name), ()):
        for ep in sl.endpoints:
            for ip in ep.addresses:
                host = endpoint_hostname(ep, ip)
                if r.endpoint and r.endpoint != host:
                    continue
                items += [Item(ip, p.port, f"{host}.{base}", ttl) for p in sl.ports
                          if _match(r.port, p.name) and _match(r.protocol, p.protocol)]
    if not items:
        raise NameError_("no items found")
    return items


def reverse(ip: str, zone: str, snap: Snapshot) -> list[str]:
    """PTR targets of an address: the first Service with that ClusterIP, else one name per Service with a
    ready endpoint at that address ([] falls through to the upstream resolver)."""
    owners = snap.by_cluster_ip.get(ip)
    if owners:
        return [f"{owners[0].name}.{owners[0].namespace}.svc.{zone}"]
    names = []
    for sl, ep in snap.by_endpoint_ip.get(ip, ()):
        name = f"{endpoint_hostname(ep, ip)}.{sl.service}.{sl.namespace}.svc.{zone}"
        if name not in names:
            names.append(name)
    return names
