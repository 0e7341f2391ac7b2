"""Kubernetes' defaults, set in place on a decoded object before validation (k/k pkg/apis/*/v1/defaults.go).

`apply_defaults(obj)` fills what a user may leave out, exactly where and as Kubernetes does: a
Deployment's replicas and 25%/25% rolling update, a pod template's restartPolicy and grace period,
a container's imagePullPolicy from its image tag, a StatefulSet's podManagementPolicy, the reclaim
policy and volume mode of a PV, a StorageClass's binding mode, and so on. Pod-only defaults
(enableServiceLinks, requests from limits) are not applied to templates, as in Kubernetes.
"""
from __future__ import annotations

import functools

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.api.v1 import apps_pb2, core_pb2, discovery_pb2
from services.apiserver.specmemo import SpecMemo

__all__ = ["apply_defaults", "image_pull_policy"]

DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30
DEFAULT_SCHEDULER_NAME = "default-scheduler"
TERMINATION_MESSAGE_PATH = "/dev/termination-log"
DEFAULT_FILE_MODE = 0o644


@functools.lru_cache(maxsize=1024)
def image_pull_policy(image: str) -> str:
    """Always for `:latest` or an untagged image without digest, IfNotPresent otherwise."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else ""
    if not tag and not digest:
        tag = "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


_PRESENCE: dict[tuple[type, str], bool] = {}  # (message type, field) -> whether the field tracks presence


def _set(msg: Message, field: str, value) -> None:
    """Set an unset (or, for plain proto3 scalars, zero) field."""
    presence = _PRESENCE.get((type(msg), field))
    if presence is None:
        presence = _PRESENCE[type(msg), field] = msg.DESCRIPTOR.fields_by_name[field].has_presence
    if (not msg.HasField(field)) if presence else (not getattr(msg, field)):
        setattr(msg, field, value)


def _handler(handler: Message) -> None:
    if handler.HasField("http_get"):
        _set(handler.http_get, "path", "/")
        _set(handler.http_get, "scheme", "HTTP")


def _probe(probe: core_pb2.Probe) -> None:
    # Plain int32s in Go's v1 types: an explicit 0 is defaulted too.
    for field, value in (("timeout_seconds", 1), ("period_seconds", 10), ("success_threshold", 1),
                         ("failure_threshold", 3)):
        if not getattr(probe, field):
            setattr(probe, field, value)
    _handler(probe)


def _container(c: core_pb2.Container) -> None:
    _set(c, "image_pull_policy", image_pull_policy(c.image))
    _set(c, "termination_message_path", TERMINATION_MESSAGE_PATH)
    _set(c, "termination_message_policy", "File")
    for port in c.ports:
        _set(port, "protocol", "TCP")
    for env in c.env:
        if env.HasField("value_from") and env.value_from.HasField("field_ref"):
            _set(env.value_from.field_ref, "api_version", "v1")
    for field in ("liveness_probe", "readiness_probe", "startup_probe"):
        if c.HasField(field):
            _probe(getattr(c, field))
    if c.HasField("lifecycle"):
        for hook in ("post_start", "pre_stop"):
            if c.lifecycle.HasField(hook):
                _handler(getattr(c.lifecycle, hook))


_POD_VOLUME_SOURCES = ("host_path", "empty_dir", "persistent_volume_claim", "config_map", "secret",
                       "gce_persistent_disk", "nfs", "projected", "downward_api")


def _volume(v: core_pb2.Volume) -> None:
    if not any(v.HasField(s) for s in _POD_VOLUME_SOURCES):
        v.empty_dir.SetInParent()
    if v.HasField("host_path"):
        _set(v.host_path, "type", "")
    for field in ("config_map", "secret", "projected", "downward_api"):
        if v.HasField(field):
            _set(getattr(v, field), "default_mode", DEFAULT_FILE_MODE)
    files = list(v.downward_api.items) + [f for s in v.projected.sources for f in s.downward_api.items]
    for f in files:
        if f.HasField("field_ref"):
            _set(f.field_ref, "api_version", "v1")


def _pod_spec(spec: core_pb2.PodSpec) -> None:
    _set(spec, "dns_policy", "ClusterFirst")
    _set(spec, "restart_policy", "Always")
    spec.security_context.SetInParent()
    _set(spec, "termination_grace_period_seconds", DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS)
    _set(spec, "scheduler_name", DEFAULT_SCHEDULER_NAME)
    for v in spec.volumes:
        _volume(v)
    for c in list(spec.init_containers) + list(spec.containers):
        _container(c)


# A Pod's defaults are a function of its spec alone: the defaulted spec's bytes, remembered by the given
# spec's bytes (specmemo.py). A controller's pods share their template's spec, and an update sends back a
# spec that has its defaults already; either is answered by one serialization (and, when defaults were
# missing, one parse) instead of a walk of it.
_pod_memo: SpecMemo[bytes] = SpecMemo()


def _pod(pod: core_pb2.Pod) -> None:
    spec = pod.spec
    given = spec.SerializeToString(deterministic=True)
    if not _pod_memo.fits(given):
        _pod_walk(pod)
        return
    defaulted = _pod_memo.get(given)
    if defaulted is None:
        _pod_walk(pod)
        _pod_memo.put(given, spec.SerializeToString(deterministic=True))
    elif defaulted != given:
        spec.ParseFromString(defaulted)


def _pod_walk(pod: core_pb2.Pod) -> None:
    _pod_spec(pod.spec)
    for c in list(pod.spec.containers) + list(pod.spec.init_containers):
        for name, value in c.resources.limits.items():  # requests default to limits, on Pods only
            c.resources.requests.setdefault(name, value)
    _set(pod.spec, "enable_service_links", True)
    if pod.spec.host_network:
        for c in list(pod.spec.containers) + list(pod.spec.init_containers):
            for port in c.ports:
                _set(port, "host_port", port.container_port)


def _rolling_update(ru: apps_pb2.RollingUpdateDeployment) -> None:
    for field in ("max_unavailable", "max_surge"):
        if not ru.HasField(field):
            getattr(ru, field).string_value = "25%"


def _deployment(d: apps_pb2.Deployment) -> None:
    spec = d.spec
    _set(spec, "replicas", 1)
    _set(spec.strategy, "type", "RollingUpdate")
    if spec.strategy.type == "RollingUpdate":
        _rolling_update(spec.strategy.rolling_update)
    _set(spec, "revision_history_limit", 10)
    _set(spec, "progress_deadline_seconds", 600)
    _pod_spec(spec.template.spec)


def _replica_set(rs: apps_pb2.ReplicaSet) -> None:
    _set(rs.spec, "replicas", 1)
    _pod_spec(rs.spec.template.spec)


def _claim(pvc: core_pb2.PersistentVolumeClaim) -> None:
    _set(pvc.status, "phase", "Pending")
    _set(pvc.spec, "volume_mode", "Filesystem")


def _stateful_set(sts: apps_pb2.StatefulSet) -> None:
    spec = sts.spec
    _set(spec, "pod_management_policy", "OrderedReady")
    if not spec.update_strategy.type:
        spec.update_strategy.type = "RollingUpdate"
        spec.update_strategy.rolling_update.SetInParent()
    if spec.update_strategy.type == "RollingUpdate" and spec.update_strategy.HasField("rolling_update"):
        _set(spec.update_strategy.rolling_update, "partition", 0)
    policy = spec.persistent_volume_claim_retention_policy
    _set(policy, "when_deleted", "Retain")
    _set(policy, "when_scaled", "Retain")
    _set(spec, "replicas", 1)
    _set(spec, "revision_history_limit", 10)
    _pod_spec(spec.template.spec)
    for claim in spec.volume_claim_templates:
        _claim(claim)


DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS = 10800


def _session_affinity(spec: core_pb2.ServiceSpec) -> None:
    _set(spec, "session_affinity", "None")
    if spec.session_affinity == "None":
        spec.ClearField("session_affinity_config")
    elif spec.session_affinity == "ClientIP" and not spec.session_affinity_config.client_ip.HasField("timeout_seconds"):
        spec.session_affinity_config.client_ip.timeout_seconds = DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS


def _service(svc: core_pb2.Service) -> None:
    spec = svc.spec
    _session_affinity(spec)
    _set(spec, "type", "ClusterIP")
    for port in spec.ports:
        _set(port, "protocol", "TCP")
        target = port.target_port
        if not port.HasField("target_port") or target.WhichOneof("kind") is None or \
                (target.WhichOneof("kind") == "number_value" and target.number_value == 0) or \
                (target.WhichOneof("kind") == "string_value" and not target.string_value):
            target.number_value = port.port
    if spec.type in ("NodePort", "LoadBalancer") or (spec.type == "ClusterIP" and spec.external_ips):
        _set(spec, "external_traffic_policy", "Cluster")  # "externally accessible"
    if spec.type in ("NodePort", "LoadBalancer", "ClusterIP"):
        _set(spec, "internal_traffic_policy", "Cluster")
    if spec.type == "LoadBalancer":
        _set(spec, "allocate_load_balancer_node_ports", True)
    if spec.cluster_ip and not spec.cluster_ips:  # the REST strategy keeps clusterIP and clusterIPs in step
        spec.cluster_ips.append(spec.cluster_ip)


def _endpoints(ep: core_pb2.Endpoints) -> None:
    for subset in ep.subsets:
        for port in subset.ports:
            _set(port, "protocol", "TCP")


def _endpoint_slice(eps: discovery_pb2.EndpointSlice) -> None:
    """discovery/v1 SetDefaults_EndpointPort: name "" and protocol TCP."""
    for port in eps.ports:
        _set(port, "name", "")
        _set(port, "protocol", "TCP")


def _persistent_volume(pv: core_pb2.PersistentVolume) -> None:
    _set(pv.status, "phase", "Pending")
    _set(pv.spec, "persistent_volume_reclaim_policy", "Retain")
    _set(pv.spec, "volume_mode", "Filesystem")
    if pv.spec.HasField("host_path"):
        _set(pv.spec.host_path, "type", "")


def _namespace(ns: core_pb2.Namespace) -> None:
    if ns.metadata.name:
        ns.metadata.labels["kubernetes.io/metadata.name"] = ns.metadata.name
    _set(ns.status, "phase", "Active")


def _node(node: core_pb2.Node) -> None:
    if node.status.capacity and not node.status.allocatable:
        node.status.allocatable.update(node.status.capacity)


def _storage_class(sc) -> None:
    _set(sc, "reclaim_policy", "Delete")
    _set(sc, "volume_binding_mode", "Immediate")


def _secret(secret: core_pb2.Secret) -> None:
    _set(secret, "type", "Opaque")


_DEFAULTERS = {
    "Secret": _secret,
    "Pod": _pod,
    "Deployment": _deployment,
    "ReplicaSet": _replica_set,
    "StatefulSet": _stateful_set,
    "Service": _service,
    "Endpoints": _endpoints,
    "EndpointSlice": _endpoint_slice,
    "PersistentVolume": _persistent_volume,
    "PersistentVolumeClaim": _claim,
    "StorageClass": _storage_class,
    "Namespace": _namespace,
    "Node": _node,
}


def apply_defaults(obj: Message) -> Message:
    """Set Kubernetes' defaults on `obj` in place (and return it, for chaining)."""
    defaulter = _DEFAULTERS.get(registry.kind_of(obj).kind)
    if defaulter is not None:
        defaulter(obj)
    return obj
