"""The kind registry: every kind the API serves, with how Kubernetes names it.

One row per kind ties the protobuf message to its apiVersion, REST plural, short
names, scope and the field of the ``Object`` oneof that carries it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf.message import Message

from kubelab.api.v1 import apiserver_pb2, apps_pb2, coordination_pb2, core_pb2, discovery_pb2, storage_pb2

__all__ = ["KindInfo", "KINDS", "lookup", "by_kind", "kind_of", "wrap", "unwrap", "info_of_wrapped", "UnknownKind"]


@dataclass(frozen=True)
class KindInfo:
    kind: str
    group: str  # "" for core
    version: str
    plural: str
    message: type[Message]
    oneof_field: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    # Kinds with a status subresource: Update ignores status, UpdateStatus ignores the rest.
    has_status: bool = True
    # Kinds whose spec changes bump metadata.generation.
    has_generation: bool = True
    aliases: tuple[str, ...] = field(default=())

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def resource(self) -> str:
        """Kubernetes' qualified resource name, as in error messages: ``deployments.apps``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


KINDS: tuple[KindInfo, ...] = (
    KindInfo("Namespace", "", "v1", "namespaces", core_pb2.Namespace, "namespace",
             namespaced=False, short_names=("ns",), has_generation=False),
    KindInfo("Node", "", "v1", "nodes", core_pb2.Node, "node", namespaced=False,
             short_names=("no",), has_generation=False),
    KindInfo("Pod", "", "v1", "pods", core_pb2.Pod, "pod", short_names=("po",),
             has_generation=False),
    KindInfo("Service", "", "v1", "services", core_pb2.Service, "service",
             short_names=("svc",), has_generation=False),
    KindInfo("Endpoints", "", "v1", "endpoints", core_pb2.Endpoints, "endpoints", short_names=("ep",),
             has_status=False, has_generation=False),
    KindInfo("ConfigMap", "", "v1", "configmaps", core_pb2.ConfigMap, "config_map", short_names=("cm",),
             has_status=False, has_generation=False),
    KindInfo("Secret", "", "v1", "secrets", core_pb2.Secret, "secret", has_status=False,
             has_generation=False),
    KindInfo("Event", "", "v1", "events", core_pb2.Event, "event", short_names=("ev",),
             has_status=False, has_generation=False),
    KindInfo("PersistentVolume", "", "v1", "persistentvolumes", core_pb2.PersistentVolume,
             "persistent_volume", namespaced=False, short_names=("pv",), has_generation=False),
    KindInfo("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims",
             core_pb2.PersistentVolumeClaim, "persistent_volume_claim", short_names=("pvc",),
             has_generation=False),
    KindInfo("StorageClass", "storage.k8s.io", "v1", "storageclasses", storage_pb2.StorageClass,
             "storage_class", namespaced=False, short_names=("sc",), has_status=False,
             has_generation=False),
    KindInfo("VolumeAttachment", "storage.k8s.io", "v1", "volumeattachments",
             storage_pb2.VolumeAttachment, "volume_attachment", namespaced=False,
             has_generation=False),
    KindInfo("Deployment", "apps", "v1", "deployments", apps_pb2.Deployment, "deployment",
             short_names=("deploy",)),
    KindInfo("ReplicaSet", "apps", "v1", "replicasets", apps_pb2.ReplicaSet, "replica_set",
             short_names=("rs",)),
    KindInfo("StatefulSet", "apps", "v1", "statefulsets", apps_pb2.StatefulSet, "stateful_set",
             short_names=("sts",)),
    KindInfo("ControllerRevision", "apps", "v1", "controllerrevisions",
             apps_pb2.ControllerRevision, "controller_revision", has_status=False,
             has_generation=False),
    KindInfo("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", discovery_pb2.EndpointSlice,
             "endpoint_slice", has_status=False, has_generation=False),
    KindInfo("Lease", "coordination.k8s.io", "v1", "leases", coordination_pb2.Lease, "lease",
             has_status=False, has_generation=False),
)

_BY_KIND = {k.kind: k for k in KINDS}
_BY_FIELD = {k.oneof_field: k for k in KINDS}
_BY_MESSAGE = {k.message: k for k in KINDS}
_BY_NAME: dict[str, KindInfo] = {}
for _k in KINDS:
    for _n in (_k.kind.lower(), _k.plural, _k.singular, _k.resource, f"{_k.singular}.{_k.group}",
               *_k.short_names):
        _BY_NAME[_n.lower()] = _k


class UnknownKind(LookupError):
    """A kind or resource name the API does not serve."""


def by_kind(kind: str) -> KindInfo:
    """The row for an exact Kind ("Pod"); raises UnknownKind."""
    try:
        return _BY_KIND[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def lookup(name: str) -> KindInfo:
    """Resolve what a user types (``pods``, ``po``, ``Pod``, ``deployments.apps``)."""
    info = _BY_KIND.get(name) or _BY_NAME.get(name.lower())
    if info is None:
        raise UnknownKind(name)
    return info


def kind_of(msg: Message) -> KindInfo:
    """The row for a kind's message instance."""
    try:
        return _BY_MESSAGE[type(msg)]
    except KeyError:
        raise UnknownKind(type(msg).__name__) from None


def wrap(msg: Message) -> apiserver_pb2.Object:
    """Put an object into the Object oneof."""
    obj = apiserver_pb2.Object()
    getattr(obj, kind_of(msg).oneof_field).CopyFrom(msg)
    return obj


def unwrap(obj: apiserver_pb2.Object) -> Message:
    """The object inside the oneof; raises UnknownKind if the wrapper is empty."""
    which = obj.WhichOneof("object")
    if which is None:
        raise UnknownKind("empty object")
    return getattr(obj, which)


def info_of_wrapped(obj: apiserver_pb2.Object) -> KindInfo:
    which = obj.WhichOneof("object")
    if which is None:
        raise UnknownKind("empty object")
    return _BY_FIELD[which]
