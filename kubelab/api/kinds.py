"""Every kind the API serves, by the names Kubernetes gives it: apiVersion, REST plural, short names, scope.

No protobuf here: what a user types (``pods``, ``po``, ``deployments.apps``) resolves without loading the
API's messages, so a command that only needs a kind's REST path (``kubelab get pods`` through the HTTP
API's server-side Table, kubelab.cli.servertable) does not pay for them. kubelab.api.registry adds each
kind's protobuf message to these rows. Upstream: the REST mapping a discovery client builds
(k8s.io/client-go restmapper), here a literal table.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Kind", "KINDS", "UnknownKind", "by_kind", "lookup", "DEFAULT_NAMESPACE"]

#: The namespace of a namespaced object that names none (apimachinery's metav1.NamespaceDefault).
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class Kind:
    kind: str
    group: str  # "" for core
    version: str
    plural: str
    oneof_field: str  # the field of apiserver.proto's Object oneof that carries it
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

    def collection_path(self, namespace: str = "") -> str:
        """The HTTP API's path of the kind's objects, in one namespace ("" for all, or cluster-scoped)."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        scope = f"/namespaces/{namespace}" if namespace and self.namespaced else ""
        return f"{root}{scope}/{self.plural}"


KINDS: tuple[Kind, ...] = (
    Kind("Namespace", "", "v1", "namespaces", "namespace", namespaced=False, short_names=("ns",),
         has_generation=False),
    Kind("Node", "", "v1", "nodes", "node", namespaced=False, short_names=("no",), has_generation=False),
    Kind("Pod", "", "v1", "pods", "pod", short_names=("po",), has_generation=False),
    Kind("Service", "", "v1", "services", "service", short_names=("svc",), has_generation=False),
    Kind("Endpoints", "", "v1", "endpoints", "endpoints", short_names=("ep",), has_status=False,
         has_generation=False),
    Kind("ConfigMap", "", "v1", "configmaps", "config_map", short_names=("cm",), has_status=False,
         has_generation=False),
    Kind("Secret", "", "v1", "secrets", "secret", has_status=False, has_generation=False),
    Kind("Event", "", "v1", "events", "event", short_names=("ev",), has_status=False, has_generation=False),
    Kind("PersistentVolume", "", "v1", "persistentvolumes", "persistent_volume", namespaced=False,
         short_names=("pv",), has_generation=False),
    Kind("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", "persistent_volume_claim",
         short_names=("pvc",), has_generation=False),
    Kind("StorageClass", "storage.k8s.io", "v1", "storageclasses", "storage_class", namespaced=False,
         short_names=("sc",), has_status=False, has_generation=False),
    Kind("VolumeAttachment", "storage.k8s.io", "v1", "volumeattachments", "volume_attachment",
         namespaced=False, has_generation=False),
    Kind("Deployment", "apps", "v1", "deployments", "deployment", short_names=("deploy",)),
    Kind("ReplicaSet", "apps", "v1", "replicasets", "replica_set", short_names=("rs",)),
    Kind("StatefulSet", "apps", "v1", "statefulsets", "stateful_set", short_names=("sts",)),
    Kind("ControllerRevision", "apps", "v1", "controllerrevisions", "controller_revision", has_status=False,
         has_generation=False),
    Kind("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", "endpoint_slice", has_status=False,
         has_generation=False),
    Kind("Lease", "coordination.k8s.io", "v1", "leases", "lease", has_status=False, has_generation=False),
)

_BY_KIND = {k.kind: k for k in KINDS}
_BY_NAME: dict[str, Kind] = {}
for _k in KINDS:
    for _n in (_k.kind.lower(), _k.plural, _k.singular, _k.resource, f"{_k.singular}.{_k.group}",
               *_k.short_names):
        _BY_NAME[_n.lower()] = _k


class UnknownKind(LookupError):
    """A kind or resource name the API does not serve."""


def by_kind(kind: str) -> Kind:
    """The row for an exact Kind ("Pod"); raises UnknownKind."""
    try:
        return _BY_KIND[kind]
    except KeyError:
        raise UnknownKind(kind) from None


def lookup(name: str) -> Kind:
    """Resolve what a user types (``pods``, ``po``, ``Pod``, ``deployments.apps``); raises UnknownKind."""
    info = _BY_KIND.get(name) or _BY_NAME.get(name.lower())
    if info is None:
        raise UnknownKind(name)
    return info
