"""Endpoints, the legacy core/v1 kind (k/k pkg/apis/core/validation/validation.go: ValidateEndpoints,
validateEndpointSubsets, validateEndpointAddress, validateEndpointPort).

Addresses go through ValidateEndpointIP, so loopback addresses are rejected as in Kubernetes; pods
have routable addresses (198.18.0.0/16). The API server's own `kubernetes` Endpoints may carry a
loopback advertise address and are written without validation (see bootstrap.py).
"""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import Path, invalid, required
from kubelab.validation_names import is_dns1123_label, name_is_dns_subdomain

from .common import Errors, each, is_valid_ip, is_valid_port_num, validate_endpoint_ip, validate_port_protocol
from .meta import name_rule, validate_object_meta, validate_object_meta_update

__all__ = ["validate_endpoints", "validate_endpoints_update"]


def _address(addr: core_pb2.EndpointAddress, path: Path) -> Errors:
    errs = is_valid_ip(path.child("ip"), addr.ip)
    if addr.hostname:
        errs += each([addr.hostname], is_dns1123_label, path.child("hostname"))
    if addr.HasField("node_name"):
        errs += [invalid(path.child("nodeName"), addr.node_name, m) for m in name_is_dns_subdomain(addr.node_name)]
    return errs + validate_endpoint_ip(addr.ip, path.child("ip"))


def _port(port: core_pb2.EndpointPort, require_name: bool, path: Path) -> Errors:
    errs: Errors = []
    if require_name and not port.name:
        errs.append(required(path.child("name")))
    elif port.name:
        errs += each([port.name], is_dns1123_label, path.child("name"))
    errs += [invalid(path.child("port"), port.port, m) for m in is_valid_port_num(port.port)]
    return errs + validate_port_protocol(port.protocol or None,
                                         port.app_protocol if port.HasField("app_protocol") else None, path)


def _subsets(subsets, path: Path) -> Errors:
    errs: Errors = []
    for i, ss in enumerate(subsets):
        p = path.index(i)
        if not ss.addresses and not ss.not_ready_addresses:  # a headless Service's subset may have no ports
            errs.append(required(p, "must specify `addresses` or `notReadyAddresses`"))
        for j, addr in enumerate(ss.addresses):
            errs += _address(addr, p.child("addresses").index(j))
        for j, addr in enumerate(ss.not_ready_addresses):
            errs += _address(addr, p.child("notReadyAddresses").index(j))
        for j, port in enumerate(ss.ports):
            errs += _port(port, len(ss.ports) > 1, p.child("ports").index(j))
    return errs


def validate_endpoints(ep: core_pb2.Endpoints) -> Errors:
    return validate_object_meta(ep.metadata, True, name_rule("Endpoints")) + _subsets(ep.subsets, Path("subsets"))


def validate_endpoints_update(new: core_pb2.Endpoints, old: core_pb2.Endpoints) -> Errors:
    return validate_object_meta_update(new.metadata, old.metadata) + validate_endpoints(new)
