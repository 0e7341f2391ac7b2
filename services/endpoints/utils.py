"""Rules both controllers share: which pods belong in a Service's endpoints, the hostname rule, named
ports, address families, labels. Mirrors staging `k8s.io/endpointslice/util/controller_utils.go`
(ShouldPodBeInEndpoints, ShouldSetHostname), `pkg/api/v1/pod/util.go` (FindPort), `pkg/apis/core/v1/helper`
(IsServiceIPSet) and the label constants of `k8s.io/api`. Pure.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime, timezone

from kubelab.api.v1 import core_pb2
from kubelab.labels import Selector, selector_from_set
from kubelab.podutil import is_pod_terminal

__all__ = [
    "IPV4", "IPV6", "SERVICE_NAME_LABEL", "MANAGED_BY_LABEL", "HEADLESS_LABEL", "CONTROLLER_NAME",
    "TRIGGER_TIME_ANNOTATION",
    "PortNotFound", "should_pod_be_in_endpoints", "should_set_hostname", "find_port", "is_service_ip_set",
    "service_selector", "pod_ips_of_family", "address_types", "format_trigger_time", "handles",
]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
HEADLESS_LABEL = "service.kubernetes.io/headless"
CONTROLLER_NAME = "endpointslice-controller.k8s.io"
TRIGGER_TIME_ANNOTATION = "endpoints.kubernetes.io/last-change-trigger-time"

IPV4, IPV6 = "IPv4", "IPv6"


class PortNotFound(LookupError):
    """A named targetPort no container of the pod declares (with the Service port's protocol)."""


def should_pod_be_in_endpoints(pod: core_pb2.Pod, include_terminating: bool) -> bool:
    """Not terminal, has an IP, and (unless include_terminating) not being deleted."""
    if is_pod_terminal(pod):
        return False
    if not pod.status.pod_ip and not pod.status.pod_ips:
        return False
    return include_terminating or not pod.metadata.HasField("deletion_timestamp")


def should_set_hostname(pod: core_pb2.Pod, svc: core_pb2.Service) -> bool:
    """The pod asked for a hostname and names this Service (same namespace) as its subdomain."""
    return (bool(pod.spec.hostname) and pod.spec.subdomain == svc.metadata.name
            and svc.metadata.namespace == pod.metadata.namespace)


def _declares(container: core_pb2.Container, name: str, protocol: str) -> int | None:
    for port in container.ports:
        if port.name == name and (port.protocol or "TCP") == protocol:
            return port.container_port
    return None


def find_port(pod: core_pb2.Pod, svc_port: core_pb2.ServicePort) -> int:
    """The pod's port for a Service port: a number as is; a name looked up in the containers, then in
    sidecars (init containers with restartPolicy Always), by name and protocol."""
    target = svc_port.target_port
    kind = target.WhichOneof("kind")
    if kind == "number_value" and target.number_value:
        return int(target.number_value)
    if kind != "string_value" or not target.string_value:
        return svc_port.port  # targetPort defaults to port (the API server fills it in; older objects may not)
    protocol = svc_port.protocol or "TCP"
    sidecars = [c for c in pod.spec.init_containers if c.restart_policy == "Always"]
    for container in [*pod.spec.containers, *sidecars]:
        found = _declares(container, target.string_value, protocol)
        if found is not None:
            return found
    raise PortNotFound(f"no suitable port for manifest: {pod.metadata.uid}")


def is_service_ip_set(svc: core_pb2.Service) -> bool:
    return svc.spec.cluster_ip not in ("", "None")


def service_selector(svc: core_pb2.Service) -> Selector | None:
    """The pods' selector; None for a Service without one (an empty map round-trips as none, as in Go)."""
    return selector_from_set(svc.spec.selector) if svc.spec.selector else None


def handles(svc: core_pb2.Service) -> bool:
    """Whether the controllers make endpoints for this Service: it has a selector and is not ExternalName."""
    return svc.spec.type != "ExternalName" and bool(svc.spec.selector)


def _family(ip: str) -> str | None:
    try:
        return IPV6 if ipaddress.ip_address(ip).version == 6 else IPV4
    except ValueError:
        return None


def pod_ips_of_family(pod: core_pb2.Pod, family: str) -> list[str]:
    """The pod's IPs of one family, in canonical form (ParseIPSloppy(ip).String())."""
    ips = [p.ip for p in pod.status.pod_ips] or [pod.status.pod_ip]
    return [str(ipaddress.ip_address(ip)) for ip in ips if ip and _family(ip) == family]


def address_types(svc: core_pb2.Service) -> list[str]:
    """getAddressTypesForService: spec.ipFamilies; else the ClusterIP's family; else IPv4."""
    if svc.spec.ip_families:
        return [f for f in svc.spec.ip_families if f in (IPV4, IPV6)]
    for ip in (*svc.spec.cluster_ips, svc.spec.cluster_ip):
        family = _family(ip)
        if family:
            return [family]
    return [IPV4]


def format_trigger_time(seconds: int, nanos: int) -> str:
    """Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros."""
    text = datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    frac = f"{nanos:09d}".rstrip("0")
    return f"{text}.{frac}Z" if frac else f"{text}Z"
