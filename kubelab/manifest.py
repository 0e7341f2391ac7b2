"""Manifests (YAML/JSON) to API messages and back, strictly, as Kubernetes decodes them.

Decoding checks apiVersion and kind against the registry and every field against the
message, collecting *all* unknown fields with their paths before anything is parsed,
so ``spec.replica`` fails as ``strict decoding error: unknown field "spec.replica"``.
Encoding gives Kubernetes JSON: integers as numbers, IntOrString as int or string.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from kubelab.api import presence, registry

__all__ = [
    "ManifestError", "NoKindMatchError", "StrictDecodingError", "MissingKindError",
    "from_dict", "to_dict", "load_documents", "to_json", "to_yaml",
]

F = FieldDescriptor
_INT_TYPES = {F.TYPE_INT32: "int32", F.TYPE_INT64: "int64", F.TYPE_UINT32: "uint32",
              F.TYPE_UINT64: "uint64", F.TYPE_SINT32: "int32", F.TYPE_SINT64: "int64"}
_INT64 = {F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_SINT64, F.TYPE_FIXED64, F.TYPE_SFIXED64}
# What each integer type holds: a number outside it does not decode (Go: reflect.Value.OverflowInt).
_INT_RANGES = {**dict.fromkeys((F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32), (-2**31, 2**31 - 1)),
               **dict.fromkeys((F.TYPE_UINT32, F.TYPE_FIXED32), (0, 2**32 - 1)),
               **dict.fromkeys((F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64), (-2**63, 2**63 - 1)),
               **dict.fromkeys((F.TYPE_UINT64, F.TYPE_FIXED64), (0, 2**64 - 1))}
_WELL_KNOWN = {"google.protobuf.Value", "google.protobuf.Struct", "google.protobuf.Timestamp"}
# Quantities are strings in the messages, but Kubernetes' Quantity also decodes a JSON number (`cpu: 2`).
_QUANTITY_MAPS = {("ResourceRequirements", "limits"), ("ResourceRequirements", "requests"),
                  ("VolumeResourceRequirements", "limits"), ("VolumeResourceRequirements", "requests"),
                  ("NodeStatus", "capacity"), ("NodeStatus", "allocatable"),
                  ("PersistentVolumeSpec", "capacity"), ("PersistentVolumeClaimStatus", "capacity")}
_QUANTITIES = {("EmptyDirVolumeSource", "size_limit")}


class ManifestError(ValueError):
    """A manifest that cannot become an API object. ``str()`` is Kubernetes' wording."""


class MissingKindError(ManifestError):
    """apiVersion or kind is not set."""


class NoKindMatchError(ManifestError):
    """apiVersion/kind names nothing the API serves (RESTMapper's NoKindMatchError)."""

    def __init__(self, kind: str, version: str):
        self.kind, self.version = kind, version
        super().__init__(f'no matches for kind "{kind}" in version "{version}"')


class StrictDecodingError(ManifestError):
    """Unknown or mistyped fields: ``<Kind> in version "<v>" cannot be handled as a <Kind>: ...``."""

    def __init__(self, info: registry.KindInfo, problems: list[str], paths: list[str]):
        self.info, self.problems, self.paths = info, problems, paths
        unknown = [p for p in problems if p.startswith("unknown field")]
        other = [p for p in problems if not p.startswith("unknown field")]
        detail = "; ".join(other + ([f"strict decoding error: {', '.join(unknown)}"] if unknown else []))
        super().__init__(f'{info.kind} in version "{info.version}" cannot be handled as a '
                         f'{info.kind}: {detail}')


