"""What one pod contributes to a Service's EndpointSlices, and the slice objects themselves (staging
`k8s.io/endpointslice/utils.go`: podToEndpoint, getEndpointPorts, newEndpointSlice,
setEndpointSliceLabels, ownedBy; `util/endpointset.go` hashEndpoint; `endpointslice` PortMapKey). Pure.
"""
from __future__ import annotations

from collections.abc import Sequence

from kubelab.api.v1 import core_pb2, discovery_pb2
from kubelab.podutil import is_pod_ready
from services.endpoints.utils import (CONTROLLER_NAME, HEADLESS_LABEL, MANAGED_BY_LABEL, SERVICE_NAME_LABEL,
                                      TRIGGER_TIME_ANNOTATION, PortNotFound, find_port, is_service_ip_set,
                                      pod_ips_of_family, should_set_hostname)

__all__ = ["RESERVED_LABELS", "PortKey", "EndpointKey", "pod_to_endpoint", "endpoint_ports", "port_key",
           "endpoint_key", "slice_labels", "new_endpoint_slice", "owned_by", "set_trigger_time",
           "is_placeholder_of"]

RESERVED_LABELS = frozenset({SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL})
ZONE_LABEL = "topology.kubernetes.io/zone"

PortKey = tuple[tuple[str, int, str, str], ...]
EndpointKey = tuple[tuple[str, ...], str, str, str]


def pod_to_endpoint(pod: core_pb2.Pod, node: core_pb2.Node | None, svc: core_pb2.Service,
                    address_type: str) -> discovery_pb2.Endpoint:
    """One endpoint: the pod's address of that family, its conditions, where it runs, who it is.

    serving = the pod is Ready; terminating = it is being deleted; ready = serving and not terminating,
    or always with publishNotReadyAddresses."""
    serving = is_pod_ready(pod)
    terminating = pod.metadata.HasField("deletion_timestamp")
    ready = svc.spec.publish_not_ready_addresses or (serving and not terminating)
    ep = discovery_pb2.Endpoint(addresses=pod_ips_of_family(pod, address_type))
    ep.conditions.ready, ep.conditions.serving, ep.conditions.terminating = ready, serving, terminating
    ep.target_ref.kind, ep.target_ref.namespace = "Pod", pod.metadata.namespace
    ep.target_ref.name, ep.target_ref.uid = pod.metadata.name, pod.metadata.uid
    if pod.spec.node_name:
        ep.node_name = pod.spec.node_name
    if node is not None and node.metadata.labels.get(ZONE_LABEL):
        ep.zone = node.metadata.labels[ZONE_LABEL]
    if should_set_hostname(pod, svc):
        ep.hostname = pod.spec.hostname
    return ep


def endpoint_ports(svc: core_pb2.Service, pod: core_pb2.Pod) -> list[discovery_pb2.EndpointSlicePort]:
    """getEndpointPorts: one per Service port the pod has; a named port the pod lacks is left out."""
    out = []
    for sp in svc.spec.ports:
        try:
            number = find_port(pod, sp)
        except PortNotFound:
            continue
        port = discovery_pb2.EndpointSlicePort(name=sp.name, port=number, protocol=sp.protocol or "TCP")
        if sp.app_protocol:
            port.app_protocol = sp.app_protocol
        out.append(port)
    return out


def port_key(ports: Sequence[discovery_pb2.EndpointSlicePort]) -> PortKey:
    """NewPortMapKey: the same set of ports in any order is the same key."""
    return tuple(sorted((p.name, p.port, p.protocol, p.app_protocol) for p in ports))


def endpoint_key(ep: discovery_pb2.Endpoint) -> EndpointKey:
    """hashEndpoint: addresses, hostname and the target's namespace/name identify an endpoint; its other
    fields (conditions, node, zone, uid) are what an update may change."""
    return (tuple(sorted(ep.addresses)), ep.hostname, ep.target_ref.namespace, ep.target_ref.name)


def slice_labels(svc: core_pb2.Service) -> dict[str, str]:
    """setEndpointSliceLabels: the Service's labels but the reserved ones, the headless label when the
    Service has no ClusterIP, then the service-name and managed-by labels."""
    labels = {k: v for k, v in svc.metadata.labels.items() if k not in RESERVED_LABELS}
    if not is_service_ip_set(svc):
        labels[HEADLESS_LABEL] = ""
    labels[SERVICE_NAME_LABEL] = svc.metadata.name
    labels[MANAGED_BY_LABEL] = CONTROLLER_NAME
    return labels


def new_endpoint_slice(svc: core_pb2.Service, address_type: str,
                       ports: Sequence[discovery_pb2.EndpointSlicePort]) -> discovery_pb2.EndpointSlice:
    """An empty slice of the Service, named `<svc>-<random>` by the API server, owned by the Service."""
    es = discovery_pb2.EndpointSlice(api_version="discovery.k8s.io/v1", kind="EndpointSlice",
                                     address_type=address_type, ports=ports)
    m = es.metadata
    m.generate_name, m.namespace = f"{svc.metadata.name}-", svc.metadata.namespace
    m.labels.update(slice_labels(svc))
    m.owner_references.add(api_version="v1", kind="Service", name=svc.metadata.name, uid=svc.metadata.uid,
                           controller=True, block_owner_deletion=True)
    return es


def owned_by(es: discovery_pb2.EndpointSlice, svc: core_pb2.Service) -> bool:
    return any(r.uid == svc.metadata.uid and r.kind == "Service" and r.api_version == "v1"
               for r in es.metadata.owner_references)


def is_placeholder_of(es: discovery_pb2.EndpointSlice, svc: core_pb2.Service, address_type: str) -> bool:
    """Whether an existing slice already is the placeholder the Service would get (placeholderSliceCompare:
    namespace, labels, owners, address type, no endpoints, no ports)."""
    want = new_endpoint_slice(svc, address_type, [])
    return (es.metadata.namespace == want.metadata.namespace
            and dict(es.metadata.labels) == dict(want.metadata.labels)
            and list(es.metadata.owner_references) == list(want.metadata.owner_references)
            and es.address_type == address_type and not es.endpoints and not es.ports)


def set_trigger_time(es: discovery_pb2.EndpointSlice, trigger: str | None) -> None:
    """addTriggerTimeAnnotation: set it, or remove it when no change triggered this write."""
    if trigger:
        es.metadata.annotations[TRIGGER_TIME_ANNOTATION] = trigger
    else:
        es.metadata.annotations.pop(TRIGGER_TIME_ANNOTATION, None)
