"""storage.k8s.io: StorageClass and VolumeAttachment (k/k pkg/apis/storage/validation)."""
from __future__ import annotations

from kubelab.api.v1 import storage_pb2
from kubelab.fielderrors import Path, duplicate, forbidden, invalid, not_supported, required, too_long
from kubelab.validation_names import is_qualified_name, name_is_dns_subdomain

from .common import Errors, FIELD_IMMUTABLE, each, go_struct
from .meta import validate_label_name, validate_object_meta, validate_object_meta_update

__all__ = ["validate_storage_class", "validate_storage_class_update", "validate_volume_attachment",
           "validate_volume_attachment_update", "RECLAIM_POLICIES", "BINDING_MODES"]

RECLAIM_POLICIES = ["Delete", "Retain"]
BINDING_MODES = ["Immediate", "WaitForFirstConsumer"]
MAX_PARAMETERS = 512
MAX_PARAMETERS_SIZE = 256 * (1 << 10)


def _parameters(params, path: Path) -> Errors:
    if len(params) > MAX_PARAMETERS:
        return [too_long(path, "", MAX_PARAMETERS)]
    errs = [invalid(path, k, "field can not be empty.") for k in params if not k]
    if sum(len(k) + len(v) for k, v in params.items()) > MAX_PARAMETERS_SIZE:
        errs.append(too_long(path, "", MAX_PARAMETERS_SIZE))
    return errs


def _allowed_topologies(terms, path: Path) -> Errors:
    errs: Errors = []
    seen: list[dict] = []
    for i, term in enumerate(terms):
        p = path.index(i)
        expressions: dict[str, frozenset] = {}
        for j, req in enumerate(term.match_label_expressions):
            rp = p.child("matchLabelExpressions").index(j)
            if not req.values:
                errs.append(required(rp.child("values")))
            values: set[str] = set()
            for k, v in enumerate(req.values):
                if v in values:
                    errs.append(duplicate(rp.child("values").index(k), v))
                values.add(v)
            errs += validate_label_name(req.key, rp.child("key"))
            if req.key in expressions:
                errs.append(duplicate(rp.child("key"), req.key))
            expressions[req.key] = frozenset(values)
        if expressions in seen:
            errs.append(duplicate(p.child("matchLabelExpressions"), ""))
        seen.append(expressions)
    return errs


def validate_storage_class(sc: storage_pb2.StorageClass) -> Errors:
    """Expects defaults applied: a missing volumeBindingMode is `Required value` here."""
    errs = validate_object_meta(sc.metadata, False, name_is_dns_subdomain)
    if not sc.provisioner:
        errs.append(required(Path("provisioner")))
    else:
        errs += [invalid(Path("provisioner"), sc.provisioner.lower(), m) for m in is_qualified_name(sc.provisioner.lower())]
    errs += _parameters(sc.parameters, Path("parameters"))
    if sc.reclaim_policy and sc.reclaim_policy not in RECLAIM_POLICIES:
        errs.append(not_supported(Path("reclaimPolicy"), sc.reclaim_policy, RECLAIM_POLICIES))
    if not sc.HasField("volume_binding_mode"):
        errs.append(required(Path("volumeBindingMode")))
    elif sc.volume_binding_mode not in BINDING_MODES:
        errs.append(not_supported(Path("volumeBindingMode"), sc.volume_binding_mode, BINDING_MODES))
    return errs + _allowed_topologies(sc.allowed_topologies, Path("allowedTopologies"))


def validate_storage_class_update(new: storage_pb2.StorageClass, old: storage_pb2.StorageClass) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata)
    if dict(new.parameters) != dict(old.parameters):
        errs.append(forbidden(Path("parameters"), "updates to parameters are forbidden."))
    if new.provisioner != old.provisioner:
        errs.append(forbidden(Path("provisioner"), "updates to provisioner are forbidden."))
    if new.reclaim_policy != old.reclaim_policy:
        errs.append(forbidden(Path("reclaimPolicy"), "updates to reclaimPolicy are forbidden."))
    new_mode = new.volume_binding_mode if new.HasField("volume_binding_mode") else None
    old_mode = old.volume_binding_mode if old.HasField("volume_binding_mode") else None
    if new_mode != old_mode:
        errs.append(invalid(Path("volumeBindingMode"), new_mode, FIELD_IMMUTABLE))
    return errs + validate_storage_class(new)


def validate_volume_attachment(va: storage_pb2.VolumeAttachment) -> Errors:
    spec = Path("spec")
    errs = validate_object_meta(va.metadata, False, name_is_dns_subdomain)
    if not va.spec.attacher:
        errs.append(required(spec.child("attacher")))
    source = va.spec.source
    if not source.HasField("persistent_volume_name"):
        errs.append(required(spec.child("source"), "must specify exactly one of inlineVolumeSpec and persistentVolumeName"))
    elif not source.persistent_volume_name:
        errs.append(required(spec.child("source", "persistentVolumeName"), "must specify non empty persistentVolumeName"))
    errs += each([va.spec.node_name], name_is_dns_subdomain, spec.child("nodeName"))
    # the v1-only checks (ValidateVolumeAttachmentV1)
    attacher = Path("spec.attacher")
    if len(va.spec.attacher) > 63:
        errs.append(too_long(attacher, "", 63))
    errs += [invalid(attacher, va.spec.attacher, m) for m in name_is_dns_subdomain(va.spec.attacher.lower())]
    if source.persistent_volume_name:
        errs += each([source.persistent_volume_name], name_is_dns_subdomain, Path("spec.source.persistentVolumeName"))
    return errs


def validate_volume_attachment_update(new: storage_pb2.VolumeAttachment, old: storage_pb2.VolumeAttachment) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata) + validate_volume_attachment(new)
    if new.spec != old.spec:
        errs.append(invalid(Path("spec"), go_struct(new.spec), FIELD_IMMUTABLE))
    return errs

