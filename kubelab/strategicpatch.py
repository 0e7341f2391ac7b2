"""Strategic merge patch on plain JSON values, for the list fields students patch.

Mirrors apimachinery's pkg/util/strategicpatch (patch.go) for the `patchStrategy:"merge"` lists of
k8s.io/api that the table below names, with their `patchMergeKey`: items of such a list are matched
by that key and merged (a patch item with `$patch: delete` removes its match); every other list is
replaced whole, as in a JSON merge patch; `null` removes a field. A few lists of primitives are
merged as sets (finalizers), as their `patchStrategy:"merge"` says.

Tolerations, args, command and the like have no patch strategy in Kubernetes: they are replaced.
"""

from __future__ import annotations

from typing import Any

__all__ = ["apply", "merge_patch", "MERGE_KEYS", "PRIMITIVE_MERGE", "PatchError"]

#: field name -> the merge keys its list items are matched by (the first one the items carry).
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "ports": ("containerPort", "port"),  # a container's ports; a Service's are keyed by port
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "hostAliases": ("ip",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "topologySpreadConstraints": ("topologyKey",),
    "resourceClaims": ("name",),
}

#: Lists of primitives with patchStrategy merge: the union, in order.
PRIMITIVE_MERGE = ("finalizers",)

DIRECTIVE = "$patch"


class PatchError(ValueError):
    pass


def _key(field: str, items: list[dict]) -> str | None:
    for key in MERGE_KEYS.get(field, ()):
        if items and all(isinstance(i, dict) and key in i for i in items):
            return key
    return None


def _merge_list(field: str, current: list, patch: list) -> list:
    if field in PRIMITIVE_MERGE:
        return current + [v for v in patch if v not in current]
    key = _key(field, [i for i in patch if isinstance(i, dict)]) if all(isinstance(i, dict) for i in patch) else None
    if key is None or not all(isinstance(i, dict) and key in i for i in current):
        return [_strip(i) for i in patch]
    out = list(current)
    for item in patch:
        at = next((n for n, c in enumerate(out) if c.get(key) == item[key]), None)
        if item.get(DIRECTIVE) == "delete":
            if at is not None:
                out.pop(at)
        elif item.get(DIRECTIVE) not in (None, "merge"):
            raise PatchError(f"Unknown patch type: {item[DIRECTIVE]} in map: {item}")
        elif at is None:
            out.append(_strip(item))
        else:
            out[at] = _merge_map(out[at], item)
    return out


def _strip(value: Any) -> Any:
    """A patch value added as it is, without directives or nulls."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != DIRECTIVE and v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _merge_map(current: dict, patch: dict) -> dict:
    directive = patch.get(DIRECTIVE)
    if directive == "replace":
        return _strip(patch)
    if directive not in (None, "merge", "delete"):
        raise PatchError(f"Unknown patch type: {directive} in map: {patch}")
    out = dict(current)
    for field, value in patch.items():
        if field == DIRECTIVE:
            continue
        if value is None:
            out.pop(field, None)
        elif isinstance(value, dict) and isinstance(out.get(field), dict):
            out[field] = _merge_map(out[field], value)
        elif isinstance(value, list) and isinstance(out.get(field), list):
            out[field] = _merge_list(field, out[field], value)
        else:
            out[field] = _strip(value)
    return out


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (`--type merge`): maps merge, null removes, everything else replaces.
    (services/apiserver/resources.py has the same function for its Patch RPC; it can import this one.)"""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def apply(current: dict, patch: Any) -> dict:
    """The object with a strategic merge patch applied."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    return _merge_map(current, patch)
