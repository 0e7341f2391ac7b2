"""kubectl apply's three-way merge, on plain JSON values.

    original  the manifest applied last time (the last-applied-configuration annotation)
    modified  the manifest applied now
    current   the live object (with server defaults and fields other actors set)

The result keeps what the live object has and the manifest does not mention (defaults, replicas
set by `scale`, annotations of controllers), takes every value the manifest gives, and drops what
the previous manifest had but this one no longer has. Lists of objects with a merge key (`name`,
`containerPort`, `mountPath`, ...) are merged item by item, as strategic merge patch does, so
defaults inside containers do not count as changes; other lists are replaced whole.

Structs the Kubernetes types mark `patchStrategy:"retainKeys"` (a Deployment's strategy, a
StatefulSet's updateStrategy, each volume of a pod spec) keep only the keys the manifest gives them,
as kubectl's `$retainKeys` directive does: switching a live RollingUpdate Deployment to
`strategy: {type: Recreate}` drops its defaulted rollingUpdate block, and a volume that changes its
source loses the old one, even when the last applied manifest never named it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["contains", "merge", "three_way", "patch_of", "merge_patch_between", "identity_changed", "LAST_APPLIED",
           "MERGE_KEYS", "RETAIN_KEYS"]

#: The annotation holding the manifest applied last (corev1.LastAppliedConfigAnnotation).
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

#: The patchMergeKey of Kubernetes' keyed lists, tried in order.
MERGE_KEYS = ("name", "containerPort", "mountPath", "devicePath", "port", "ip", "type", "topologyKey")

_POD_VOLUMES = ("spec", "volumes", "*")
_TEMPLATE_VOLUMES = ("spec", "template", "spec", "volumes", "*")

#: Where each kind has a retainKeys struct (k8s.io/api: DeploymentStrategy, StatefulSetUpdateStrategy,
#: PodSpec.Volumes `merge,retainKeys`); "*" is every item of a keyed list.
RETAIN_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Pod": (_POD_VOLUMES,),
    "ReplicaSet": (_TEMPLATE_VOLUMES,),
    "Deployment": (("spec", "strategy"), _TEMPLATE_VOLUMES),
    "StatefulSet": (("spec", "updateStrategy"), _TEMPLATE_VOLUMES),
}


def _merge_key(*lists: list) -> str | None:
    items = [i for lst in lists for i in lst]
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in MERGE_KEYS:
        values = [i.get(key) for i in items]
        if all(v is not None for v in values) and all(len({repr(i.get(key)) for i in lst}) == len(lst)
                                                      for lst in lists):
            return key
    return None


def contains(current: Any, wanted: Any) -> bool:
    """Whether current already has every value of wanted (extra fields in current are fine)."""
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(k in current and contains(current[k], v) for k, v in wanted.items())
    if isinstance(wanted, list):
        if not isinstance(current, list) or len(current) != len(wanted):
            return False
        key = _merge_key(current, wanted)
        if key is not None:
            by_key = {repr(i[key]): i for i in current}
            return all(repr(w[key]) in by_key and contains(by_key[repr(w[key])], w) for w in wanted)
        return all(contains(c, w) for c, w in zip(current, wanted))
    if isinstance(wanted, bool) or isinstance(current, bool):
        return wanted is current
    return current == wanted


def merge(current: Any, modified: Any) -> Any:
    """current overlaid with modified (modified wins; keyed list items merge with their match)."""
    if isinstance(modified, dict) and isinstance(current, dict):
        out = dict(current)
        for k, v in modified.items():
            out[k] = merge(current[k], v) if k in current else v
        return out
    if isinstance(modified, list) and isinstance(current, list):
        key = _merge_key(current, modified)
        if key is None:
            return modified
        by_key = {repr(i[key]): i for i in current}
        return [merge(by_key[repr(m[key])], m) if repr(m[key]) in by_key else m for m in modified]
    return modified


def _drop_removed(original: Any, modified: Any, merged: Any) -> Any:
    """Remove from merged the fields original had and modified no longer has."""
    if isinstance(original, list) and isinstance(modified, list) and isinstance(merged, list):
        key = _merge_key(original, modified, merged)
        if key is None:
            return merged
        orig, mod = {repr(i[key]): i for i in original}, {repr(i[key]): i for i in modified}
        return [_drop_removed(orig[k], mod[k], i) if (k := repr(i[key])) in orig and k in mod else i
                for i in merged]
    if not (isinstance(original, dict) and isinstance(modified, dict) and isinstance(merged, dict)):
        return merged
    out = dict(merged)
    for k, v in original.items():
        if k not in modified:
            out.pop(k, None)
        elif k in out:
            out[k] = _drop_removed(v, modified[k], out[k])
    return out


def _retain_keys(merged: Any, modified: Any, path: tuple[str, ...]) -> Any:
    """merged with the struct at path keeping only the keys modified gives it a value for."""
    if not path:
        if isinstance(merged, dict) and isinstance(modified, dict):
            return {k: v for k, v in merged.items() if modified.get(k) is not None}
        return merged
    head, rest = path[0], path[1:]
    if head == "*":
        key = _merge_key(merged, modified) if isinstance(merged, list) and isinstance(modified, list) else None
        if key is None:
            return merged
        mod = {repr(i[key]): i for i in modified}
        return [_retain_keys(i, mod[k], rest) if (k := repr(i[key])) in mod else i for i in merged]
    if isinstance(merged, dict) and isinstance(modified, dict) and head in merged and head in modified:
        return {**merged, head: _retain_keys(merged[head], modified[head], rest)}
    return merged


def three_way(original: dict | None, modified: dict, current: dict) -> dict | None:
    """The object to write, or None when the live object already is what the manifest asks for.

    A retainKeys struct's extra live keys alone do not make a write: when the live object has every
    value of the manifest they are the server's defaults for the variant the manifest names (the
    rollingUpdate of a RollingUpdate strategy), which it would only set again. kubectl sends its
    `$retainKeys` patch anyway and says "configured"; apply here says "unchanged".
    """
    removed = _drop_removed(original or {}, modified, current)
    if removed == current and contains(current, modified):
        return None
    merged = _drop_removed(original or {}, modified, merge(current, modified))
    for path in RETAIN_KEYS.get(modified.get("kind"), ()):
        merged = _retain_keys(merged, modified, path)
    return merged


def patch_of(current: Any, modified: Any) -> Any:
    """The part of modified that current does not have yet (what kubectl would send as a patch)."""
    if isinstance(modified, dict) and isinstance(current, dict):
        return {k: patch_of(current.get(k), v) for k, v in modified.items()
                if k not in current or not contains(current[k], v)}
    return modified


def merge_patch_between(original: Any, modified: Any) -> dict:
    """The JSON merge patch (RFC 7386) turning original into modified (jsonmergepatch's CreateMergePatch):
    changed and added keys with their new values, removed keys as null, maps recursed into, any other
    changed value (a list too) whole. Fields the two agree on are left out, so the server keeps what
    others wrote to them meanwhile."""
    patch: dict = {k: None for k in original if k not in modified}
    for k, v in modified.items():
        if k not in original:
            patch[k] = v
        elif isinstance(v, dict) and isinstance(original[k], dict):
            sub = merge_patch_between(original[k], v)
            if sub:
                patch[k] = sub
        elif v != original[k] or type(v) is not type(original[k]):
            patch[k] = v
    return patch


def identity_changed(patch: dict) -> bool:
    """Whether a patch changes apiVersion, kind or metadata.name (mergepatch.RequireKeyUnchanged and
    RequireMetadataKeyUnchanged, the preconditions of kubectl's edit and apply)."""
    meta = patch.get("metadata")
    return "apiVersion" in patch or "kind" in patch or isinstance(meta, dict) and "name" in meta