def _go_type(field: FieldDescriptor) -> str:
    if field.type == F.TYPE_MESSAGE:
        return field.message_type.name
    if field.type == F.TYPE_BOOL:
        return "bool"
    if field.type == F.TYPE_STRING:
        return "string"
    return _INT_TYPES.get(field.type, "number")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _check_scalar(field: FieldDescriptor, value: Any) -> bool:
    if field.type == F.TYPE_BOOL:
        return isinstance(value, bool)
    if field.type == F.TYPE_STRING:
        return isinstance(value, str)
    if field.type in _INT_RANGES:
        if isinstance(value, bool) or not (isinstance(value, int) or isinstance(value, float) and value.is_integer()):
            return False
        low, high = _INT_RANGES[field.type]
        return low <= value <= high
    if field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _quantity(value: Any) -> Any:
    """A number where a Quantity goes, as the quantity string it stands for; anything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _walk(desc: Descriptor, data: Any, path: str, problems: list[str], paths: list[str],
          owner: str) -> Any:
    """Check data against desc; returns data with nulls dropped (Kubernetes treats null as unset)."""
    if not isinstance(data, dict):
        problems.append(f"json: cannot unmarshal {_json_type(data)} into Go struct field "
                        f"{owner}.{path} of type {desc.name}")
        paths.append(path)
        return None
    fields = {f.json_name: f for f in desc.fields}
    out: dict[str, Any] = {}
    for key, value in data.items():
        sub = f"{path}.{key}" if path else str(key)
        field = fields.get(key) if isinstance(key, str) else None
        if field is None:
            problems.append(f'unknown field "{sub}"')
            paths.append(sub)
            continue
        if value is None:
            continue
        out[key] = _walk_field(field, value, sub, problems, paths, desc.name)
    return out


def _walk_field(field: FieldDescriptor, value: Any, path: str, problems: list[str],
                paths: list[str], owner: str) -> Any:
    def mistyped(v: Any, want: str) -> None:
        problems.append(f"json: cannot unmarshal {_json_type(v)} into Go struct field "
                        f"{owner}.{path} of type {want}")
        paths.append(path)

    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        if not isinstance(value, dict):
            mistyped(value, "map[string]string")
            return None
        vfield = field.message_type.fields_by_name["value"]
        quantities = (owner, field.name) in _QUANTITY_MAPS
        out = {}
        for k, v in value.items():
            if v is None:
                continue
            if quantities:
                v = _quantity(v)
            if vfield.type == F.TYPE_MESSAGE:
                out[k] = _walk(vfield.message_type, v, f"{path}.{k}", problems, paths, owner)
            elif not _check_scalar(vfield, v):
                mistyped(v, _go_type(vfield))
            else:
                out[k] = v
        return out
    if (owner, field.name) in _QUANTITIES:
        value = _quantity(value)
    if field.is_repeated:
        if not isinstance(value, list):
            mistyped(value, f"[]{_go_type(field)}")
            return None
        return [_walk_single(field, v, f"{path}[{i}]", problems, paths, owner, mistyped)
                for i, v in enumerate(value) if v is not None]
    return _walk_single(field, value, path, problems, paths, owner, mistyped)


def _walk_single(field, value, path, problems, paths, owner, mistyped):
    if field.type == F.TYPE_MESSAGE:
        full = field.message_type.full_name
        if full == "google.protobuf.Value":  # IntOrString
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                mistyped(value, "IntOrString")
            return value
        if full == "google.protobuf.Struct":
            if not isinstance(value, dict):
                mistyped(value, "RawExtension")
            return value
        if full == "google.protobuf.Timestamp":
            if not isinstance(value, str):
                mistyped(value, "Time")
            return value
        return _walk(field.message_type, value, path, problems, paths, field.message_type.name)
    if not _check_scalar(field, value):
        if field.type in _INT_RANGES and _json_type(value) == "number":
            # a number that is no integer of the field's type: Go names the literal (encoding/json literalStore)
            problems.append(f"json: cannot unmarshal number {json.dumps(value)} into Go struct field "
                            f"{owner}.{path} of type {_go_type(field)}")
            paths.append(path)
        else:
            mistyped(value, _go_type(field))
        return None
    if isinstance(value, float) and field.type not in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return int(value)
    return value


def kind_info(data: dict[str, Any]) -> registry.KindInfo:
    """Resolve a document's apiVersion and kind, with Kubernetes' errors."""
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not kind or not isinstance(kind, str):
        raise MissingKindError("Object 'Kind' is missing in manifest")
    if not api_version or not isinstance(api_version, str):
        raise MissingKindError("Object 'apiVersion' is missing in manifest")
    try:
        info = registry.by_kind(kind)
    except registry.UnknownKind:
        raise NoKindMatchError(kind, api_version) from None
    if info.api_version != api_version:
        raise NoKindMatchError(kind, api_version)
    return info


def from_dict(data: Any) -> Message:
    """Decode one manifest document strictly into its kind's message."""
    if not isinstance(data, dict):
        raise ManifestError(f"json: cannot unmarshal {_json_type(data)} into Go value of type "
                            "struct { APIVersion string; Kind string }")
    info = kind_info(data)
    problems: list[str] = []
    paths: list[str] = []
    clean = _walk(info.message.DESCRIPTOR, data, "", problems, paths, info.kind)
    if problems:
        raise StrictDecodingError(info, problems, paths)
    _strip_always(clean, presence.ROOTS[info.kind])
    msg = info.message()
    try:
        json_format.ParseDict(clean, msg)
    except json_format.ParseError as e:
        raise StrictDecodingError(info, [str(e)], [""]) from None
    return msg


