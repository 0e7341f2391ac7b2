"""Strategic merge patch (apimachinery pkg/util/strategicpatch/patch.go), applied to JSON objects.

Maps merge recursively and a null deletes a key. A list is replaced whole unless the patch-key table
below names it: then a list of objects merges element by element on its merge key, and a list of
primitives is a union. The directives: ``$patch`` (replace/delete/merge, on a map or as a list element),
``$setElementOrder/<list>``, ``$deleteFromPrimitiveList/<list>`` and ``$retainKeys``.

Which type a field holds comes from the proto messages (their names are the Go types'); the tags are
k8s.io/api v0.32's ``patchStrategy``/``patchMergeKey`` struct tags.
"""
from __future__ import annotations

import copy
from typing import Any

from google.protobuf.descriptor import Descriptor

__all__ = ["PATCH_KEYS", "StrategicPatchError", "apply_to", "merge_patch"]

# (Go type, JSON field) -> (patchStrategy, patchMergeKey); "" merge key: a list of primitives.
PATCH_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("ObjectMeta", "ownerReferences"): ("merge", "uid"),
    ("ObjectMeta", "finalizers"): ("merge", ""),
    ("PodSpec", "containers"): ("merge", "name"),
    ("PodSpec", "initContainers"): ("merge", "name"),
    ("PodSpec", "ephemeralContainers"): ("merge", "name"),
    ("PodSpec", "volumes"): ("merge,retainKeys", "name"),
    ("PodSpec", "imagePullSecrets"): ("merge", "name"),
    ("PodSpec", "hostAliases"): ("merge", "ip"),
    ("PodSpec", "topologySpreadConstraints"): ("merge", "topologyKey"),
    ("PodSpec", "schedulingGates"): ("merge", "name"),
    ("PodSpec", "resourceClaims"): ("merge,retainKeys", "name"),
    ("Container", "ports"): ("merge", "containerPort"),
    ("Container", "env"): ("merge", "name"),
    ("Container", "volumeMounts"): ("merge", "mountPath"),
    ("Container", "volumeDevices"): ("merge", "devicePath"),
    ("EphemeralContainer", "ports"): ("merge", "containerPort"),
    ("EphemeralContainer", "env"): ("merge", "name"),
    ("EphemeralContainer", "volumeMounts"): ("merge", "mountPath"),
    ("PodStatus", "conditions"): ("merge", "type"),
    ("PodStatus", "podIPs"): ("merge", "ip"),
    ("PodStatus", "hostIPs"): ("merge", "ip"),
    ("PodStatus", "resourceClaimStatuses"): ("merge,retainKeys", "name"),
    ("ContainerStatus", "volumeMounts"): ("merge", "mountPath"),
    ("ContainerStatus", "allocatedResourcesStatus"): ("merge", "name"),
    ("ServiceSpec", "ports"): ("merge", "port"),
    ("ServiceStatus", "conditions"): ("merge", "type"),
    ("NodeSpec", "podCIDRs"): ("merge", ""),
    ("NodeStatus", "conditions"): ("merge", "type"),
    ("NodeStatus", "addresses"): ("merge", "type"),
    ("NamespaceStatus", "conditions"): ("merge", "type"),
    ("PersistentVolumeClaimStatus", "conditions"): ("merge", "type"),
    ("DeploymentSpec", "strategy"): ("retainKeys", ""),
    ("DeploymentStatus", "conditions"): ("merge", "type"),
    ("ReplicaSetStatus", "conditions"): ("merge", "type"),
    ("StatefulSetStatus", "conditions"): ("merge", "type"),
    ("DaemonSetStatus", "conditions"): ("merge", "type"),
    ("CSINodeSpec", "drivers"): ("merge", "name"),
}

_PATCH, _ORDER, _DELETE_PRIMITIVE, _RETAIN = "$patch", "$setElementOrder/", "$deleteFromPrimitiveList/", "$retainKeys"


class StrategicPatchError(ValueError):
    """A patch that cannot be applied (an unknown directive, a list element without its merge key)."""


