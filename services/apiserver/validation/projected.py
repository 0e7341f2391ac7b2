"""Files projected into a volume: configMap/secret `items`, downwardAPI files, projected volume sources
(k/k core validation: validateKeyToPath, validateDownwardAPIVolumeSource, validateProjectedVolumeSource).

Every file lands at a relative path inside the volume that may not start with `..` (the kubelet's writer
keeps its own `..data` and timestamped directories there); in a projected volume no two sources may
claim the same path.
"""
from __future__ import annotations

from kubelab.fielderrors import Path, forbidden, invalid, not_supported, required

from .common import Errors
from .containers import validate_local_descending_path
from .env import validate_field_ref

__all__ = ["FILE_MODE_ERROR", "key_to_paths", "validate_local_non_reserved_path",
           "validate_downward_api_source", "validate_projected_source"]

FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
_VOLUME_FIELD_PATHS = {"metadata.name", "metadata.namespace", "metadata.labels", "metadata.annotations",
                       "metadata.uid"}
_RESOURCES = {"limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu", "requests.memory",
              "requests.ephemeral-storage"}


def _mode(holder, field: str, path: Path) -> Errors:
    if holder.HasField(field) and not 0 <= getattr(holder, field) <= 0o777:
        return [invalid(path, getattr(holder, field), FILE_MODE_ERROR)]
    return []


def validate_local_non_reserved_path(target: str, path: Path) -> Errors:
    """ValidateLocalNonReservedPath: relative, no `..` element, not starting with `..`."""
    errs = validate_local_descending_path(target, path)
    if target.startswith("..") and not target.startswith("../"):
        errs.append(invalid(path, target, "must not start with '..'"))
    return errs


def key_to_paths(items, path: Path) -> Errors:
    errs: Errors = []
    for i, kp in enumerate(items):
        p = path.index(i)
        if not kp.key:
            errs.append(required(p.child("key")))
        if not kp.path:
            errs.append(required(p.child("path")))
        errs += validate_local_non_reserved_path(kp.path, p.child("path"))
        errs += _mode(kp, "mode", p.child("mode"))
    return errs


def _downward_api_file(f, path: Path) -> Errors:
    errs: Errors = []
    if not f.path:
        errs.append(required(path.child("path")))
    errs += validate_local_non_reserved_path(f.path, path.child("path"))
    if f.HasField("field_ref"):
        errs += validate_field_ref(f.field_ref, path.child("fieldRef"), _VOLUME_FIELD_PATHS)
        if f.HasField("resource_field_ref"):
            errs.append(invalid(path, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
    elif f.HasField("resource_field_ref"):
        ref, rp = f.resource_field_ref, path.child("resourceFieldRef")
        if not ref.container_name:
            errs.append(required(rp.child("containerName")))
        if not ref.resource:
            errs.append(required(rp.child("resource")))
        elif ref.resource not in _RESOURCES and not ref.resource.startswith(("requests.hugepages-",
                                                                               "limits.hugepages-")):
            errs.append(not_supported(rp.child("resource"), ref.resource, sorted(_RESOURCES)))
    else:
        errs.append(required(path, "one of fieldRef and resourceFieldRef is required"))
    return errs + _mode(f, "mode", path.child("mode"))


def validate_downward_api_source(src, path: Path) -> Errors:
    errs = _mode(src, "default_mode", path.child("defaultMode"))
    for f in src.items:
        errs += _downward_api_file(f, path)  # upstream reports each file's errors at the source's path
    return errs


def _projection(source, path: Path, seen: set[str], volume_path: Path) -> tuple[int, Errors]:
    """(how many projection types this source sets, its errors)."""
    count, errs = 0, []
    for field, json_name in (("secret", "secret"), ("config_map", "configMap")):
        if not source.HasField(field):
            continue
        count += 1
        ref, p = getattr(source, field), path.child(json_name)
        if not ref.name:
            errs.append(required(p.child("name")))
        errs += key_to_paths(ref.items, p.child("items"))
        for kp in ref.items:
            if kp.path and kp.path in seen:
                errs.append(invalid(volume_path, ref.name, "conflicting duplicate paths"))
            seen.add(kp.path)
    if source.HasField("downward_api"):
        count += 1
        p = path.child("downwardAPI")
        for f in source.downward_api.items:
            errs += _downward_api_file(f, p)
            if f.path and f.path in seen:
                errs.append(invalid(volume_path, f.path, "conflicting duplicate paths"))
            seen.add(f.path)
    if source.HasField("service_account_token"):
        count += 1
        token = source.service_account_token
        p = path.child("serviceAccountToken")
        if not token.path:
            errs.append(required(p.child("path")))
        if token.HasField("expiration_seconds") and token.expiration_seconds < 600:
            errs.append(invalid(p.child("expirationSeconds"), token.expiration_seconds,
                                "may not specify a duration less than 10 minutes"))
    return count, errs


def validate_projected_source(src, path: Path) -> Errors:
    errs = _mode(src, "default_mode", path.child("defaultMode"))
    seen: set[str] = set()
    for i, source in enumerate(src.sources):
        p = path.child("sources").index(i)
        count, source_errs = _projection(source, p, seen, path)
        errs += source_errs
        if count > 1:
            errs.append(forbidden(p, "may not specify more than 1 volume type per source"))
    return errs
