"""PersistentVolumes and PersistentVolumeClaims: create and update rules (k/k core validation)."""
from __future__ import annotations

import posixpath

from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import Path, forbidden, invalid, not_supported, required
from kubelab.validation_names import name_is_dns_subdomain

from .common import Errors, FIELD_IMMUTABLE, as_json, canonical, each, go_struct, json_diff, quantity
from .meta import validate_label_selector, validate_object_meta, validate_object_meta_update
from .resources import validate_positive_quantity, validate_resource_quantity
from .volumes import validate_node_selector, validate_volume_source

__all__ = ["validate_pv", "validate_pv_update", "validate_pvc_spec", "validate_pvc", "validate_pvc_update",
           "ACCESS_MODES"]

ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"]
VOLUME_MODES = ["Block", "Filesystem"]
_PV_SOURCES = {"host_path": "hostPath", "local": "local", "gce_persistent_disk": "gcePersistentDisk", "nfs": "nfs",
               "csi": "csi"}


def _access_modes(modes, path: Path, required_detail: str) -> Errors:
    errs: Errors = [] if modes else [required(path, required_detail)]
    rwop = other = False
    for mode in modes:
        if mode not in ACCESS_MODES:
            errs.append(not_supported(path, mode, ACCESS_MODES))
        elif mode == "ReadWriteOncePod":
            rwop = True
        else:
            other = True
    if rwop and other:
        errs.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errs


def _pv_spec(spec: core_pb2.PersistentVolumeSpec, path: Path) -> Errors:
    errs = _access_modes(spec.access_modes, path.child("accessModes"), "")
    cap = path.child("capacity")
    if not spec.capacity:
        errs.append(required(cap))
    if "storage" not in spec.capacity or len(spec.capacity) > 1:
        errs.append(not_supported(cap, {k: canonical(v) for k, v in spec.capacity.items()} or None, ["storage"]))
    for name, text in spec.capacity.items():
        errs += validate_positive_quantity(text, cap.key(name))
    policy = spec.persistent_volume_reclaim_policy
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(not_supported(path.child("persistentVolumeReclaimPolicy"), policy, RECLAIM_POLICIES))
    affinity = spec.HasField("node_affinity")
    if affinity:
        na = path.child("nodeAffinity")
        if spec.node_affinity.HasField("required"):
            errs += validate_node_selector(spec.node_affinity.required, na.child("required"))
        else:
            errs.append(required(na.child("required"), "must specify required node constraints"))
    errs += validate_volume_source(spec, path, pod_volume=False)
    counted_first = not any(spec.HasField(s) for s in ("host_path", "gce_persistent_disk", "nfs"))
    if spec.HasField("local") and counted_first and not affinity:
        errs.append(required(path.child("nodeAffinity"), "Local volume requires node affinity"))
    if spec.HasField("host_path") and posixpath.normpath(spec.host_path.path or ".") == "/" and policy == "Recycle":
        errs.append(forbidden(path.child("persistentVolumeReclaimPolicy"), "may not be 'recycle' for a hostPath mount of '/'"))
    if spec.storage_class_name:
        errs += each([spec.storage_class_name], name_is_dns_subdomain, path.child("storageClassName"))
    if spec.HasField("volume_mode") and spec.volume_mode not in VOLUME_MODES:
        errs.append(not_supported(path.child("volumeMode"), spec.volume_mode, VOLUME_MODES))
    return errs


def validate_pv(pv: core_pb2.PersistentVolume) -> Errors:
    return validate_object_meta(pv.metadata, False, name_is_dns_subdomain) + _pv_spec(pv.spec, Path("spec"))


def _optional(msg, field: str):
    return getattr(msg, field) if msg.HasField(field) else None


def validate_pv_update(new: core_pb2.PersistentVolume, old: core_pb2.PersistentVolume) -> Errors:
    """The volume source, volumeMode and (once set) nodeAffinity are fixed after creation."""
    errs = validate_object_meta_update(new.metadata, old.metadata) + validate_pv(new)
    old_src = {name: as_json(getattr(old.spec, f)) for f, name in _PV_SOURCES.items() if old.spec.HasField(f)}
    new_src = {name: as_json(getattr(new.spec, f)) for f, name in _PV_SOURCES.items() if new.spec.HasField(f)}
    if old_src != new_src:
        errs.append(forbidden(Path("spec", "persistentvolumesource"),
                              "spec.persistentvolumesource is immutable after creation\n" + json_diff(old_src, new_src)))
    if _optional(new.spec, "volume_mode") != _optional(old.spec, "volume_mode"):
        errs.append(invalid(Path("volumeMode"), _optional(new.spec, "volume_mode"), FIELD_IMMUTABLE))
    if old.spec.HasField("node_affinity") and new.spec.node_affinity != old.spec.node_affinity:
        shown = go_struct(new.spec.node_affinity) if new.spec.HasField("node_affinity") else None
        errs.append(invalid(Path("nodeAffinity"), shown, FIELD_IMMUTABLE + ", except for updating from beta label to GA"))
    return errs


