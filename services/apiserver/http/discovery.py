"""Discovery documents (apiserver pkg/endpoints/discovery): /version, /api, /apis and the
APIResourceList of each group/version, with kinds, verbs, short names, categories and subresources.

Aggregated discovery (apidiscovery.k8s.io/v2, one document for /api and one for /apis) is served to
clients that ask for it in Accept (kubectl does), and it comes from the same rows as the legacy lists.
"""
from __future__ import annotations

from collections import defaultdict

from kubelab.api.registry import KINDS, KindInfo

__all__ = ["VERSION", "GROUP_VERSIONS", "AGGREGATED", "version", "core_versions", "group_list", "resource_list",
           "kinds_of", "wants_aggregated", "aggregated"]

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

# The minor version decides which kubectl the machine's dispatcher runs (the reference, section 1.1).
VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0", "gitCommit": "kubelab", "gitTreeState": "clean",
           "buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.0", "compiler": "gc",
           "platform": "linux/amd64"}
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
# `kubectl get all` lists the resources in category "all" (as kube-apiserver's registries declare it).
CATEGORY_ALL = {"Pod", "Service", "Deployment", "ReplicaSet", "StatefulSet"}
SCALABLE = {"Deployment", "ReplicaSet", "StatefulSet"}
# Subresources beyond status and scale: name, kind (group, version, Kind) and verbs.
_POD_SUBRESOURCES = (
    ("log", ("", "v1", "Pod"), ["get"]),
    ("exec", ("", "v1", "PodExecOptions"), ["create", "get"]),
    ("eviction", ("policy", "v1", "Eviction"), ["create"]),
    ("binding", ("", "v1", "Binding"), ["create"]),
)


def kinds_of(group: str, version: str) -> list[KindInfo]:
    return [k for k in KINDS if k.group == group and k.version == version]


GROUP_VERSIONS = sorted({(k.group, k.version) for k in KINDS})


def version() -> dict:
    return dict(VERSION)


def core_versions() -> dict:
    return {"kind": "APIVersions", "versions": ["v1"]}


def group_list() -> dict:
    by_group = defaultdict(list)
    for group, ver in GROUP_VERSIONS:
        if group:
            by_group[group].append({"groupVersion": f"{group}/{ver}", "version": ver})
    groups = [{"name": g, "versions": vs, "preferredVersion": vs[0]} for g, vs in by_group.items()]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _subresources(info: KindInfo) -> list[dict]:
    subs = []
    if info.has_status:
        subs.append(_sub(info, "status", (info.group, info.version, info.kind), ["get", "patch", "update"]))
    if info.kind in SCALABLE:
        subs.append(_sub(info, "scale", ("autoscaling", "v1", "Scale"), ["get", "patch", "update"]))
    if info.kind == "Pod":
        subs += [_sub(info, name, gvk, verbs) for name, gvk, verbs in _POD_SUBRESOURCES]
    return subs


def _sub(info: KindInfo, name: str, gvk: tuple[str, str, str], verbs: list[str]) -> dict:
    group, ver, kind = gvk
    doc = {"name": f"{info.plural}/{name}", "singularName": "", "namespaced": info.namespaced, "kind": kind,
           "verbs": verbs}
    if (group, ver) != (info.group, info.version):
        doc["group"], doc["version"] = group, ver
    return doc


def resource(info: KindInfo) -> dict:
    doc = {"name": info.plural, "singularName": info.singular, "namespaced": info.namespaced,
           "kind": info.kind, "verbs": VERBS}
    if info.short_names:
        doc["shortNames"] = list(info.short_names)
    if info.kind in CATEGORY_ALL:
        doc["categories"] = ["all"]
    return doc


def resource_list(group: str, ver: str) -> dict | None:
    """The APIResourceList of one group/version; None for one the server does not have."""
    kinds = kinds_of(group, ver)
    if not kinds:
        return None
    resources = []
    for info in kinds:
        resources += [resource(info), *_subresources(info)]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{ver}" if group else ver,
            "resources": resources}


def wants_aggregated(accept: str) -> bool:
    return "g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" in accept.replace(" ", "")


def _discovered(info: KindInfo) -> dict:
    """One resource of an aggregated document, with its subresources (from the legacy rows)."""
    legacy = resource(info)
    doc = {"resource": info.plural, "responseKind": {"group": info.group, "version": info.version, "kind": info.kind},
           "scope": "Namespaced" if info.namespaced else "Cluster", "singularResource": info.singular,
           "verbs": legacy["verbs"]}
    for key in ("shortNames", "categories"):
        if key in legacy:
            doc[key] = legacy[key]
    subs = [{"subresource": sub["name"].split("/", 1)[1],
             "responseKind": {"group": sub.get("group", info.group), "version": sub.get("version", info.version),
                              "kind": sub["kind"]}, "verbs": sub["verbs"]} for sub in _subresources(info)]
    if subs:
        doc["subresources"] = subs
    return doc


def aggregated(core: bool) -> dict:
    """/api (core: the core group alone) or /apis as an APIGroupDiscoveryList."""
    items = []
    for group in sorted({g for g, _ in GROUP_VERSIONS if bool(g) != core}):
        versions = [{"version": v, "freshness": "Current", "resources": [_discovered(k) for k in kinds_of(group, v)]}
                    for g, v in GROUP_VERSIONS if g == group]
        meta = {"creationTimestamp": None, **({"name": group} if group else {})}
        items.append({"metadata": meta, "versions": versions})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}
