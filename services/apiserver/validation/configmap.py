"""ConfigMap and Secret (k/k pkg/apis/core/validation/validation.go: ValidateConfigMap, ValidateConfigMapUpdate,
ValidateSecret, ValidateSecretUpdate).

Keys are config keys (`[-._a-zA-Z0-9]+`, not `.`/`..`), a ConfigMap key may be in `data` or in
`binaryData` but not both, the values together hold at most 1 MiB, each Secret type requires its keys,
and an object created with `immutable: true` keeps its data and its immutability for good. Go walks maps
in random order; the errors here come in key order so that a message is stable.
"""
from __future__ import annotations

import json

from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import Path, forbidden, invalid, required, too_long

from .common import Errors, FIELD_IMMUTABLE, is_config_map_key
from .meta import name_rule, validate_object_meta, validate_object_meta_update

__all__ = ["validate_config_map", "validate_config_map_update", "validate_secret", "validate_secret_update",
           "MAX_SECRET_SIZE", "SECRET_TYPES"]

#: core.MaxSecretSize: the bound on a ConfigMap's or a Secret's data, 1 MiB.
MAX_SECRET_SIZE = 1 << 20
IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set"
REDACTED = "<secret contents redacted>"
SERVICE_ACCOUNT_NAME_KEY = "kubernetes.io/service-account.name"

#: Secret types with the keys each requires (pkg/apis/core/types.go).
SECRET_TYPES = {
    "Opaque": (),
    "kubernetes.io/service-account-token": (),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/basic-auth": ("username", "password"),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


def _keys(keys, path: Path) -> Errors:
    return [invalid(path.key(k), k, m) for k in sorted(keys) for m in is_config_map_key(k)]


def validate_config_map(cm: core_pb2.ConfigMap) -> Errors:
    errs = validate_object_meta(cm.metadata, True, name_rule("ConfigMap"))
    data, binary = dict(cm.data), dict(cm.binary_data)
    errs += _keys(data, Path("data"))
    errs += [invalid(Path("data").key(k), k, "duplicate of key present in binaryData")
             for k in sorted(data) if k in binary]
    errs += _keys(binary, Path("binaryData"))
    size = sum(len(v.encode()) for v in data.values()) + sum(len(v) for v in binary.values())
    if size > MAX_SECRET_SIZE:
        errs.append(too_long("", None, MAX_SECRET_SIZE))  # "": the whole object, as upstream says
    return errs


def _immutable(new, old, fields: tuple[tuple[str, str], ...]) -> Errors:
    """Once `immutable: true` is stored, neither it nor the data may change."""
    if not (old.HasField("immutable") and old.immutable):
        return []
    errs: Errors = []
    if not (new.HasField("immutable") and new.immutable):
        errs.append(forbidden(Path("immutable"), IMMUTABLE_WHEN_SET))
    for field, json_name in fields:
        if dict(getattr(new, field)) != dict(getattr(old, field)):
            errs.append(forbidden(Path(json_name), IMMUTABLE_WHEN_SET))
    return errs


def validate_config_map_update(new: core_pb2.ConfigMap, old: core_pb2.ConfigMap) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata)
    errs += _immutable(new, old, (("data", "data"), ("binary_data", "binaryData")))
    return errs + validate_config_map(new)


def _go_json_error(raw: bytes) -> str | None:
    """Why Go's json.Unmarshal into a map[string]interface{} refuses `raw`, in Go's words (None: it accepts)."""
    try:
        doc = json.loads(raw)
    except UnicodeDecodeError:
        return "invalid character looking for beginning of value"
    except json.JSONDecodeError as e:
        if e.pos >= len(e.doc.rstrip()):
            return "unexpected end of JSON input"
        return f"invalid character {e.doc[e.pos]!r} looking for beginning of value"
    if doc is None or isinstance(doc, dict):
        return None
    go_type = {list: "array", str: "string", bool: "bool"}.get(type(doc), "number")
    return f"json: cannot unmarshal {go_type} into Go value of type map[string]interface {{}}"


def _secret_type(secret: core_pb2.Secret, data: dict[str, bytes]) -> Errors:
    data_path = Path("data")
    stype = secret.type
    if stype == "kubernetes.io/service-account-token":
        if not secret.metadata.annotations.get(SERVICE_ACCOUNT_NAME_KEY):
            return [required(Path("metadata", "annotations").key(SERVICE_ACCOUNT_NAME_KEY))]
    elif stype in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = SECRET_TYPES[stype][0]
        if key not in data:
            return [required(data_path.key(key))]
        reason = _go_json_error(data[key])
        if reason is not None:
            return [invalid(data_path.key(key), REDACTED, reason)]
    elif stype == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            # Upstream builds this path as NewPath("data[%s]").Key(...): the odd field name is Kubernetes'.
            return [required(Path("data[%s]").key("username")), required(Path("data[%s]").key("password"))]
    elif stype == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            return [required(Path("data[%s]").key("ssh-privatekey"))]
    elif stype == "kubernetes.io/tls":
        return [required(data_path.key(k)) for k in ("tls.crt", "tls.key") if k not in data]
    return []


def validate_secret(secret: core_pb2.Secret) -> Errors:
    errs = validate_object_meta(secret.metadata, True, name_rule("Secret"))
    data = dict(secret.data)
    errs += _keys(data, Path("data"))
    if sum(len(v) for v in data.values()) > MAX_SECRET_SIZE:
        errs.append(too_long(Path("data"), None, MAX_SECRET_SIZE))
    return errs + _secret_type(secret, data)


def validate_secret_update(new: core_pb2.Secret, old: core_pb2.Secret) -> Errors:
    errs = validate_object_meta_update(new.metadata, old.metadata)
    if new.type != old.type:
        errs.append(invalid(Path("type"), new.type, FIELD_IMMUTABLE))
    errs += _immutable(new, old, (("data", "data"),))  # stringData was merged into data before this
    return errs + validate_secret(new)
