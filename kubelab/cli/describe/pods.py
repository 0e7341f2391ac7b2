"""kubectl describe for pods, and the container, volume and pod-template sections other pages reuse."""

from __future__ import annotations

from google.protobuf.message import Message

from kubelab.cli.describe.page import (PrefixWriter, Related, annotations_multiline, labels_multiline, rfc1123z,
                                       tolerations_multiline)
from kubelab.meta import controller_of
from kubelab.podutil import qos_class
from kubelab.printers import format as fmt

__all__ = ["describe_pod", "describe_pod_template", "describe_containers", "describe_volumes", "qos_class"]


def _int_or_str(value: Message) -> str:
    """IntOrString.String() of a google.protobuf.Value."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return str(int(value.number_value))
    if kind == "string_value":
        return value.string_value
    return ""


def describe_probe(p: Message) -> str:
    attrs = (f"delay={p.initial_delay_seconds}s timeout={p.timeout_seconds if p.HasField('timeout_seconds') else 1}s "
             f"period={p.period_seconds if p.HasField('period_seconds') else 10}s "
             f"#success={p.success_threshold if p.HasField('success_threshold') else 1} "
             f"#failure={p.failure_threshold if p.HasField('failure_threshold') else 3}")
    if p.HasField("exec"):
        return f"exec [{' '.join(p.exec.command)}] {attrs}"
    if p.HasField("http_get"):
        g = p.http_get
        port = _int_or_str(g.port)
        host = f"{g.host}:{port}" if port else g.host
        return f"http-get {(g.scheme or 'HTTP').lower()}://{host}{g.path} {attrs}"
    if p.HasField("tcp_socket"):
        return f"tcp-socket {p.tcp_socket.host}:{_int_or_str(p.tcp_socket.port)} {attrs}"
    if p.HasField("grpc"):
        return f"grpc <pod>:{p.grpc.port} {p.grpc.service} {attrs}"
    return f"unknown {attrs}"


def _describe_state(w: PrefixWriter, name: str, state: Message) -> None:
    if state.HasField("running"):
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z(state.running, 'started_at')}\n")
    elif state.HasField("waiting"):
        w.write(2, f"{name}:\tWaiting\n")
        if state.waiting.reason:
            w.write(3, f"Reason:\t{state.waiting.reason}\n")
    elif state.HasField("terminated"):
        t = state.terminated
        w.write(2, f"{name}:\tTerminated\n")
        if t.reason:
            w.write(3, f"Reason:\t{t.reason}\n")
        if t.message:
            w.write(3, f"Message:\t{t.message}\n")
        w.write(3, f"Exit Code:\t{t.exit_code}\n")
        if t.signal > 0:
            w.write(3, f"Signal:\t{t.signal}\n")
        w.write(3, f"Started:\t{rfc1123z(t, 'started_at')}\n")
        w.write(3, f"Finished:\t{rfc1123z(t, 'finished_at')}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")


def _resources(w: PrefixWriter, res: Message, level: int) -> None:
    for title, values in (("Limits", res.limits), ("Requests", res.requests)):
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{fmt.quantity(values[name])}\n")


_FIELD_PATHS = {
    "metadata.name": lambda p: p.metadata.name, "metadata.namespace": lambda p: p.metadata.namespace,
    "metadata.uid": lambda p: p.metadata.uid, "spec.nodeName": lambda p: p.spec.node_name,
    "spec.serviceAccountName": lambda p: p.spec.service_account_name, "status.hostIP": lambda p: p.status.host_ip,
    "status.podIP": lambda p: p.status.pod_ip,
}


def _field_value(pod: Message | None, path: str) -> str:
    """EnvValueRetriever: a downward-API field of the pod ("" for a template, which has no pod)."""
    if pod is None:
        return ""
    for prefix, values in (("metadata.labels", pod.metadata.labels), ("metadata.annotations", pod.metadata.annotations)):
        if path.startswith(prefix + "['") and path.endswith("']"):
            return values.get(path[len(prefix) + 2:-2], "")
    getter = _FIELD_PATHS.get(path)
    return getter(pod) if getter else ""


def _env(w: PrefixWriter, container: Message, pod: Message | None) -> None:
    w.write(2, "Environment:" + ("" if container.env else "\t<none>") + "\n")
    for e in container.env:
        if not e.HasField("value_from"):
            for i, part in enumerate(e.value.split("\n")):
                w.write(3, f"{e.name}:\t{part}\n" if i == 0 else f"\t{part}\n")
            continue
        vf = e.value_from
        if vf.HasField("field_ref"):
            ref = vf.field_ref
            w.write(3, f"{e.name}:\t{_field_value(pod, ref.field_path)} ({ref.api_version or 'v1'}:{ref.field_path})\n")
        elif vf.HasField("resource_field_ref"):
            w.write(3, f"{e.name}:\t ({vf.resource_field_ref.resource})\n")
        elif vf.HasField("secret_key_ref"):
            r = vf.secret_key_ref
            w.write(3, f"{e.name}:\t<set to the key '{r.key}' in secret '{r.name}'>\tOptional: "
                       f"{fmt.bool_str(r.HasField('optional') and r.optional)}\n")
        elif vf.HasField("config_map_key_ref"):
            r = vf.config_map_key_ref
            w.write(3, f"{e.name}:\t<set to the key '{r.key}' of config map '{r.name}'>\tOptional: "
                       f"{fmt.bool_str(r.HasField('optional') and r.optional)}\n")


def describe_containers(w: PrefixWriter, label: str, containers, statuses, space: str = "",
                        pod: Message | None = None) -> None:
    by_name = {s.name: s for s in statuses}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for c in containers:
        status = by_name.get(c.name)
        w.write(1, f"{' ' if space else ''}{c.name}:\n")
        if status is not None:
            w.write(2, f"Container ID:\t{status.container_id}\n")
        w.write(2, f"Image:\t{c.image}\n")
        if status is not None:
            w.write(2, f"Image ID:\t{status.image_id}\n")
        ports = ", ".join(f"{p.container_port}/{p.protocol or 'TCP'}" for p in c.ports)
        host_ports = ", ".join(f"{p.host_port}/{p.protocol or 'TCP'}" for p in c.ports)
        w.write(2, f"Ports:\t{ports}\n" if "," in ports else f"Port:\t{ports or '<none>'}\n")
        w.write(2, f"Host Ports:\t{host_ports}\n" if "," in host_ports else f"Host Port:\t{host_ports or '<none>'}\n")
        for title, items in (("Command", c.command), ("Args", c.args)):
            if items:
                w.write(2, f"{title}:\n")
                for item in items:
                    for part in item.split("\n"):
                        w.write(3, f"{part}\n")
        if status is not None:
            _describe_state(w, "State", status.state)
            if status.HasField("last_state") and status.last_state.HasField("terminated"):
                _describe_state(w, "Last State", status.last_state)
            w.write(2, f"Ready:\t{'True' if status.ready else 'False'}\n")
            w.write(2, f"Restart Count:\t{status.restart_count}\n")
        _resources(w, c.resources, 2)
        for title, field in (("Liveness", "liveness_probe"), ("Readiness", "readiness_probe"),
                             ("Startup", "startup_probe")):
            if c.HasField(field):
                w.write(2, f"{title}:\t{describe_probe(getattr(c, field))}\n")
        _env(w, c, pod)
        w.write(2, "Mounts:" + ("" if c.volume_mounts else "\t<none>") + "\n")
        for m in sorted(c.volume_mounts, key=lambda m: m.mount_path):
            flags = ["ro" if m.read_only else "rw"] + ([f'path="{m.sub_path}"'] if m.sub_path else [])
            w.write(3, f"{m.mount_path} from {m.name} ({','.join(flags)})\n")


def describe_volumes(w: PrefixWriter, volumes, space: str = "") -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(1, f"{' ' if space else ''}{v.name}:\n")
        if v.HasField("host_path"):
            kind = v.host_path.type if v.host_path.HasField("type") else "<none>"
            w.write(2, f"Type:\tHostPath (bare host directory volume)\n    Path:\t{v.host_path.path}\n"
                       f"    HostPathType:\t{kind}\n")
        elif v.HasField("empty_dir"):
            limit = v.empty_dir.size_limit if v.empty_dir.HasField("size_limit") else "<unset>"
            w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                       f"    Medium:\t{v.empty_dir.medium}\n    SizeLimit:\t{limit}\n")
        elif v.HasField("persistent_volume_claim"):
            c = v.persistent_volume_claim
            w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
                       f"namespace)\n    ClaimName:\t{c.claim_name}\n    ReadOnly:\t{fmt.bool_str(c.read_only)}\n")
        elif v.HasField("config_map"):
            opt = v.config_map.HasField("optional") and v.config_map.optional
            w.write(2, f"Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{v.config_map.name}\n"
                       f"    Optional:\t{fmt.bool_str(opt)}\n")
        elif v.HasField("secret"):
            opt = v.secret.HasField("optional") and v.secret.optional
            w.write(2, f"Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{v.secret.secret_name}\n"
                       f"    Optional:\t{fmt.bool_str(opt)}\n")
        elif v.HasField("projected"):
            describe_projected(w, v.projected)
        elif v.HasField("downward_api"):
            describe_downward_api(w, v.downward_api)
        elif v.HasField("nfs"):
            describe_nfs(w, v.nfs)
        elif v.HasField("gce_persistent_disk"):
            describe_gce_pd(w, v.gce_persistent_disk)
        else:
            w.write(1, "<unknown>\n")


def _go_optional(ref: Message) -> str:
    """kubectl prints the *bool with %v: `<nil>` when unset (an address otherwise; kubelab prints the value)."""
    return fmt.bool_str(ref.optional) if ref.HasField("optional") else "<nil>"


def describe_projected(w: PrefixWriter, projected: Message) -> None:
    w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
    for source in projected.sources:
        if source.HasField("secret"):
            w.write(2, f"SecretName:\t{source.secret.name}\n    SecretOptionalName:\t{_go_optional(source.secret)}\n")
        elif source.HasField("downward_api"):
            w.write(2, "DownwardAPI:\ttrue\n")
        elif source.HasField("config_map"):
            w.write(2, f"ConfigMapName:\t{source.config_map.name}\n"
                       f"    ConfigMapOptional:\t{_go_optional(source.config_map)}\n")
        elif source.HasField("service_account_token"):
            w.write(2, f"TokenExpirationSeconds:\t{source.service_account_token.expiration_seconds}\n")


def describe_downward_api(w: PrefixWriter, dapi: Message) -> None:
    w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
    for item in dapi.items:
        if item.HasField("field_ref"):
            w.write(3, f"{item.field_ref.field_path} -> {item.path}\n")
        if item.HasField("resource_field_ref"):
            w.write(3, f"{item.resource_field_ref.resource} -> {item.path}\n")


def describe_nfs(w: PrefixWriter, nfs: Message) -> None:
    w.write(2, f"Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{nfs.server}\n"
               f"    Path:\t{nfs.path}\n    ReadOnly:\t{fmt.bool_str(nfs.read_only)}\n")


def describe_gce_pd(w: PrefixWriter, pd: Message) -> None:
    w.write(2, "Type:\tGCEPersistentDisk (a Persistent Disk resource in Google Compute Engine)\n"
               f"    PDName:\t{pd.pd_name}\n    FSType:\t{pd.fs_type}\n    Partition:\t{pd.partition}\n"
               f"    ReadOnly:\t{fmt.bool_str(pd.read_only)}\n")


def describe_pod(pod: Message, related: Related, w: PrefixWriter) -> None:
    meta, spec, status = pod.metadata, pod.spec, pod.status
    w.write(0, f"Name:\t{meta.name}\n")
    w.write(0, f"Namespace:\t{meta.namespace}\n")
    if spec.HasField("priority"):
        w.write(0, f"Priority:\t{spec.priority}\n")
    if spec.priority_class_name:
        w.write(0, f"Priority Class Name:\t{spec.priority_class_name}\n")
    if spec.service_account_name:
        w.write(0, f"Service Account:\t{spec.service_account_name}\n")
    w.write(0, f"Node:\t{spec.node_name + '/' + status.host_ip if spec.node_name else '<none>'}\n")
    if fmt.timestamp_seconds(status, "start_time") is not None:
        w.write(0, f"Start Time:\t{rfc1123z(status, 'start_time')}\n")
    labels_multiline(w, "Labels", meta.labels)
    annotations_multiline(w, "Annotations", meta.annotations)
    if meta.HasField("deletion_timestamp") and status.phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {fmt.since(meta, 'deletion_timestamp', related.now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.deletion_grace_period_seconds}s\n")
    else:
        w.write(0, f"Status:\t{status.phase}\n")
    if status.reason:
        w.write(0, f"Reason:\t{status.reason}\n")
    if status.message:
        w.write(0, f"Message:\t{status.message}\n")
    w.write(0, f"IP:\t{status.pod_ip}\n")
    ips = [i.ip for i in status.pod_ips] or ([status.pod_ip] if status.pod_ip else [])
    if not ips:
        w.write(0, "IPs:\t<none>\n")
    else:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip}\n")
    ref = controller_of(pod)
    if ref is not None:
        w.write(0, f"Controlled By:\t{ref.kind}/{ref.name}\n")
    if status.nominated_node_name:
        w.write(0, f"NominatedNodeName:\t{status.nominated_node_name}\n")
    if spec.init_containers:
        describe_containers(w, "Init Containers", spec.init_containers, status.init_container_statuses, pod=pod)
    describe_containers(w, "Containers", spec.containers, status.container_statuses, pod=pod)
    if status.conditions:
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in status.conditions:
            w.write(1, f"{c.type} \t{c.status} \n")
    describe_volumes(w, spec.volumes)
    w.write(0, f"QoS Class:\t{pod.status.qos_class or qos_class(pod.spec)}\n")
    labels_multiline(w, "Node-Selectors", spec.node_selector)
    tolerations_multiline(w, "Tolerations", spec.tolerations)


def describe_pod_template(w: PrefixWriter, template: Message) -> None:
    w.write(0, "Pod Template:\n")
    labels_multiline(w, "  Labels", template.metadata.labels)
    if template.metadata.annotations:
        annotations_multiline(w, "  Annotations", template.metadata.annotations)
    if template.spec.service_account_name:
        w.write(1, f"Service Account:\t{template.spec.service_account_name}\n")
    if template.spec.init_containers:
        describe_containers(w, "Init Containers", template.spec.init_containers, [], "  ")
    describe_containers(w, "Containers", template.spec.containers, [], "  ")
    describe_volumes(w, template.spec.volumes, "  ")
    if template.spec.priority_class_name:
        w.write(1, f"Priority Class Name:\t{template.spec.priority_class_name}\n")
    labels_multiline(w, "  Node-Selectors", template.spec.node_selector)
    tolerations_multiline(w, "  Tolerations", template.spec.tolerations)
