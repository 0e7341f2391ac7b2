"""OpenAPI v3, generated from the proto messages (kube-openapi's /openapi/v3 and per group-version docs).

Enough for kubectl: each kind's schema carries x-kubernetes-group-version-kind (`explain` finds it there,
and walks the properties), and each kind has a PATCH operation with the `fieldValidation` query parameter
(`create`/`apply`/`edit` then leave validation to the server). Field descriptions give the type only:
the protos carry almost no comments. No request body for strategic merge patch is declared, so kubectl
computes its apply patches from the metadata compiled into it, as the reference advises.
"""
from __future__ import annotations

import functools
import hashlib
import json

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from kubelab.api.registry import KindInfo
from services.apiserver.http.discovery import GROUP_VERSIONS, kinds_of

__all__ = ["root", "document", "gv_path"]

F = FieldDescriptor
_SCALARS = {F.TYPE_STRING: {"type": "string"}, F.TYPE_BOOL: {"type": "boolean"},
            F.TYPE_INT32: {"type": "integer", "format": "int32"}, F.TYPE_INT64: {"type": "integer", "format": "int64"},
            F.TYPE_UINT32: {"type": "integer", "format": "int32"}, F.TYPE_UINT64: {"type": "integer", "format": "int64"},
            F.TYPE_DOUBLE: {"type": "number", "format": "double"}, F.TYPE_FLOAT: {"type": "number", "format": "double"},
            F.TYPE_BYTES: {"type": "string", "format": "byte"}}
_WELL_KNOWN = {"google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
               "google.protobuf.Value": {"x-kubernetes-int-or-string": True},
               "google.protobuf.Struct": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
# The Kubernetes schema name prefix of each proto file's messages.
_PACKAGES = {"meta": "io.k8s.apimachinery.pkg.apis.meta.v1", "core": "io.k8s.api.core.v1",
             "apps": "io.k8s.api.apps.v1", "storage": "io.k8s.api.storage.v1",
             "coordination": "io.k8s.api.coordination.v1", "discovery": "io.k8s.api.discovery.v1"}
_PATCH_PARAMS = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                 for n in ("dryRun", "fieldManager", "fieldValidation")]


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def schema_name(d: Descriptor) -> str:
    package = d.file.name.rsplit("/", 1)[-1].removesuffix(".proto")
    return f"{_PACKAGES.get(package, 'io.kubelab.v1')}.{d.name}"


def _field_schema(f: FieldDescriptor, schemas: dict) -> dict:
    mt = f.message_type
    if mt is not None and mt.GetOptions().map_entry:
        return {"type": "object", "additionalProperties": _field_schema(mt.fields_by_name["value"], schemas),
                "description": f"map[string]{_type_name(mt.fields_by_name['value'])}"}
    if mt is not None and mt.full_name in _WELL_KNOWN:
        one = dict(_WELL_KNOWN[mt.full_name])
    elif mt is not None:
        _add(mt, schemas)
        one = {"allOf": [{"$ref": f"#/components/schemas/{schema_name(mt)}"}], "default": {}}
    else:
        one = dict(_SCALARS.get(f.type, {"type": "string"}))
    if f.is_repeated:
        return {"type": "array", "items": one, "description": f"[]{_type_name(f)}"}
    return {**one, "description": _type_name(f)}


def _type_name(f: FieldDescriptor) -> str:
    mt = f.message_type
    if mt is None:
        return (_SCALARS.get(f.type) or {}).get("type", "string")
    return {"google.protobuf.Timestamp": "Time", "google.protobuf.Value": "IntOrString",
            "google.protobuf.Struct": "RawExtension"}.get(mt.full_name, mt.name)


def _add(d: Descriptor, schemas: dict) -> None:
    name = schema_name(d)
    if name in schemas:
        return
    schemas[name] = {}  # placed first: recursive types refer to it
    props = {f.json_name: _field_schema(f, schemas) for f in d.fields}
    schemas[name] = {"description": f"{d.name} (kubelab's {d.full_name}).", "type": "object", "properties": props}


def _gvk(info: KindInfo) -> dict:
    return {"group": info.group, "version": info.version, "kind": info.kind}


def _item_path(info: KindInfo) -> str:
    ns = "namespaces/{namespace}/" if info.namespaced else ""
    return f"/{gv_path(info.group, info.version)}/{ns}{info.plural}/{{name}}"


@functools.cache
def _document(group: str, version: str) -> tuple[bytes, str]:
    schemas: dict = {}
    paths = {}
    for info in kinds_of(group, version):
        _add(info.message.DESCRIPTOR, schemas)
        schemas[schema_name(info.message.DESCRIPTOR)]["x-kubernetes-group-version-kind"] = [_gvk(info)]
        paths[_item_path(info)] = {"patch": {
            "operationId": f"patch{info.kind}", "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": _gvk(info), "parameters": _PATCH_PARAMS,
            "responses": {"200": {"description": "OK"}}}}
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
           "components": {"schemas": schemas}}
    body = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    return body, hashlib.sha512(body).hexdigest()[:32].upper()


def document(group: str, version: str) -> tuple[bytes, str] | None:
    """One group-version's document (bytes) and its hash; None for a group-version not served."""
    return _document(group, version) if (group, version) in GROUP_VERSIONS else None


def root() -> dict:
    return {"paths": {gv_path(g, v): {"serverRelativeURL": f"/openapi/v3/{gv_path(g, v)}?hash={_document(g, v)[1]}"}
                      for g, v in GROUP_VERSIONS}}
