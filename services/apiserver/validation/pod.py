"""Pods: create, update (the fields a running pod may change), status update (k/k ValidatePod*)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import Path, forbidden, invalid, required
from kubelab.validation_names import name_is_dns_subdomain

from .common import Errors, as_json, json_diff
from .meta import validate_object_meta, validate_object_meta_update
from .podspec import validate_pod_spec, validate_tolerations

__all__ = ["validate_pod", "validate_pod_update", "validate_pod_status_update", "POD_UPDATE_FORBIDDEN"]

UPDATABLE_POD_SPEC_FIELDS = [
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
]
POD_UPDATE_FORBIDDEN = "pod updates may not change fields other than " + ",".join(UPDATABLE_POD_SPEC_FIELDS)
MAX_INT32 = 2147483647


def _image_whitespace(containers, path: Path) -> Errors:
    return [invalid(path.index(i).child("image"), c.image, "must not have leading or trailing whitespace")
            for i, c in enumerate(containers) if c.image != c.image.strip()]


def validate_pod(pod: core_pb2.Pod) -> Errors:
    """validatePodMetadataAndSpec: metadata, the pod spec, and the pod-only image check."""
    spec = Path("spec")
    errs = validate_object_meta(pod.metadata, True, name_is_dns_subdomain)
    errs += validate_pod_spec(pod.spec, spec, is_pod=True)
    errs += _image_whitespace(pod.spec.containers, spec.child("containers"))
    return errs + _image_whitespace(pod.spec.init_containers, spec.child("initContainers"))


def _container_updates(new, old, path: Path) -> tuple[Errors, bool]:
    if len(new) != len(old):
        return [forbidden(path, "pod updates may not add or remove containers")], True
    errs: Errors = []
    for i, c in enumerate(new):
        if not c.image:
            errs.append(required(path.index(i).child("image")))
    return errs + _image_whitespace(new, path), False


def _only_added_tolerations(new, old, path: Path) -> Errors:
    for o in old:
        if not any(_same_toleration(o, n) for n in new):
            return [forbidden(path, "existing toleration can not be modified except its tolerationSeconds")]
    return validate_tolerations(new, path)


def _same_toleration(a: core_pb2.Toleration, b: core_pb2.Toleration) -> bool:
    return (a.key, a.operator, a.value, a.effect) == (b.key, b.operator, b.value, b.effect)


def _deadline(new: core_pb2.PodSpec, old: core_pb2.PodSpec, path: Path) -> tuple[Errors, bool]:
    p = path.child("activeDeadlineSeconds")
    if new.HasField("active_deadline_seconds"):
        value = new.active_deadline_seconds
        if not 0 <= value <= MAX_INT32:
            return [invalid(p, value, f"must be between 0 and {MAX_INT32}, inclusive")], True
        if old.HasField("active_deadline_seconds") and old.active_deadline_seconds < value:
            return [invalid(p, value, "must be less than or equal to previous value")], True
    elif old.HasField("active_deadline_seconds"):
        return [invalid(p, None, "must not update from a positive integer to nil value")], False
    return [], False


def validate_pod_update(new: core_pb2.Pod, old: core_pb2.Pod) -> Errors:
    """ValidatePodUpdate: only images, activeDeadlineSeconds and added tolerations may change."""
    spec_path = Path("spec")
    errs = validate_object_meta_update(new.metadata, old.metadata) + validate_pod(new)
    for field, name in (("containers", "containers"), ("init_containers", "initContainers")):
        more, stop = _container_updates(getattr(new.spec, field), getattr(old.spec, field), spec_path.child(name))
        errs += more
        if stop:
            return errs
    more, stop = _deadline(new.spec, old.spec, spec_path)
    errs += more
    if stop:
        return errs
    errs += _only_added_tolerations(new.spec.tolerations, old.spec.tolerations, spec_path.child("tolerations"))
    if new.spec == old.spec:
        return errs
    munged = core_pb2.PodSpec()
    munged.CopyFrom(new.spec)
    for field in ("containers", "init_containers"):
        for c, o in zip(getattr(munged, field), getattr(old.spec, field)):
            c.image = o.image
    munged.ClearField("active_deadline_seconds")
    if old.spec.HasField("active_deadline_seconds"):
        munged.active_deadline_seconds = old.spec.active_deadline_seconds
    del munged.tolerations[:]
    munged.tolerations.extend(old.spec.tolerations)
    if (old.spec.HasField("termination_grace_period_seconds") and old.spec.termination_grace_period_seconds < 0
            and munged.termination_grace_period_seconds == 1):
        munged.termination_grace_period_seconds = old.spec.termination_grace_period_seconds
    if munged != old.spec:
        diff = json_diff(as_json(old.spec), as_json(munged))
        errs.append(forbidden(spec_path, f"{POD_UPDATE_FORBIDDEN}\n{diff}"))
    return errs


def validate_pod_status_update(new: core_pb2.Pod, old: core_pb2.Pod) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata)
    if new.spec.node_name != old.spec.node_name:
        errs.append(forbidden(Path("status", "nodeName"), "may not be changed directly"))
    return errs
