"""Builders for the objects the provisioner's decisions read (unit tests only)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.storage.volume import ANN_BIND_COMPLETED, ANN_DEFAULT_CLASS



def pvc(name: str = "data", size: str = "1Gi", modes=("ReadWriteOnce",), cls: str | None = None, *,
        namespace: str = "default", uid: str | None = None, volume: str = "", phase: str = "Pending",
        annotations: dict | None = None, selector: dict | None = None, mode: str | None = None,
        bound: bool = False) -> core_pb2.PersistentVolumeClaim:
    c = core_pb2.PersistentVolumeClaim(api_version="v1", kind="PersistentVolumeClaim")
    c.metadata.name, c.metadata.namespace = name, namespace
    c.metadata.uid = uid or f"uid-{name}"
    c.metadata.resource_version = "1"
    c.metadata.annotations.update(annotations or {})
    if bound:
        c.metadata.annotations[ANN_BIND_COMPLETED] = "yes"
    c.spec.access_modes.extend(modes)
    c.spec.resources.requests["storage"] = size
    if cls is not None:
        c.spec.storage_class_name = cls
    if mode is not None:
        c.spec.volume_mode = mode
    if selector is not None:
        c.spec.selector.match_labels.update(selector)
    c.spec.volume_name = volume
    c.status.phase = phase
    return c


def pv(name: str, size: str = "1Gi", modes=("ReadWriteOnce",), cls: str = "", *, phase: str = "Available",
       claim: core_pb2.PersistentVolumeClaim | None = None, claim_uid: str | None = None, labels: dict | None = None,
       policy: str = "Retain", annotations: dict | None = None, mode: str | None = None,
       host_path: str | None = None) -> core_pb2.PersistentVolume:
    v = core_pb2.PersistentVolume(api_version="v1", kind="PersistentVolume")
    v.metadata.name = name
    v.metadata.uid = f"uid-{name}"
    v.metadata.resource_version = "1"
    v.metadata.labels.update(labels or {})
    v.metadata.annotations.update(annotations or {})
    v.spec.capacity["storage"] = size
    v.spec.access_modes.extend(modes)
    v.spec.storage_class_name = cls
    v.spec.persistent_volume_reclaim_policy = policy
    if mode is not None:
        v.spec.volume_mode = mode
    if claim is not None:
        ref = v.spec.claim_ref
        ref.kind, ref.namespace, ref.name = "PersistentVolumeClaim", claim.metadata.namespace, claim.metadata.name
        ref.uid = claim.metadata.uid if claim_uid is None else claim_uid
    v.spec.host_path.path = host_path or f"/mnt/{name}"
    v.status.phase = phase
    return v


def storage_class(name: str, provisioner: str = "kubelab.io/network-disk", mode: str = "Immediate", *,
                  default: bool = False, created: int = 1000) -> storage_pb2.StorageClass:
    sc = storage_pb2.StorageClass(api_version="storage.k8s.io/v1", kind="StorageClass", provisioner=provisioner,
                                  reclaim_policy="Delete", volume_binding_mode=mode)
    sc.metadata.name = name
    sc.metadata.creation_timestamp.FromSeconds(created)
    if default:
        sc.metadata.annotations[ANN_DEFAULT_CLASS] = "true"
    return sc


def pod(name: str, *claims: str, node: str = "", namespace: str = "default", phase: str = "Running",
        created: int = 1000) -> core_pb2.Pod:
    p = core_pb2.Pod(api_version="v1", kind="Pod")
    p.metadata.name, p.metadata.namespace, p.metadata.uid = name, namespace, f"uid-{name}"
    p.metadata.creation_timestamp.FromSeconds(created)
    p.spec.node_name = node
    for i, claim in enumerate(claims):
        vol = p.spec.volumes.add(name=f"v{i}")
        vol.persistent_volume_claim.claim_name = claim
    p.status.phase = phase
    return p