def _fix_ints(desc: Descriptor, data: dict[str, Any]) -> dict[str, Any]:
    """json_format writes int64 as strings and IntOrString numbers as floats; Kubernetes doesn't."""
    fields = {f.json_name: f for f in desc.fields}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            continue
        if field.type in _INT64:
            data[key] = [int(v) for v in value] if isinstance(value, list) else int(value)
        elif field.type == F.TYPE_MESSAGE:
            mt = field.message_type
            if mt.GetOptions().map_entry:
                vf = mt.fields_by_name["value"]
                if vf.type == F.TYPE_MESSAGE:
                    for v in value.values():
                        _fix_ints(vf.message_type, v)
            elif mt.full_name == "google.protobuf.Value":
                if isinstance(value, float) and value.is_integer():
                    data[key] = int(value)
            elif mt.full_name not in _WELL_KNOWN:
                for item in value if isinstance(value, list) else [value]:
                    _fix_ints(mt, item)
    return data


def _fill_always(data: dict[str, Any], struct: str) -> dict[str, Any]:
    """Write what Kubernetes always writes and protobuf's printer drops (``ready: false``).

    The table (kubelab/api/presence.py) comes from upstream's Go struct tags: a field without
    ``omitempty``, or a struct-valued one, is in Kubernetes' JSON even when zero.
    """
    for key, (rule, zero, child, shape) in presence.FIELDS.get(struct, {}).items():
        if key not in data:
            if rule == "nested":
                continue
            data[key] = {} if rule == "object" else zero
        value = data[key]
        if child is None or value is None:
            continue
        if shape == "list":
            for item in value:
                _fill_always(item, child)
        elif shape == "map":
            for item in value.values():
                _fill_always(item, child)
        else:
            _fill_always(value, child)
    return data


def _strip_always(data: dict[str, Any], struct: str) -> None:
    """Undo _fill_always on decoding: Go cannot tell ``resources: {}`` or ``targetPort: 0`` from an
    absent field, so neither may a message, or an object read, edited and written back would differ
    from the stored one (a pod update "changing" ``resources``)."""
    for key, (rule, zero, child, shape) in presence.FIELDS.get(struct, {}).items():
        value = data.get(key)
        if value is None:
            continue
        if child is not None:
            items = value if shape == "list" else value.values() if shape == "map" else [value]
            for item in items:
                if isinstance(item, dict):
                    _strip_always(item, child)
        if rule == "object" and value == {} or rule == "value" and type(value) is type(zero) and value == zero:
            del data[key]


def to_dict(msg: Message, *, compact: bool = False) -> dict[str, Any]:
    """Kubernetes JSON for an object, with apiVersion and kind filled in.

    Every field Kubernetes always writes is there, zero or not (``ready: false``,
    ``restartCount: 0``, ``lastProbeTime: null``, ``resources: {}``). ``compact`` leaves zero
    values out, as protobuf's JSON does: the form the StatefulSet revision hashes are computed
    from, kept so that those names stay what they were.
    """
    data = json_format.MessageToDict(msg)
    _fix_ints(msg.DESCRIPTOR, data)
    try:
        info = registry.kind_of(msg)
    except registry.UnknownKind:
        return data
    if not compact:
        _fill_always(data, presence.ROOTS[info.kind])
    head = {"apiVersion": info.api_version, "kind": info.kind}
    data.pop("apiVersion", None)
    data.pop("kind", None)
    return {**head, **data}


def to_json(msg: Message, indent: int | None = 4) -> str:
    return json.dumps(to_dict(msg), indent=indent)


def to_yaml(data: Any) -> str:
    if isinstance(data, Message):
        data = to_dict(data)
    import yaml  # imported where used: commands that print tables need no YAML

    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


def load_documents(text: str) -> Iterator[Any]:
    """The non-empty documents of a multi-document YAML (or JSON) text."""
    import yaml

    if text.lstrip().startswith(("{", "[")):
        try:  # JSON proper: surrogate-pair escapes decode as JSON defines them
            docs = [json.loads(text)]
        except ValueError:
            docs = yaml.safe_load_all(text)
    else:
        docs = yaml.safe_load_all(text)
    for doc in docs:
        if doc is None:
            continue
        if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            yield from doc["items"]
        else:
            yield doc


def plain_numbers(value):
    """A protobuf Struct's numbers come back as floats: integral ones become ints again (as JSON had them)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_numbers(v) for v in value]
    return value