def validate_pvc_spec(spec: core_pb2.PersistentVolumeClaimSpec, path: Path) -> Errors:
    """ValidatePersistentVolumeClaimSpec (also used for StatefulSet claim templates' specs)."""
    errs = _access_modes(spec.access_modes, path.child("accessModes"), "at least 1 access mode is required")
    if spec.HasField("selector"):
        errs += validate_label_selector(spec.selector, path.child("selector"))
    storage = path.child("resources").key("storage")  # sic: Kubernetes' path has no `requests`
    if "storage" not in spec.resources.requests:
        errs.append(required(storage))
    else:
        text = spec.resources.requests["storage"]
        errs += validate_positive_quantity(text, storage) or validate_resource_quantity("storage", text, storage)
    if spec.HasField("storage_class_name") and spec.storage_class_name:
        errs += each([spec.storage_class_name], name_is_dns_subdomain, path.child("storageClassName"))
    if spec.HasField("volume_mode") and spec.volume_mode not in VOLUME_MODES:
        errs.append(not_supported(path.child("volumeMode"), spec.volume_mode, VOLUME_MODES))
    for field, name in (("data_source", "dataSource"), ("data_source_ref", "dataSourceRef")):
        if spec.HasField(field):
            ref, p = getattr(spec, field), path.child(name)
            if not ref.name:
                errs.append(required(p.child("name")))
            if not ref.kind:
                errs.append(required(p.child("kind")))
            if not ref.api_group and ref.kind != "PersistentVolumeClaim":
                errs.append(invalid(p, ref.kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup"))
    return errs


def validate_pvc(pvc: core_pb2.PersistentVolumeClaim) -> Errors:
    return validate_object_meta(pvc.metadata, True, name_is_dns_subdomain) + validate_pvc_spec(pvc.spec, Path("spec"))


def validate_pvc_update(new: core_pb2.PersistentVolumeClaim, old: core_pb2.PersistentVolumeClaim) -> Errors:
    """The spec is fixed except: volumeName once (binding), a class where none was, storage of bound claims."""
    errs = validate_object_meta_update(new.metadata, old.metadata) + validate_pvc(new)
    new_spec, old_spec = core_pb2.PersistentVolumeClaimSpec(), core_pb2.PersistentVolumeClaimSpec()
    new_spec.CopyFrom(new.spec)
    old_spec.CopyFrom(old.spec)
    if not old.spec.volume_name:
        old_spec.volume_name = new_spec.volume_name
    if new.spec.HasField("storage_class_name") and not old.spec.HasField("storage_class_name"):
        beta = old.metadata.annotations.get("volume.beta.kubernetes.io/storage-class")
        if beta is None or beta == new.spec.storage_class_name:
            new_spec.ClearField("storage_class_name")
    if new.status.phase == "Bound" and new_spec.resources.requests:
        if "storage" in old.spec.resources.requests:
            new_spec.resources.requests["storage"] = old.spec.resources.requests["storage"]
        else:
            new_spec.resources.requests.pop("storage", None)
    if new_spec != old_spec:
        errs.append(forbidden(Path("spec"), "spec is immutable after creation except resources.requests and "
                              "volumeAttributesClassName for bound claims\n" + json_diff(as_json(old_spec), as_json(new_spec))))
    old_size = quantity(old.spec.resources.requests.get("storage", "0")) or 0
    new_size = quantity(new.spec.resources.requests.get("storage", "0")) or 0
    status_size = quantity(old.status.capacity.get("storage", "0")) or 0
    if new_size < old_size and new_size <= status_size:
        errs.append(forbidden(Path("spec", "resources", "requests", "storage"), "field can not be less than status.capacity"))
    if _optional(new.spec, "volume_mode") != _optional(old.spec, "volume_mode"):
        errs.append(invalid(Path("volumeMode"), _optional(new.spec, "volume_mode"), FIELD_IMMUTABLE))
    return errs
