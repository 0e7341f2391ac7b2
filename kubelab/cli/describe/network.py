"""kubectl describe pages for Services, Endpoints and EndpointSlices (kubectl pkg/describe/describe.go:
describeService, describeEndpoints, describeEndpointSliceV1, formatEndpointSlices)."""

from __future__ import annotations

from google.protobuf.message import Message

from kubelab.cli.describe.page import PrefixWriter, Related, annotations_multiline, labels_multiline
from kubelab.cli.describe.pods import _int_or_str
from kubelab.printers import format as fmt
from kubelab.printers.tables import MAX_SHOWN, join_host_port

__all__ = ["format_endpoint_slices"]


def _ready(endpoint: Message) -> bool:
    """A nil ready condition means unknown, which consumers read as ready."""
    return not endpoint.conditions.HasField("ready") or endpoint.conditions.ready


def format_endpoint_slices(slices: list[Message], port_name: str) -> str:
    """formatEndpointSlices: ready endpoints of the slices as ip:port for the Service port named port_name
    (ip alone for a slice without ports), 3 at most. Like kubectl, it may say "+ 0 more..." when the
    fourth endpoint it meets is not ready."""
    if not slices:
        return "<none>"
    shown: list[str] = []
    more, count = False, 0
    for eps in slices:
        ports = [p.port for p in eps.ports if p.name == port_name] if eps.ports else [None]
        for port in ports:
            for endpoint in eps.endpoints:
                if len(shown) == MAX_SHOWN:
                    more = True
                if not _ready(endpoint):
                    continue
                if not more:
                    ip = endpoint.addresses[0]
                    shown.append(ip if port is None else join_host_port(ip, port))
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - MAX_SHOWN} more..." if more else text


def _meta(w: PrefixWriter, obj: Message) -> None:
    w.write(0, f"Name:\t{obj.metadata.name}\n")
    w.write(0, f"Namespace:\t{obj.metadata.namespace}\n")
    labels_multiline(w, "Labels", obj.metadata.labels)
    annotations_multiline(w, "Annotations", obj.metadata.annotations)


def _ingress(svc: Message) -> str:
    return ", ".join(i.ip or i.hostname for i in svc.status.load_balancer.ingress)


def _optional(w: PrefixWriter, rows: list[tuple[str, object]]) -> None:
    """The `Title:\tvalue` lines kubectl writes only when the value is set."""
    for title, value in rows:
        if value:
            w.write(0, f"{title}:\t{value}\n")


def _service_port(w: PrefixWriter, p: Message, slices: list[Message]) -> None:
    name = p.name or "<unset>"
    w.write(0, f"Port:\t{name}\t{p.port}/{p.protocol}\n")
    w.write(0, f"TargetPort:\t{_int_or_str(p.target_port) or '0'}/{p.protocol}\n")
    _optional(w, [("AppProtocol", p.app_protocol)])
    if p.node_port:
        w.write(0, f"NodePort:\t{name}\t{p.node_port}/{p.protocol}\n")
    w.write(0, f"Endpoints:\t{format_endpoint_slices(slices, p.name)}\n")


def describe_service(svc: Message, related: Related, w: PrefixWriter) -> None:
    spec = svc.spec
    _meta(w, svc)
    w.write(0, f"Selector:\t{fmt.format_labels(spec.selector)}\n")
    w.write(0, f"Type:\t{spec.type}\n")
    if spec.HasField("ip_family_policy"):
        w.write(0, f"IP Family Policy:\t{spec.ip_family_policy}\n")
    w.write(0, f"IP Families:\t{','.join(spec.ip_families) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.cluster_ip}\n")
    w.write(0, f"IPs:\t{','.join(spec.cluster_ips) or '<none>'}\n")
    _optional(w, [("External IPs", ",".join(spec.external_ips)), ("Desired LoadBalancer IP", spec.load_balancer_ip),
                  ("External Name", spec.external_name), ("LoadBalancer Ingress", _ingress(svc))])
    for p in spec.ports:
        _service_port(w, p, related.endpoint_slices)
    w.write(0, f"Session Affinity:\t{spec.session_affinity}\n")
    _optional(w, [("External Traffic Policy", spec.external_traffic_policy),
                  ("Internal Traffic Policy", spec.internal_traffic_policy),
                  ("HealthCheck NodePort", spec.health_check_node_port),
                  ("LoadBalancer Source Ranges", ",".join(spec.load_balancer_source_ranges)),
                  ("Traffic Distribution", spec.traffic_distribution)])


def describe_endpoints(ep: Message, related: Related, w: PrefixWriter) -> None:
    _meta(w, ep)
    w.write(0, "Subsets:\n")
    for ss in ep.subsets:
        w.write(1, f"Addresses:\t{','.join(a.ip for a in ss.addresses) or '<none>'}\n")
        w.write(1, f"NotReadyAddresses:\t{','.join(a.ip for a in ss.not_ready_addresses) or '<none>'}\n")
        if ss.ports:
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for p in ss.ports:
                w.write(2, f"{p.name or '<unset>'}\t{p.port}\t{p.protocol}\n")
        w.write(0, "\n")


def describe_endpointslice(eps: Message, related: Related, w: PrefixWriter) -> None:
    _meta(w, eps)
    w.write(0, f"AddressType:\t{eps.address_type}\n")
    if not eps.ports:
        w.write(0, "Ports: <unset>\n")
    else:
        w.write(0, "Ports:\n")
        w.write(1, "Name\tPort\tProtocol\n")
        w.write(1, "----\t----\t--------\n")
        for p in eps.ports:
            port = str(p.port) if p.HasField("port") else "<unset>"
            w.write(1, f"{p.name or '<unset>'}\t{port}\t{p.protocol}\n")
    if not eps.endpoints:
        w.write(0, "Endpoints: <none>\n")
        return
    w.write(0, "Endpoints:\n")
    for e in eps.endpoints:
        w.write(1, f"- Addresses:\t{', '.join(e.addresses) or '<none>'}\n")
        w.write(2, "Conditions:\n")
        ready = ("true" if e.conditions.ready else "false") if e.conditions.HasField("ready") else "<unset>"
        w.write(3, f"Ready:\t{ready}\n")
        _field_or_unset(w, e, "Hostname", "hostname")
        if e.HasField("target_ref"):
            w.write(2, f"TargetRef:\t{e.target_ref.kind}/{e.target_ref.name}\n")
        _field_or_unset(w, e, "NodeName", "node_name")
        _field_or_unset(w, e, "Zone", "zone")


def _field_or_unset(w: PrefixWriter, endpoint: Message, title: str, field: str) -> None:
    """An optional endpoint field at level 2, `<unset>` when nil."""
    w.write(2, f"{title}:\t{getattr(endpoint, field) if endpoint.HasField(field) else '<unset>'}\n")
