"""kubectl describe pages for workloads, nodes and namespaces (storage and services have their own modules)."""

from __future__ import annotations

from google.protobuf.message import Message

from kubelab import labels as labelsel
from kubelab.cli.describe.page import (PrefixWriter, Related, annotations_multiline, labels_multiline, rfc1123z,
                                       taints_multiline)
from kubelab.cli.describe.pods import _int_or_str, describe_pod_template
from kubelab.cli.describe.resources import describe_node_resources
from kubelab.meta import controller_of
from kubelab.printers import format as fmt
from kubelab.printers.tables import node_roles
from kubelab.storage.volume import claim_class

__all__ = ["pod_status_counts"]


def _selector(spec: Message) -> str:
    if not spec.HasField("selector"):
        return ""
    try:
        return str(labelsel.label_selector_as_selector(spec.selector))
    except labelsel.SelectorError:
        return "<error>"


def _replicas(spec: Message) -> int:
    return spec.replicas if spec.HasField("replicas") else 1


def pod_status_counts(owner: Message, pods: list[Message]) -> str:
    """getPodStatusForController over the pods this owner controls."""
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in pods:
        ref = controller_of(pod)
        if ref is not None and ref.uid == owner.metadata.uid and pod.status.phase in counts:
            counts[pod.status.phase] += 1
    return (f"{counts['Running']} Running / {counts['Pending']} Waiting / {counts['Succeeded']} Succeeded / "
            f"{counts['Failed']} Failed")


def _header(w: PrefixWriter, obj: Message, *, created: bool) -> None:
    w.write(0, f"Name:\t{obj.metadata.name}\n")
    w.write(0, f"Namespace:\t{obj.metadata.namespace}\n")
    if created:
        w.write(0, f"CreationTimestamp:\t{rfc1123z(obj.metadata, 'creation_timestamp')}\n")


def _conditions(w: PrefixWriter, conditions) -> None:
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in conditions:
            w.write(1, f"{c.type} \t{c.status}\t{c.reason}\n")


def describe_deployment(d: Message, related: Related, w: PrefixWriter) -> None:
    _header(w, d, created=True)
    labels_multiline(w, "Labels", d.metadata.labels)
    annotations_multiline(w, "Annotations", d.metadata.annotations)
    w.write(0, f"Selector:\t{_selector(d.spec)}\n")
    s = d.status
    w.write(0, f"Replicas:\t{_replicas(d.spec)} desired | {s.updated_replicas} updated | {s.replicas} total | "
               f"{s.available_replicas} available | {s.unavailable_replicas} unavailable\n")
    w.write(0, f"StrategyType:\t{d.spec.strategy.type}\n")
    w.write(0, f"MinReadySeconds:\t{d.spec.min_ready_seconds}\n")
    if d.spec.strategy.HasField("rolling_update"):
        ru = d.spec.strategy.rolling_update
        w.write(0, f"RollingUpdateStrategy:\t{_int_or_str(ru.max_unavailable)} max unavailable, "
                   f"{_int_or_str(ru.max_surge)} max surge\n")
    describe_pod_template(w, d.spec.template)
    _conditions(w, d.status.conditions)
    old, new = related.replica_sets
    if old or new:
        w.write(0, f"OldReplicaSets:\t{_replica_sets(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_replica_sets(new)}\n")


def _replica_sets(sets) -> str:
    return ", ".join(f"{rs.metadata.name} ({rs.status.replicas}/{_replicas(rs.spec)} replicas created)"
                     for rs in sets) or "<none>"


def describe_replicaset(rs: Message, related: Related, w: PrefixWriter) -> None:
    _header(w, rs, created=False)
    w.write(0, f"Selector:\t{fmt.format_label_selector(rs.spec.selector)}\n")
    labels_multiline(w, "Labels", rs.metadata.labels)
    annotations_multiline(w, "Annotations", rs.metadata.annotations)
    ref = controller_of(rs)
    if ref is not None:
        w.write(0, f"Controlled By:\t{ref.kind}/{ref.name}\n")
    w.write(0, f"Replicas:\t{rs.status.replicas} current / {_replicas(rs.spec)} desired\n")
    w.write(0, f"Pods Status:\t{pod_status_counts(rs, related.pods)}\n")
    describe_pod_template(w, rs.spec.template)
    _conditions(w, rs.status.conditions)


