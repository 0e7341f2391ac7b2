"""Request bodies to API messages and messages to Kubernetes JSON; list pages and their continue tokens."""
from __future__ import annotations

import base64
import json
import re
from collections import OrderedDict

import yaml
from google.protobuf.message import Message

from kubelab import manifest
from kubelab.api.registry import KindInfo
from services.apiserver import errors
from services.apiserver.cached import Cached

__all__ = ["parse_json", "decode", "unknown_fields", "drop_field", "list_body", "page", "encode_continue", "object_json", "list_json"]

# Each cached object's JSON, built once per revision however many lists and watches send it (the gRPC
# side sends the watch cache's wire bytes as they are; JSON has to be made, and making it dominates).
_JSON: OrderedDict[tuple, bytes] = OrderedDict()
_JSON_SIZE = 50000


def object_json(c: Cached) -> bytes:
    key = (c.kind, c.namespace, c.name, c.rev)
    data = _JSON.get(key)
    if data is None:
        data = _JSON[key] = json.dumps(manifest.to_dict(c.message()), separators=(",", ":")).encode()
        if len(_JSON) > _JSON_SIZE:
            _JSON.popitem(last=False)
    else:
        _JSON.move_to_end(key)
    return data


def list_json(info: KindInfo, items: list[Cached], rev: int, cont: str = "") -> bytes:
    """A <Kind>List of cached objects, from their ready-made JSON."""
    head = json.dumps(list_body(info, [], rev, cont), separators=(",", ":")).encode()
    return head[:-3] + b"[" + b",".join(object_json(c) for c in items) + b"]}"


def parse_json(body: bytes, what: str = "body") -> object:
    try:
        return json.loads(body) if body.strip() else {}
    except ValueError as e:
        raise errors.bad_request(f"error decoding {what}: {e}") from None


def parse_yaml(body: bytes) -> object:
    try:
        return yaml.safe_load(body) or {}
    except yaml.YAMLError as e:
        raise errors.bad_request(f"error converting YAML to JSON: {e}") from None


def decode(data: object, info: KindInfo, validation: str = "Strict", warnings: list[str] | None = None) -> Message:
    """A request's object. fieldValidation Strict (kubectl's default): unknown fields are errors, in
    Kubernetes' words; Warn: they are dropped and reported in warnings; Ignore: they are dropped."""
    if validation not in ("Strict", "Warn", "Ignore", ""):
        raise errors.bad_request(f'fieldValidation: Unsupported value: "{validation}": supported values: '
                                 '"Ignore", "Strict", "Warn"')
    if not isinstance(data, dict):
        raise errors.bad_request(f"{info.kind} in version \"{info.version}\" cannot be handled as a {info.kind}: "
                                 "the body is not a JSON object")
    data = {"apiVersion": info.api_version, "kind": info.kind, **data}
    if data.get("kind") != info.kind or data.get("apiVersion") != info.api_version:
        raise errors.bad_request(f"the API version in the data ({data.get('apiVersion')}) does not match the "
                                 f"expected API version ({info.api_version})" if data.get("kind") == info.kind
                                 else f"the kind in the data ({data.get('kind')}) does not match the expected "
                                      f"kind ({info.kind})")
    try:
        return manifest.from_dict(data)
    except manifest.StrictDecodingError as e:
        unknown = unknown_fields(e)
        if validation in ("Strict", "") or len(unknown) != len(e.problems):
            raise errors.bad_request(str(e)) from None
        for path in unknown:
            drop_field(data, path)
        if warnings is not None and validation == "Warn":
            warnings += [f'unknown field "{p}"' for p in unknown]
        return decode(data, info, "Strict")
    except manifest.ManifestError as e:
        raise errors.bad_request(str(e)) from None


def unknown_fields(e: manifest.StrictDecodingError) -> list[str]:
    return [p for p, problem in zip(e.paths, e.problems) if problem.startswith("unknown field")]


def drop_field(data: dict, path: str) -> None:
    """Remove the field at a decoder path such as `spec.template.spec.containers[0].ports[0].x`."""
    steps = [int(s) if s.isdigit() else s for s in re.findall(r"[^.\[\]]+", path)]
    parent = data
    for step in steps[:-1]:
        parent = parent[step]
    parent.pop(steps[-1], None)


def encode_continue(rv: int, after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "start": after}).encode()).decode()


def _decode_continue(token: str) -> str:
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))["start"]
    except (ValueError, KeyError, TypeError):
        raise errors.bad_request("continue key is not valid: invalid continue token") from None


def page(items: list, rev: int, limit: str, cont: str) -> tuple[list, str]:
    """One page of a list sorted by (namespace, name), and the token for the next one ('' at the end).
    A later page reads the list as it is then (kube-apiserver would serve the first page's revision)."""
    if cont:
        start = _decode_continue(cont)
        items = [c for c in items if f"{c.namespace}/{c.name}" > start]
    try:
        n = int(limit) if limit else 0
    except ValueError:
        raise errors.bad_request(f'limit: Invalid value: "{limit}": must be an integer') from None
    if n <= 0 or len(items) <= n:
        return items, ""
    last = items[n - 1]
    return items[:n], encode_continue(rev, f"{last.namespace}/{last.name}")


def list_body(info: KindInfo, items: list[dict], rev: int, cont: str = "") -> dict:
    meta: dict = {"resourceVersion": str(rev)}
    if cont:
        meta["continue"] = cont
    return {"kind": f"{info.kind}List", "apiVersion": info.api_version, "metadata": meta, "items": items}