def apply_to(original: dict, patch: dict, descriptor: Descriptor | None) -> dict:
    """The patched copy of original; descriptor is the object's message type (None: no tagged lists)."""
    if not isinstance(patch, dict):
        raise StrategicPatchError("a strategic merge patch must be a JSON object")
    return _merge_map(copy.deepcopy(original) if isinstance(original, dict) else {}, patch, descriptor)


def _field(descriptor: Descriptor | None, name: str):
    if descriptor is None:
        return None
    for f in descriptor.fields:
        if f.json_name == name:
            return f
    return None


def _child(descriptor: Descriptor | None, name: str) -> Descriptor | None:
    f = _field(descriptor, name)
    if f is None or f.message_type is None or f.message_type.GetOptions().map_entry:
        return None
    return f.message_type


def _tag(descriptor: Descriptor | None, name: str) -> tuple[str, str]:
    return PATCH_KEYS.get((descriptor.name if descriptor else "", name), ("", ""))


def _merge_map(original: dict, patch: dict, descriptor: Descriptor | None) -> dict:
    directive = patch.get(_PATCH)
    if directive == "replace":
        return {k: v for k, v in patch.items() if k != _PATCH}
    if directive == "delete":
        return {}
    if directive not in (None, "merge"):
        raise StrategicPatchError(f"Unknown patch type: {directive!r}")
    if _RETAIN in patch:
        keep = set(patch[_RETAIN] or []) | {k for k in patch if not k.startswith("$")}
        original = {k: v for k, v in original.items() if k in keep}
    orders = {k[len(_ORDER):]: v for k, v in patch.items() if k.startswith(_ORDER)}
    for key, value in patch.items():
        if key.startswith("$"):
            if key.startswith(_DELETE_PRIMITIVE):
                name = key[len(_DELETE_PRIMITIVE):]
                original[name] = [v for v in original.get(name) or [] if v not in value]
            continue
        if value is None or (isinstance(value, dict) and value.get(_PATCH) == "delete"):
            original.pop(key, None)
        elif isinstance(value, dict):
            base = original.get(key)
            original[key] = _merge_map(base if isinstance(base, dict) else {}, value, _child(descriptor, key))
        elif isinstance(value, list):
            original[key] = _merge_list(original.get(key), value, descriptor, key)
        else:
            original[key] = value
    for name, order in orders.items():
        if isinstance(original.get(name), list):
            original[name] = _ordered(original[name], order, _tag(descriptor, name)[1])
    return original


def _merge_list(original: Any, patch: list, descriptor: Descriptor | None, name: str) -> list:
    strategy, key = _tag(descriptor, name)
    original = original if isinstance(original, list) else []
    if any(isinstance(v, dict) and v.get(_PATCH) == "replace" for v in patch):
        return [v for v in patch if not (isinstance(v, dict) and _PATCH in v)]
    if "merge" not in strategy.split(","):
        return patch  # atomic: the patch's list is the list
    if not key:
        return original + [v for v in patch if v not in original]
    elem = _child(descriptor, name)
    out = list(original)
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise StrategicPatchError(f"map: {item} does not contain declared merge key: {key}")
        at = next((i for i, o in enumerate(out) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if item.get(_PATCH) == "delete":
            if at is not None:
                del out[at]
        elif at is None:
            out.append(_merge_map({}, item, elem))
        else:
            out[at] = _merge_map(out[at], item, elem)
    return out


def _ordered(items: list, order: list, key: str) -> list:
    """$setElementOrder: the listed elements in that order, the rest after them as they were."""
    def ident(v):
        return v.get(key) if key and isinstance(v, dict) else v
    wanted = [ident(v) for v in order]
    rank = {w: i for i, w in enumerate(wanted) if isinstance(w, (str, int, float, bool))}
    listed = sorted((v for v in items if ident(v) in rank), key=lambda v: rank[ident(v)])
    return listed + [v for v in items if ident(v) not in rank]


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch (`--type merge`, application/merge-patch+json): maps merge, a null
    deletes, anything else (lists too) replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
