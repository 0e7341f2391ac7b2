"""Validation of API objects, with Kubernetes' rules and Kubernetes' wording.

Three entry points, one per write path of the API server, each returning *every* problem of the
object as a list of `kubelab.fielderrors.FieldError` (empty when the object is valid):

- `validate(obj)` on create, after defaults were applied and the name generated;
- `validate_update(new, old)` on update: everything `validate` checks, plus what may not change
  (identity metadata, most of a Pod's spec, a StatefulSet's spec outside its mutable fields, a
  PVC's spec outside binding and resizing, a PV's source, selectors);
- `validate_status_update(new, old)` on UpdateStatus: metadata rules and the status invariants.

Pure functions: no I/O, no clock, inputs are never modified. Modules follow API groups and kinds:
`meta` (ObjectMeta, labels, selectors), `pod`, `podspec`, `containers`, `env`, `volumes`,
`resources`, `core` (Namespace, Node, Event), `service`, `endpoints`, `discovery` (EndpointSlice),
`configmap` (ConfigMap, Secret),
`persistentvolume`, `storage`, `apps`, `coordination`, `status`.
"""
from __future__ import annotations

from typing import Callable

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.fielderrors import FieldError

from . import (apps, configmap, coordination, core, discovery, endpoints, meta, persistentvolume, pod, service,
               storage)
from .status import validate_workload_status

__all__ = ["validate", "validate_update", "validate_status_update", "FieldError"]

_CREATE: dict[str, Callable[[Message], list[FieldError]]] = {
    "Namespace": core.validate_namespace,
    "Node": core.validate_node,
    "Pod": pod.validate_pod,
    "Service": service.validate_service,
    "Event": core.validate_event,
    "PersistentVolume": persistentvolume.validate_pv,
    "PersistentVolumeClaim": persistentvolume.validate_pvc,
    "StorageClass": storage.validate_storage_class,
    "VolumeAttachment": storage.validate_volume_attachment,
    "Deployment": apps.validate_deployment,
    "ReplicaSet": apps.validate_replica_set,
    "StatefulSet": apps.validate_stateful_set,
    "ControllerRevision": apps.validate_controller_revision,
    "Lease": coordination.validate_lease,
    "Endpoints": endpoints.validate_endpoints,
    "EndpointSlice": discovery.validate_endpoint_slice,
    "ConfigMap": configmap.validate_config_map,
    "Secret": configmap.validate_secret,
}

_UPDATE: dict[str, Callable[[Message, Message], list[FieldError]]] = {
    "Namespace": lambda new, old: meta.validate_object_meta_update(new.metadata, old.metadata),
    "Node": core.validate_node_update,
    "Pod": pod.validate_pod_update,
    "Service": service.validate_service_update,
    "Endpoints": endpoints.validate_endpoints_update,
    "EndpointSlice": discovery.validate_endpoint_slice_update,
    "PersistentVolume": persistentvolume.validate_pv_update,
    "PersistentVolumeClaim": persistentvolume.validate_pvc_update,
    "StorageClass": storage.validate_storage_class_update,
    "VolumeAttachment": storage.validate_volume_attachment_update,
    "Deployment": apps.validate_deployment_update,
    "ReplicaSet": apps.validate_replica_set_update,
    "StatefulSet": apps.validate_stateful_set_update,
    "ControllerRevision": apps.validate_controller_revision_update,
    "Lease": coordination.validate_lease_update,
    "ConfigMap": configmap.validate_config_map_update,
    "Secret": configmap.validate_secret_update,
}


def validate(obj: Message) -> list[FieldError]:
    """Every field error of an object about to be created (defaults already applied)."""
    return _CREATE[registry.kind_of(obj).kind](obj)


def validate_update(new: Message, old: Message) -> list[FieldError]:
    """Every field error of an update from `old` to `new` (both defaulted, `new` prepared by the strategy)."""
    kind = registry.kind_of(new).kind
    check = _UPDATE.get(kind)
    if check is not None:
        return check(new, old)
    # Kinds without update rules of their own: the create rules plus metadata immutability.
    return meta.validate_object_meta_update(new.metadata, old.metadata) + _CREATE[kind](new)


def validate_status_update(new: Message, old: Message) -> list[FieldError]:
    """Light checks for UpdateStatus: metadata rules and each kind's status invariants."""
    kind = registry.kind_of(new).kind
    if kind == "Pod":
        return pod.validate_pod_status_update(new, old)
    if kind == "Namespace":
        return core.validate_namespace_status_update(new, old)
    errs = meta.validate_object_meta_update(new.metadata, old.metadata)
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        errs += validate_workload_status(kind, new, old)
    return errs
