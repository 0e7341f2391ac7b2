"""The table columns and cells of each kind (k/k pkg/printers/internalversion/printers.go).

`table(kind)` gives the columns and the cells function; a cells function returns every cell of the
wide form (kubectl's priority-1 columns are `wide`). Cells are strings, printed as they are (an empty
cell stays empty, as kubectl prints it). The CLI's table printer adds NAMESPACE and the `kind/` prefix
(kubelab.cli.render.table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from google.protobuf.message import Message

from kubelab import meta
from kubelab.printers import format as fmt
from kubelab.printers.podstatus import summarize_pod

__all__ = ["Column", "Table", "TABLES", "table", "node_roles", "node_status", "format_endpoints",
           "join_host_port", "MAX_SHOWN"]


@dataclass(frozen=True)
class Column:
    name: str
    wide: bool = False  # kubectl's priority 1: only with -o wide


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    cells: Callable[[Message, float], list[str]]


def _cols(*names: str, wide: tuple[str, ...] = ()) -> tuple[Column, ...]:
    return tuple(Column(n) for n in names) + tuple(Column(n, wide=True) for n in wide)


def _age(obj: Message, now: float) -> str:
    return fmt.since(obj.metadata, "creation_timestamp", now)


def _containers(template: Message) -> tuple[str, str]:
    """layoutContainerCells: container names and images, comma-separated."""
    cs = template.spec.containers
    return ",".join(c.name for c in cs), ",".join(c.image for c in cs)


def _replicas(spec: Message) -> int:
    return spec.replicas if spec.HasField("replicas") else 1


def pod_cells(pod: Message, now: float) -> list[str]:
    s = summarize_pod(pod, now)
    ip = pod.status.pod_ips[0].ip if pod.status.pod_ips else pod.status.pod_ip
    gates = "<none>"
    if pod.spec.readiness_gates:
        conditions = {c.type: c.status for c in pod.status.conditions}
        true = sum(1 for g in pod.spec.readiness_gates if conditions.get(g.condition_type) == "True")
        gates = f"{true}/{len(pod.spec.readiness_gates)}"
    return [pod.metadata.name, s.ready, s.status, s.restarts, _age(pod, now),
            ip or "<none>", pod.spec.node_name or "<none>", pod.status.nominated_node_name or "<none>", gates]


def deployment_cells(d: Message, now: float) -> list[str]:
    names, images = _containers(d.spec.template)
    return [d.metadata.name, f"{d.status.ready_replicas}/{_replicas(d.spec)}", str(d.status.updated_replicas),
            str(d.status.available_replicas), _age(d, now), names, images,
            _selector(d.spec)]


def _selector(spec: Message) -> str:
    if not spec.HasField("selector"):
        return ""
    return fmt.format_label_selector(spec.selector)


def replicaset_cells(rs: Message, now: float) -> list[str]:
    names, images = _containers(rs.spec.template)
    return [rs.metadata.name, str(_replicas(rs.spec)), str(rs.status.replicas), str(rs.status.ready_replicas),
            _age(rs, now), names, images, _selector(rs.spec)]


def statefulset_cells(s: Message, now: float) -> list[str]:
    names, images = _containers(s.spec.template)
    return [s.metadata.name, f"{s.status.ready_replicas}/{_replicas(s.spec)}", _age(s, now), names, images]


def pvc_cells(pvc: Message, now: float) -> list[str]:
    from kubelab.storage import volume  # with its sizes and node affinity: not for `get pods` (issue 19)
    phase = "Terminating" if pvc.metadata.HasField("deletion_timestamp") else pvc.status.phase
    capacity = modes = ""
    if pvc.spec.volume_name:
        modes = volume.access_modes_key(pvc.status.access_modes)
        capacity = fmt.quantity(pvc.status.capacity.get("storage", ""))
    vac = pvc.spec.volume_attributes_class_name if pvc.spec.HasField("volume_attributes_class_name") else "<unset>"
    mode = pvc.spec.volume_mode if pvc.spec.HasField("volume_mode") else "<unset>"
    return [pvc.metadata.name, phase, pvc.spec.volume_name, capacity, modes, volume.claim_class(pvc), vac,
            _age(pvc, now), mode]


def pv_cells(pv: Message, now: float) -> list[str]:
    from kubelab.storage import volume
    claim = f"{pv.spec.claim_ref.namespace}/{pv.spec.claim_ref.name}" if pv.spec.HasField("claim_ref") else ""
    phase = "Terminating" if pv.metadata.HasField("deletion_timestamp") else pv.status.phase
    vac = pv.spec.volume_attributes_class_name if pv.spec.HasField("volume_attributes_class_name") else "<unset>"
    mode = pv.spec.volume_mode if pv.spec.HasField("volume_mode") else "<unset>"
    return [pv.metadata.name, fmt.quantity(pv.spec.capacity.get("storage", "")),
            volume.access_modes_key(pv.spec.access_modes), pv.spec.persistent_volume_reclaim_policy, phase, claim, volume.volume_class(pv), vac, pv.status.reason,
            _age(pv, now), mode]


def storageclass_cells(sc: Message, now: float) -> list[str]:
    from kubelab.storage import volume
    name = sc.metadata.name + (" (default)" if volume.is_default_class(sc) else "")
    reclaim = sc.reclaim_policy if sc.HasField("reclaim_policy") else "Delete"
    binding = sc.volume_binding_mode if sc.HasField("volume_binding_mode") else "Immediate"
    expand = sc.HasField("allow_volume_expansion") and sc.allow_volume_expansion
    return [name, sc.provisioner, reclaim, binding, fmt.bool_str(expand), _age(sc, now)]


NODE_ROLE_PREFIX = "node-role.kubernetes.io/"


def node_roles(node: Message) -> list[str]:
    roles = set()
    for k, v in node.metadata.labels.items():
        if k.startswith(NODE_ROLE_PREFIX) and len(k) > len(NODE_ROLE_PREFIX):
            roles.add(k[len(NODE_ROLE_PREFIX):])
        elif k == "kubernetes.io/role" and v:
            roles.add(v)
    return sorted(roles)


def node_status(node: Message) -> str:
    status = []
    for c in node.status.conditions:
        if c.type == "Ready":
            status = ["Ready" if c.status == "True" else "NotReady"]
            break
    status = status or ["Unknown"]
    if node.spec.unschedulable:
        status.append("SchedulingDisabled")
    return ",".join(status)


def _node_address(node: Message, kind: str) -> str:
    return next((a.address for a in node.status.addresses if a.type == kind), "<none>")


def node_cells(node: Message, now: float) -> list[str]:
    info = node.status.node_info
    return [node.metadata.name, node_status(node), ",".join(node_roles(node)) or "<none>", _age(node, now),
            info.kubelet_version, _node_address(node, "InternalIP"), _node_address(node, "ExternalIP"),
            info.os_image or "<unknown>", info.kernel_version or "<unknown>",
            info.container_runtime_version or "<unknown>"]


def service_cells(svc: Message, now: float) -> list[str]:
    spec = svc.spec
    cluster_ip = spec.cluster_ips[0] if spec.cluster_ips else (spec.cluster_ip or "<none>")
    if spec.type in ("", "ClusterIP", "NodePort"):
        external = ",".join(spec.external_ips) or "<none>"
    elif spec.type == "LoadBalancer":
        ingress = sorted({i.ip or i.hostname for i in svc.status.load_balancer.ingress if i.ip or i.hostname})
        external = ",".join([*ingress, *spec.external_ips]) or "<pending>"
    elif spec.type == "ExternalName":
        external = spec.external_name
    else:
        external = "<unknown>"
    ports = ",".join(f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}"
                     for p in spec.ports) or "<none>"
    return [svc.metadata.name, spec.type, cluster_ip, external, ports, _age(svc, now),
            fmt.format_labels(dict(spec.selector))]


MAX_SHOWN = 3  # kubectl lists at most 3 endpoints or ports, then "+ N more..."


def _with_more(shown: list[str], more: bool, count: int, empty: str) -> str:
    """listWithMoreString."""
    text = ",".join(shown)
    if more:
        return f"{text} + {count - MAX_SHOWN} more..."
    return text or empty


def join_host_port(ip: str, port: int) -> str:
    """net.JoinHostPort: IPv6 addresses in brackets."""
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def format_endpoints(ep: Message, port_names: set[str] | None = None) -> str:
    """formatEndpoints: ready addresses as ip:port (or ip for a subset without ports), 3 at most."""
    if not ep.subsets:
        return "<none>"
    shown: list[str] = []
    more, count = False, 0
    for ss in ep.subsets:
        pairs = [(a.ip, None) for a in ss.addresses] if not ss.ports else \
            [(a.ip, p.port) for p in ss.ports if port_names is None or p.name in port_names for a in ss.addresses]
        count += len(pairs)
        for ip, port in pairs:
            if len(shown) == MAX_SHOWN:
                more = True
                break
            shown.append(ip if port is None else join_host_port(ip, port))
    return _with_more(shown, more, count, "")


def endpoints_cells(ep: Message, now: float) -> list[str]:
    return [ep.metadata.name, format_endpoints(ep), _age(ep, now)]


def _listed(values: list[str]) -> str:
    return _with_more(values[:MAX_SHOWN], len(values) > MAX_SHOWN, len(values), "<unset>")


def endpointslice_cells(eps: Message, now: float) -> list[str]:
    """printEndpointSlice: formatDiscoveryPorts (number, else name, else *) and every address, ready or not."""
    ports = [str(p.port) if p.HasField("port") else (p.name if p.HasField("name") else "*") for p in eps.ports]
    addresses = [a for e in eps.endpoints for a in e.addresses]
    return [eps.metadata.name, eps.address_type, _listed(ports), _listed(addresses), _age(eps, now)]


def namespace_cells(ns: Message, now: float) -> list[str]:
    return [ns.metadata.name, ns.status.phase, _age(ns, now)]


def event_cells(ev: Message, now: float) -> list[str]:
    first = fmt.since(ev, "first_timestamp", now)
    if fmt.timestamp_seconds(ev, "first_timestamp") is None:
        first = fmt.since(ev, "event_time", now)
    last = fmt.since(ev, "last_timestamp", now) if fmt.timestamp_seconds(ev, "last_timestamp") else first
    count = ev.count
    if ev.HasField("series"):
        last, count = fmt.since(ev.series, "last_observed_time", now), ev.series.count
    elif count == 0:
        count = 1
    ref = ev.involved_object
    target = f"{ref.kind.lower()}/{ref.name}" if ref.name else ref.kind.lower()
    component = ev.source.component or ev.reporting_component
    host = ev.source.host or ev.reporting_instance
    source = f"{component}, {host}" if host else component
    return [last, ev.type, ev.reason, target, ref.field_path, source, ev.message.strip(), first, str(count),
            ev.metadata.name]


def lease_cells(lease: Message, now: float) -> list[str]:
    return [lease.metadata.name, lease.spec.holder_identity, _age(lease, now)]


def volumeattachment_cells(va: Message, now: float) -> list[str]:
    return [va.metadata.name, va.spec.attacher, va.spec.source.persistent_volume_name, va.spec.node_name,
            fmt.bool_str(va.status.attached), _age(va, now)]


def controllerrevision_cells(cr: Message, now: float) -> list[str]:
    ref = meta.controller_of(cr)
    controller = "<none>"
    if ref is not None:
        group = ref.api_version.split("/")[0] if "/" in ref.api_version else ""
        controller = f"{ref.kind}.{group}".lower().rstrip(".") + f"/{ref.name}"
    return [cr.metadata.name, controller, str(cr.revision), _age(cr, now)]


def configmap_cells(cm: Message, now: float) -> list[str]:
    return [cm.metadata.name, str(len(cm.data) + len(cm.binary_data)), _age(cm, now)]


def secret_cells(secret: Message, now: float) -> list[str]:
    return [secret.metadata.name, secret.type, str(len(secret.data)), _age(secret, now)]


def default_cells(obj: Message, now: float) -> list[str]:
    return [obj.metadata.name, _age(obj, now)]


TABLES: dict[str, Table] = {
    "Pod": Table(_cols("NAME", "READY", "STATUS", "RESTARTS", "AGE",
                       wide=("IP", "NODE", "NOMINATED NODE", "READINESS GATES")), pod_cells),
    "Deployment": Table(_cols("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE",
                              wide=("CONTAINERS", "IMAGES", "SELECTOR")), deployment_cells),
    "ReplicaSet": Table(_cols("NAME", "DESIRED", "CURRENT", "READY", "AGE",
                              wide=("CONTAINERS", "IMAGES", "SELECTOR")), replicaset_cells),
    "StatefulSet": Table(_cols("NAME", "READY", "AGE", wide=("CONTAINERS", "IMAGES")), statefulset_cells),
    "PersistentVolumeClaim": Table(_cols("NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS MODES", "STORAGECLASS",
                                         "VOLUMEATTRIBUTESCLASS", "AGE", wide=("VOLUMEMODE",)), pvc_cells),
    "PersistentVolume": Table(_cols("NAME", "CAPACITY", "ACCESS MODES", "RECLAIM POLICY", "STATUS", "CLAIM",
                                    "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "REASON", "AGE",
                                    wide=("VOLUMEMODE",)), pv_cells),
    "StorageClass": Table(_cols("NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
                                "ALLOWVOLUMEEXPANSION", "AGE"), storageclass_cells),
    "Node": Table(_cols("NAME", "STATUS", "ROLES", "AGE", "VERSION", wide=(
        "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME")), node_cells),
    "Service": Table(_cols("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", wide=("SELECTOR",)),
                     service_cells),
    "Endpoints": Table(_cols("NAME", "ENDPOINTS", "AGE"), endpoints_cells),
    "EndpointSlice": Table(_cols("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"), endpointslice_cells),
    "Namespace": Table(_cols("NAME", "STATUS", "AGE"), namespace_cells),
    "ConfigMap": Table(_cols("NAME", "DATA", "AGE"), configmap_cells),
    "Secret": Table(_cols("NAME", "TYPE", "DATA", "AGE"), secret_cells),
    "Event": Table((Column("LAST SEEN"), Column("TYPE"), Column("REASON"), Column("OBJECT"),
                    Column("SUBOBJECT", True), Column("SOURCE", True), Column("MESSAGE"),
                    Column("FIRST SEEN", True), Column("COUNT", True), Column("NAME", True)), event_cells),
    "Lease": Table(_cols("NAME", "HOLDER", "AGE"), lease_cells),
    "VolumeAttachment": Table(_cols("NAME", "ATTACHER", "PV", "NODE", "ATTACHED", "AGE"), volumeattachment_cells),
    "ControllerRevision": Table(_cols("NAME", "CONTROLLER", "REVISION", "AGE"), controllerrevision_cells),
}
DEFAULT_TABLE = Table(_cols("NAME", "AGE"), default_cells)


def table(kind: str) -> Table:
    return TABLES.get(kind, DEFAULT_TABLE)

