"""ObjectMeta, labels, annotations and label selectors (apimachinery's api/validation and meta/v1/validation).

Name rules differ per kind, as in Kubernetes: most kinds are DNS-1123 subdomains, Namespaces and
StatefulSets DNS-1123 labels, Services DNS-1035 labels.
"""
from __future__ import annotations

import functools
from typing import Callable

from kubelab.api.v1 import meta_pb2
from kubelab.fielderrors import Path, forbidden, invalid, required, too_long
from kubelab.validation_names import (
    is_qualified_name, is_valid_label_value, name_is_dns1035_label, name_is_dns_label,
    name_is_dns_subdomain,
)

from .common import Errors, FIELD_IMMUTABLE, nonnegative

__all__ = [
    "NameFn", "NAME_RULES", "name_rule", "validate_object_meta", "validate_object_meta_update",
    "validate_labels", "validate_annotations", "validate_label_name", "validate_label_selector",
    "validate_finalizer_name", "validate_template_meta",
]

NameFn = Callable[[str, bool], list[str]]

NAME_RULES: dict[str, NameFn] = {
    "Namespace": name_is_dns_label,
    "Service": name_is_dns1035_label,
    "StatefulSet": name_is_dns_label,  # newest Kubernetes; older releases allowed subdomains
}
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10)
_STANDARD_FINALIZERS = {"kubernetes", "orphan", "foregroundDeletion"}


def name_rule(kind: str) -> NameFn:
    return NAME_RULES.get(kind, name_is_dns_subdomain)


def validate_label_name(name: str, path: Path) -> Errors:
    return [invalid(path, name, msg) for msg in is_qualified_name(name)]


@functools.lru_cache(maxsize=4096)  # the same labels come with every object a controller stamps out
def _label_problems(key: str, value: str) -> tuple[tuple[str, str], ...]:
    """(the offending string, the message) for a label's key and value; empty when both are fine."""
    return (*((key, m) for m in is_qualified_name(key)), *((value, m) for m in is_valid_label_value(value)))


def validate_labels(labels, path: Path) -> Errors:
    """ValidateLabels: every key a qualified name, every value a label value (errors at the map's path)."""
    errs: Errors = []
    for k, v in labels.items():
        # no valid label is longer than 512 characters: such a pair is checked, not remembered
        found = _label_problems(k, v) if len(k) + len(v) <= 512 else _label_problems.__wrapped__(k, v)
        errs += [invalid(path, what, msg) for what, msg in found]
    return errs


def validate_annotations(annotations, path: Path) -> Errors:
    errs: Errors = []
    for k in annotations:
        errs += [invalid(path, k, msg) for msg in is_qualified_name(k.lower())]
    if sum(len(k) + len(v) for k, v in annotations.items()) > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(too_long(path, "", TOTAL_ANNOTATION_SIZE_LIMIT))
    return errs


