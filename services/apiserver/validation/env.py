"""Container environment: env names, valueFrom sources, envFrom (k/k core validation)."""
from __future__ import annotations

import re

from kubelab.fielderrors import Path, invalid, not_supported, required
from kubelab.validation_names import is_qualified_name, name_is_dns_subdomain

from .common import Errors, is_config_map_key, is_env_var_name

__all__ = ["validate_env", "validate_field_ref"]

_ENV_FIELD_PATHS = {"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                    "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
                    "status.podIPs"}
_CONVERTIBLE_FIELD_PATHS = _ENV_FIELD_PATHS | {"metadata.labels", "metadata.annotations",
                                               "spec.restartPolicy", "spec.schedulerName", "status.phase"}
_RESOURCE_FIELD_PATHS = {"limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu",
                         "requests.memory", "requests.ephemeral-storage"}
_SUBSCRIPTED = re.compile(r"(metadata\.(?:labels|annotations))\['(.*)'\]", re.S)


def validate_field_ref(ref, path: Path, allowed: set[str] = _ENV_FIELD_PATHS) -> Errors:
    """validateObjectFieldSelector: a supported fieldPath, or labels/annotations subscripted by a valid key."""
    if not ref.api_version:
        return [required(path.child("apiVersion"))]
    if not ref.field_path:
        return [required(path.child("fieldPath"))]
    m = _SUBSCRIPTED.fullmatch(ref.field_path)
    if m:
        key = m.group(2).lower() if m.group(1) == "metadata.annotations" else m.group(2)
        return [invalid(path, key, msg) for msg in is_qualified_name(key)]
    if ref.field_path not in _CONVERTIBLE_FIELD_PATHS:
        return [invalid(path.child("fieldPath"), ref.field_path,
                        f"error converting fieldPath: field label not supported: {ref.field_path}")]
    if ref.field_path not in allowed:
        return [not_supported(path.child("fieldPath"), ref.field_path, sorted(allowed))]
    return []


def _key_ref(ref, path: Path) -> Errors:
    errs = [invalid(path.child("name"), ref.name, m) for m in name_is_dns_subdomain(ref.name)]
    if not ref.key:
        return errs + [required(path.child("key"))]
    return errs + [invalid(path.child("key"), ref.key, m) for m in is_config_map_key(ref.key)]


def _value_from(ev, path: Path) -> Errors:
    if not ev.HasField("value_from"):
        return []
    src, errs, n = ev.value_from, [], 0
    if src.HasField("field_ref"):
        n += 1
        errs += validate_field_ref(src.field_ref, path.child("fieldRef"))
    if src.HasField("resource_field_ref"):
        n += 1
        res, p = src.resource_field_ref.resource, path.child("resourceFieldRef")
        if not res:
            errs.append(required(p.child("resource")))
        elif res not in _RESOURCE_FIELD_PATHS and not res.startswith(("requests.hugepages-", "limits.hugepages-")):
            errs.append(not_supported(p.child("resource"), res, sorted(_RESOURCE_FIELD_PATHS)))
    for name in ("config_map_key_ref", "secret_key_ref"):
        if src.HasField(name):
            n += 1
            errs += _key_ref(getattr(src, name), path.child("configMapKeyRef" if name[0] == "c" else "secretKeyRef"))
    if n == 0:
        errs.append(invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` "
                                      "or `secretKeyRef`"))
    elif ev.value:
        errs.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif n > 1:
        errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def validate_env(env, env_from, path: Path) -> Errors:
    errs: Errors = []
    for i, ev in enumerate(env):
        p = path.child("env").index(i)
        if not ev.name:
            errs.append(required(p.child("name")))
        else:
            errs += [invalid(p.child("name"), ev.name, m) for m in is_env_var_name(ev.name)]
        errs += _value_from(ev, p.child("valueFrom"))
    for i, src in enumerate(env_from):
        p = path.child("envFrom").index(i)
        if src.prefix:
            errs += [invalid(p.child("prefix"), src.prefix, m) for m in is_env_var_name(src.prefix)]
        refs = [(n, getattr(src, n)) for n in ("config_map_ref", "secret_ref") if src.HasField(n)]
        for n, ref in refs:
            rp = p.child("configMapRef" if n[0] == "c" else "secretRef")
            if not ref.name:
                errs.append(required(rp.child("name")))
            else:
                errs += [invalid(rp.child("name"), ref.name, m) for m in name_is_dns_subdomain(ref.name, True)]
        if not refs:
            errs.append(invalid(path.child("envFrom"), "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(refs) > 1:
            errs.append(invalid(path.child("envFrom"), "", "may not have more than one field specified at a time"))
    return errs