def describe_statefulset(sts: Message, related: Related, w: PrefixWriter) -> None:
    _header(w, sts, created=True)
    w.write(0, f"Selector:\t{_selector(sts.spec)}\n")
    labels_multiline(w, "Labels", sts.metadata.labels)
    annotations_multiline(w, "Annotations", sts.metadata.annotations)
    w.write(0, f"Replicas:\t{_replicas(sts.spec)} desired | {sts.status.replicas} total\n")
    w.write(0, f"Update Strategy:\t{sts.spec.update_strategy.type}\n")
    if sts.spec.update_strategy.HasField("rolling_update"):
        ru = sts.spec.update_strategy.rolling_update
        if ru.HasField("partition"):
            w.write(1, f"Partition:\t{ru.partition}\n")
            if ru.HasField("max_unavailable"):
                w.write(1, f"MaxUnavailable:\t{_int_or_str(ru.max_unavailable)}\n")
    w.write(0, f"Pods Status:\t{pod_status_counts(sts, related.pods)}\n")
    describe_pod_template(w, sts.spec.template)
    templates = sts.spec.volume_claim_templates
    if not templates:
        w.write(0, "Volume Claims:\t<none>\n")
        return
    w.write(0, "Volume Claims:\n")
    for pvc in templates:
        w.write(1, f"Name:\t{pvc.metadata.name}\n")
        w.write(1, f"StorageClass:\t{claim_class(pvc)}\n")
        labels_multiline(w, "Labels", pvc.metadata.labels, initial="  ")
        labels_multiline(w, "Annotations", pvc.metadata.annotations, initial="  ")
        capacity = pvc.spec.resources.requests.get("storage")
        w.write(1, f"Capacity:\t{fmt.quantity(capacity) if capacity else '<default>'}\n")
        w.write(1, f"Access Modes:\t[{' '.join(pvc.spec.access_modes)}]\n")


def describe_node(node: Message, related: Related, w: PrefixWriter) -> None:
    w.write(0, f"Name:\t{node.metadata.name}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or '<none>'}\n")
    labels_multiline(w, "Labels", node.metadata.labels)
    annotations_multiline(w, "Annotations", node.metadata.annotations)
    w.write(0, f"CreationTimestamp:\t{rfc1123z(node.metadata, 'creation_timestamp')}\n")
    taints_multiline(w, "Taints", node.spec.taints)
    w.write(0, f"Unschedulable:\t{fmt.bool_str(node.spec.unschedulable)}\n")
    lease = related.lease
    w.write(0, "Lease:\n")
    holder = lease.spec.holder_identity if lease is not None and lease.spec.HasField("holder_identity") else "<unset>"
    w.write(1, f"HolderIdentity:\t{holder}\n")
    for title, field in (("AcquireTime", "acquire_time"), ("RenewTime", "renew_time")):
        value = rfc1123z(lease.spec, field) if lease is not None and lease.spec.HasField(field) else "<unset>"
        w.write(1, f"{title}:\t{value}\n")
    if node.status.conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in node.status.conditions:
            w.write(1, f"{c.type} \t{c.status} \t{rfc1123z(c, 'last_heartbeat_time')} \t"
                       f"{rfc1123z(c, 'last_transition_time')} \t{c.reason} \t{c.message}\n")
    w.write(0, "Addresses:\n")
    for a in node.status.addresses:
        w.write(1, f"{a.type}:\t{a.address}\n")
    for title, values in (("Capacity", node.status.capacity), ("Allocatable", node.status.allocatable)):
        if values:
            w.write(0, f"{title}:\n")
            for name in sorted(values):
                w.write(0, f"  {name}:\t{fmt.quantity(values[name])}\n")
    info = node.status.node_info
    w.write(0, "System Info:\n")
    for title, value in (("Machine ID", info.machine_id), ("System UUID", info.system_uuid),
                         ("Boot ID", info.boot_id), ("Kernel Version", info.kernel_version),
                         ("OS Image", info.os_image), ("Operating System", info.operating_system),
                         ("Architecture", info.architecture),
                         ("Container Runtime Version", info.container_runtime_version),
                         ("Kubelet Version", info.kubelet_version), ("Kube-Proxy Version", info.kube_proxy_version)):
        w.write(0, f"  {title}:\t{value}\n")
    if node.spec.pod_cidr:
        w.write(0, f"PodCIDR:\t{node.spec.pod_cidr}\n")
    if node.spec.pod_cidrs:
        w.write(0, f"PodCIDRs:\t{','.join(node.spec.pod_cidrs)}\n")
    if node.spec.provider_id:
        w.write(0, f"ProviderID:\t{node.spec.provider_id}\n")
    describe_node_resources(w, node, related.pods, related.now)


def describe_namespace(ns: Message, related: Related, w: PrefixWriter) -> None:
    w.write(0, f"Name:\t{ns.metadata.name}\n")
    labels_multiline(w, "Labels", ns.metadata.labels)
    annotations_multiline(w, "Annotations", ns.metadata.annotations)
    w.write(0, f"Status:\t{ns.status.phase}\n")
    w.write(0, "\nNo resource quota.\n")
    w.write(0, "\nNo LimitRange resource.\n")
    related.events = None  # kubectl's namespace page has no events