def validate_label_selector(sel: meta_pb2.LabelSelector, path: Path) -> Errors:
    """ValidateLabelSelector, strict about values (as workload selectors are)."""
    errs = validate_labels(sel.match_labels, path.child("matchLabels"))
    for i, req in enumerate(sel.match_expressions):
        p = path.child("matchExpressions").index(i)
        if req.operator in ("In", "NotIn"):
            if not req.values:
                errs.append(required(p.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif req.operator in ("Exists", "DoesNotExist"):
            if req.values:
                errs.append(forbidden(p.child("values"),
                                      "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            errs.append(invalid(p.child("operator"), req.operator, "not a valid selector operator"))
        errs += validate_label_name(req.key, p.child("key"))
        for j, v in enumerate(req.values):
            errs += [invalid(p.child("values").index(j), v, msg) for msg in is_valid_label_value(v)]
    return errs


def _owner_references(refs, path: Path) -> Errors:
    errs: Errors = []
    first_controller = ""
    for i, ref in enumerate(refs):
        p = path.index(i)
        if not ref.api_version:
            errs.append(required(p.child("apiVersion"), "must not be empty"))
        elif ref.api_version.count("/") > 1 or ref.api_version.endswith("/") or ref.api_version.startswith("/"):
            errs.append(invalid(p.child("apiVersion"), ref.api_version, "must be <group>/<version> or <version>"))
        for name, value in (("kind", ref.kind), ("name", ref.name), ("uid", ref.uid)):
            if not value:
                errs.append(required(p.child(name), "must not be empty"))
        if ref.api_version == "v1" and ref.kind == "Event":
            errs.append(invalid(p, ref, "/v1, Kind=Event is disallowed from being an owner"))
        if ref.HasField("controller") and ref.controller:
            current = f"{ref.kind}/{ref.name}"
            if first_controller:
                errs.append(invalid(path, list(refs),
                                    'Only one reference can have Controller set to true. Found "true" in '
                                    f"references for {first_controller} and {current}"))
            else:
                first_controller = current
    return errs


def validate_finalizer_name(name: str, path: Path) -> Errors:
    """A qualified name, and one with a domain unless it is one of Kubernetes' own."""
    errs = [invalid(path, name, msg) for msg in is_qualified_name(name)]
    if "/" not in name and name not in _STANDARD_FINALIZERS:
        errs.append(invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


def _finalizers(finalizers, path: Path) -> Errors:
    errs: Errors = []
    for f in finalizers:
        errs += [invalid(path, f, msg) for msg in is_qualified_name(f)]
    if "orphan" in finalizers and "foregroundDeletion" in finalizers:
        errs.append(invalid(path, list(finalizers), "finalizer orphan and foregroundDeletion cannot be both set"))
    for i, f in enumerate(finalizers):  # k/k's extra check: a bare name must be a standard one
        if "/" not in f and f not in _STANDARD_FINALIZERS:
            errs.append(invalid(path.index(i), f,
                                "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


def _common(meta: meta_pb2.ObjectMeta, path: Path) -> Errors:
    errs = nonnegative(meta.generation, path.child("generation"))
    errs += validate_labels(meta.labels, path.child("labels"))
    errs += validate_annotations(meta.annotations, path.child("annotations"))
    errs += _owner_references(meta.owner_references, path.child("ownerReferences"))
    return errs


def validate_object_meta(meta: meta_pb2.ObjectMeta, namespaced: bool, name_fn: NameFn,
                         path: Path = Path("metadata")) -> Errors:
    """ValidateObjectMeta on create (after the name was generated from generateName)."""
    errs: Errors = []
    if meta.generate_name:
        errs += [invalid(path.child("generateName"), meta.generate_name, m)
                 for m in name_fn(meta.generate_name, True)]
    if not meta.name:
        errs.append(required(path.child("name"), "name or generateName is required"))
    else:
        errs += [invalid(path.child("name"), meta.name, m) for m in name_fn(meta.name, False)]
    if namespaced:
        if not meta.namespace:
            errs.append(required(path.child("namespace")))
        else:
            errs += [invalid(path.child("namespace"), meta.namespace, m)
                     for m in name_is_dns_label(meta.namespace, False)]
    elif meta.namespace:
        errs.append(forbidden(path.child("namespace"), "not allowed on this type"))
    return errs + _common(meta, path) + _finalizers(meta.finalizers, path.child("finalizers"))


def validate_object_meta_update(new: meta_pb2.ObjectMeta, old: meta_pb2.ObjectMeta,
                                path: Path = Path("metadata")) -> Errors:
    """ValidateObjectMetaUpdate: identity fields are immutable; no new finalizers while deleting."""
    errs: Errors = []
    if old.HasField("deletion_timestamp"):
        extra = sorted(set(new.finalizers) - set(old.finalizers))
        if extra:
            listed = ", ".join(f'"{f}"' for f in extra)
            errs.append(forbidden(path.child("finalizers"), "no new finalizers can be added if the object is "
                                  f"being deleted, found new finalizers []string{{{listed}}}"))
    if not new.resource_version:
        errs.append(invalid(path.child("resourceVersion"), "", "must be specified for an update"))
    errs += nonnegative(new.generation, path.child("generation"))
    if new.generation < old.generation:
        errs.append(invalid(path.child("generation"), new.generation, "must not be decremented"))
    for field in ("name", "namespace", "uid"):
        if getattr(new, field) != getattr(old, field):
            errs.append(invalid(path.child(field), getattr(new, field), FIELD_IMMUTABLE))
    for field in ("creation_timestamp", "deletion_timestamp"):
        if getattr(new, field) != getattr(old, field) or new.HasField(field) != old.HasField(field):
            shown = getattr(new, field).ToJsonString() if new.HasField(field) else None
            errs.append(invalid(path.child(_camel(field)), shown, FIELD_IMMUTABLE))
    if (new.HasField("deletion_grace_period_seconds") != old.HasField("deletion_grace_period_seconds")
            or new.deletion_grace_period_seconds != old.deletion_grace_period_seconds):
        shown = new.deletion_grace_period_seconds if new.HasField("deletion_grace_period_seconds") else None
        errs.append(invalid(path.child("deletionGracePeriodSeconds"), shown, FIELD_IMMUTABLE))
    errs += _common(new, path)
    for i, f in enumerate(new.finalizers):
        if "/" not in f and f not in _STANDARD_FINALIZERS:
            errs.append(invalid(path.child("finalizers").index(i), f,
                                "name is neither a standard finalizer name nor is it fully qualified"))
    return errs


def validate_template_meta(meta: meta_pb2.ObjectMeta, path: Path) -> Errors:
    """A pod template's labels and annotations (the paths skip `metadata`, as in Kubernetes)."""
    return validate_labels(meta.labels, path.child("labels")) + \
        validate_annotations(meta.annotations, path.child("annotations"))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)
