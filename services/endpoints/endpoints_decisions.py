"""The legacy Endpoints controller's decision (k/k `pkg/controller/endpoint/endpoints_controller.go`
syncService, addEndpointSubset, truncateEndpoints, capacityAnnotationSetCorrectly; `pkg/api/v1/endpoints/
util.go` RepackSubsets, SortSubsets, LessEndpointAddress). Pure.

One Endpoints object per Service with a selector, named as the Service, its labels the Service's (plus
`service.kubernetes.io/headless: ""` without a ClusterIP), no ownerReferences. Each pod in endpoints
(terminating pods only with publishNotReadyAddresses) gives, per Service port it has, an address under
`addresses` (Ready, or publishNotReadyAddresses) or `notReadyAddresses`; RepackSubsets then merges the
addresses offering the same ports into one subset. Beyond 1000 addresses the object is truncated and
annotated `endpoints.kubernetes.io/over-capacity: truncated`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from kubelab.api.v1 import core_pb2
from kubelab.podutil import is_pod_ready
from services.endpoints.utils import (HEADLESS_LABEL, IPV4, IPV6, TRIGGER_TIME_ANNOTATION, PortNotFound, address_types,
                                      find_port, is_service_ip_set, pod_ips_of_family, should_pod_be_in_endpoints,
                                      should_set_hostname)

__all__ = ["MAX_CAPACITY", "OVER_CAPACITY_ANNOTATION", "desired_subsets", "repack_subsets", "truncate",
           "desired_endpoints"]

MAX_CAPACITY = 1000
OVER_CAPACITY_ANNOTATION = "endpoints.kubernetes.io/over-capacity"

Port = tuple[str, int, str, str]  # name, port, protocol, appProtocol; port -1: the "no ports" sentinel
_NO_PORTS: Port = ("", -1, "", "")


def _address(pod: core_pb2.Pod, svc: core_pb2.Service) -> core_pb2.EndpointAddress | None:
    """podToEndpointAddressForService: the pod's IP of the Service's first family (a headless Service
    without ipFamilies: the family of the pod's own IP)."""
    if svc.spec.ip_families or is_service_ip_set(svc):
        family = address_types(svc)[0]
    else:
        family = IPV6 if ":" in pod.status.pod_ip else IPV4
    ips = pod_ips_of_family(pod, family)
    if not ips:
        return None
    epa = core_pb2.EndpointAddress(ip=ips[0])
    if pod.spec.node_name:  # validation rejects an empty node name
        epa.node_name = pod.spec.node_name
    epa.target_ref.kind, epa.target_ref.namespace = "Pod", pod.metadata.namespace
    epa.target_ref.name, epa.target_ref.uid = pod.metadata.name, pod.metadata.uid
    if should_set_hostname(pod, svc):
        epa.hostname = pod.spec.hostname
    return epa


def _ports(svc: core_pb2.Service, pod: core_pb2.Pod) -> list[Port]:
    out = []
    for sp in svc.spec.ports:
        try:
            out.append((sp.name, find_port(pod, sp), sp.protocol or "TCP", sp.app_protocol))
        except PortNotFound:
            continue
    return out


def desired_subsets(svc: core_pb2.Service, pods: Sequence[core_pb2.Pod]) -> list[core_pb2.EndpointSubset]:
    """The repacked, sorted subsets for the Service's pods."""
    tolerate = svc.spec.publish_not_ready_addresses
    entries: list[tuple[core_pb2.EndpointAddress, bool, Port]] = []
    for pod in pods:
        if not should_pod_be_in_endpoints(pod, include_terminating=tolerate):
            continue
        epa = _address(pod, svc)
        if epa is None:
            continue
        ready = tolerate or is_pod_ready(pod)
        if not svc.spec.ports:
            if svc.spec.cluster_ip == "None":  # a headless Service may have no ports
                entries.append((epa, ready, _NO_PORTS))
            continue
        entries += [(epa, ready, port) for port in _ports(svc, pod)]
    return repack_subsets(entries)


def _address_key(epa: core_pb2.EndpointAddress) -> tuple[bytes, str]:
    """LessEndpointAddress: by the IP's string bytes, then by the target's uid."""
    return (epa.ip.encode(), epa.target_ref.uid)


def repack_subsets(entries: Sequence[tuple[core_pb2.EndpointAddress, bool, Port]]) -> list[core_pb2.EndpointSubset]:
    """RepackSubsets: addresses (deduplicated by IP and uid; not ready wins over ready) grouped by the
    exact set of ports they offer, one subset per group, sorted."""
    addresses: dict[tuple[bytes, str], core_pb2.EndpointAddress] = {}
    by_port: dict[Port, dict[tuple[bytes, str], bool]] = {}
    for epa, ready, port in entries:
        key = _address_key(epa)
        addresses.setdefault(key, epa)
        readiness = by_port.setdefault(port, {})
        readiness[key] = readiness.get(key, True) and ready
    groups: dict[tuple, list[Port]] = {}
    for port, readiness in by_port.items():
        ports = groups.setdefault(tuple(sorted(readiness.items())), [])
        if port != _NO_PORTS:
            ports.append(port)
    subsets = []
    for members, ports in groups.items():
        subset = core_pb2.EndpointSubset()
        for key, ready in members:  # sorted by IP bytes, then uid
            (subset.addresses if ready else subset.not_ready_addresses).append(addresses[key])
        for name, number, protocol, app_protocol in sorted(ports):
            port = subset.ports.add(name=name, port=number, protocol=protocol)
            if app_protocol:
                port.app_protocol = app_protocol
        subsets.append(subset)
    # Upstream orders ports and subsets by a hash of their Go structs; any fixed order serves the same
    # purpose (no spurious updates), so they are sorted by content.
    return sorted(subsets, key=lambda s: s.SerializeToString(deterministic=True))


def truncate(subsets: list[core_pb2.EndpointSubset]) -> bool:
    """truncateEndpoints: keep at most MAX_CAPACITY addresses, each subset its proportional share (not-ready
    addresses go first; beyond 1000 ready ones, all not-ready addresses go). True if anything was cut."""
    ready = sum(len(s.addresses) for s in subsets)
    not_ready = sum(len(s.not_ready_addresses) for s in subsets)
    if ready + not_ready <= MAX_CAPACITY:
        return False
    cut_ready = ready > MAX_CAPACITY
    limit, total = (MAX_CAPACITY, ready) if cut_ready else (MAX_CAPACITY - ready, not_ready)
    room = limit
    for s in subsets:
        field = s.addresses if cut_ready else s.not_ready_addresses
        n = min(math.ceil(len(field) / total * limit), room)
        del field[n:]
        if cut_ready:
            del s.not_ready_addresses[:]
        room -= n
    return True


def desired_endpoints(svc: core_pb2.Service, pods: Sequence[core_pb2.Pod], current: core_pb2.Endpoints | None,
                      trigger_time: str | None) -> core_pb2.Endpoints | None:
    """The Endpoints object to write (a copy of `current` or a new one), or None when `current` is right."""
    subsets = desired_subsets(svc, pods)
    over = truncate(subsets)
    labels = dict(svc.metadata.labels)
    if not is_service_ip_set(svc):
        labels[HEADLESS_LABEL] = ""
    else:
        labels.pop(HEADLESS_LABEL, None)
    if current is not None and list(current.subsets) == subsets and dict(current.metadata.labels) == labels \
            and (OVER_CAPACITY_ANNOTATION in current.metadata.annotations) == over:
        return None
    ep = core_pb2.Endpoints()
    if current is not None:
        ep.CopyFrom(current)
    else:
        ep.api_version, ep.kind = "v1", "Endpoints"
        ep.metadata.name, ep.metadata.namespace = svc.metadata.name, svc.metadata.namespace
    del ep.subsets[:]
    ep.subsets.extend(subsets)
    ep.metadata.labels.clear()
    ep.metadata.labels.update(labels)
    annotations = ep.metadata.annotations
    annotations.pop(TRIGGER_TIME_ANNOTATION, None)
    if trigger_time:
        annotations[TRIGGER_TIME_ANNOTATION] = trigger_time
    annotations.pop(OVER_CAPACITY_ANNOTATION, None)
    if over:
        annotations[OVER_CAPACITY_ANNOTATION] = "truncated"
    return ep
