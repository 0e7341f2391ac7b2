"""EndpointSlice, discovery.k8s.io/v1 (k/k pkg/apis/discovery/validation/validation.go).

1 to 100 addresses per endpoint, at most 1000 endpoints and 100 ports per slice, addresses checked
against the slice's addressType and (IPv4/IPv6) ValidateEndpointIP, which rejects loopback addresses
as Kubernetes does; hostnames are DNS-1123 labels; port names unique; addressType immutable.
"""
from __future__ import annotations

import ipaddress

from kubelab.api.v1 import discovery_pb2
from kubelab.fielderrors import Path, duplicate, invalid, not_supported, required, too_many
from kubelab.validation_names import is_dns1123_label, is_dns1123_subdomain, name_is_dns_subdomain

from .common import FIELD_IMMUTABLE, Errors, each, validate_endpoint_ip, validate_port_protocol
from .meta import name_rule, validate_labels, validate_object_meta, validate_object_meta_update

__all__ = ["validate_endpoint_slice", "validate_endpoint_slice_update"]

ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"]
MAX_ADDRESSES = 100
MAX_PORTS = 100
MAX_ENDPOINTS = 1000
MAX_TOPOLOGY_LABELS = 16
MAX_ZONE_HINTS = 8


def _address(address: str, address_type: str, path: Path) -> Errors:
    if address_type in ("IPv4", "IPv6"):
        try:
            ok = ipaddress.ip_address(address).version == (4 if address_type == "IPv4" else 6)
        except ValueError:
            ok = False
        errs = [] if ok else [invalid(path, address, f"must be a valid {address_type} address")]
        return errs + validate_endpoint_ip(address, path)
    if address_type == "FQDN":  # IsFullyQualifiedDomainName
        name = address.removesuffix(".")
        if not address:
            return [required(path)]
        if problems := is_dns1123_subdomain(name):
            return [invalid(path, name, ",".join(problems))]
        if "." not in name:
            return [invalid(path, name, "should be a domain with at least two segments separated by dots")]
        return []
    return []  # unknown types fall through unvalidated, as upstream


def _endpoint(ep: discovery_pb2.Endpoint, address_type: str, path: Path) -> Errors:
    errs: Errors = []
    addresses = path.child("addresses")
    if not ep.addresses:
        errs.append(required(addresses, "must contain at least 1 address"))
    elif len(ep.addresses) > MAX_ADDRESSES:
        errs.append(too_many(addresses, len(ep.addresses), MAX_ADDRESSES))
    for i, address in enumerate(ep.addresses):
        errs += _address(address, address_type, addresses.index(i))
    if ep.HasField("node_name"):
        errs += [invalid(path.child("nodeName"), ep.node_name, m) for m in name_is_dns_subdomain(ep.node_name)]
    topology = path.child("deprecatedTopology")
    if len(ep.deprecated_topology) > MAX_TOPOLOGY_LABELS:
        errs.append(too_many(topology, len(ep.deprecated_topology), MAX_TOPOLOGY_LABELS))
    errs += validate_labels(ep.deprecated_topology, topology)
    if ep.HasField("hostname"):
        errs += each([ep.hostname], is_dns1123_label, path.child("hostname"))
    if ep.HasField("hints"):
        errs += _hints(ep.hints, path.child("hints"))
    return errs


def _hints(hints: discovery_pb2.EndpointHints, path: Path) -> Errors:
    zones = path.child("forZones")
    if len(hints.for_zones) > MAX_ZONE_HINTS:
        return [too_many(zones, len(hints.for_zones), MAX_ZONE_HINTS)]
    errs, seen = [], set()
    for i, zone in enumerate(hints.for_zones):
        p = zones.index(i).child("name")
        if zone.name in seen:
            errs.append(duplicate(p, zone.name))
        seen.add(zone.name)
    return errs


def _ports(ports, path: Path) -> Errors:
    if len(ports) > MAX_PORTS:
        return [too_many(path, len(ports), MAX_PORTS)]
    errs: Errors = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        p = path.index(i)
        if port.name:
            errs += each([port.name], is_dns1123_label, p.child("name"))
        if port.name in names:
            errs.append(duplicate(p.child("name"), port.name))
        names.add(port.name)
        errs += validate_port_protocol(port.protocol if port.HasField("protocol") else None,
                                       port.app_protocol if port.HasField("app_protocol") else None, p)
    return errs


def validate_endpoint_slice(eps: discovery_pb2.EndpointSlice) -> Errors:
    errs = validate_object_meta(eps.metadata, True, name_rule("EndpointSlice"))
    if not eps.address_type:
        errs.append(required(Path("addressType")))
    elif eps.address_type not in ADDRESS_TYPES:
        errs.append(not_supported(Path("addressType"), eps.address_type, ADDRESS_TYPES))
    if len(eps.endpoints) > MAX_ENDPOINTS:
        errs.append(too_many(Path("endpoints"), len(eps.endpoints), MAX_ENDPOINTS))
    else:
        for i, ep in enumerate(eps.endpoints):
            errs += _endpoint(ep, eps.address_type, Path("endpoints").index(i))
    return errs + _ports(eps.ports, Path("ports"))


def validate_endpoint_slice_update(new: discovery_pb2.EndpointSlice, old: discovery_pb2.EndpointSlice) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata) + validate_endpoint_slice(new)
    if new.address_type != old.address_type:
        errs.append(invalid(Path("addressType"), new.address_type, FIELD_IMMUTABLE))
    return errs
