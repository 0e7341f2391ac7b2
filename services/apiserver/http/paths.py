"""Request paths to what they name (apiserver pkg/endpoints/request/requestinfo.go).

    /api/v1/pods                                 every namespace's pods
    /api/v1/namespaces/ns/pods[/name[/sub]]      namespaced
    /api/v1/nodes[/name[/sub]]                   cluster-scoped
    /apis/apps/v1/namespaces/ns/deployments/...  the same under a group
"""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.api.registry import KINDS, KindInfo

__all__ = ["Target", "parse"]

_BY_PLURAL = {(k.group, k.version, k.plural): k for k in KINDS}
_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class Target:
    info: KindInfo
    namespace: str = ""
    name: str = ""
    subresource: str = ""


def parse(group: str, version: str, tail: str) -> Target | None:
    """The target of /<prefix>/<tail>; None when nothing the server serves matches."""
    parts = [p for p in tail.split("/") if p]
    namespace = ""
    if len(parts) >= 3 and parts[0] == "namespaces" and parts[2] not in _NAMESPACE_SUBRESOURCES:
        namespace, parts = parts[1], parts[2:]
    if not parts or len(parts) > 3:
        return None
    info = _BY_PLURAL.get((group, version, parts[0]))
    if info is None or (namespace and not info.namespaced):
        return None
    name = parts[1] if len(parts) > 1 else ""
    sub = parts[2] if len(parts) > 2 else ""
    return Target(info, namespace, name, sub)
