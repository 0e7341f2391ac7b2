"""Resource names and quantities: container requests and limits, capacities (k/k core validation + helper)."""
from __future__ import annotations

from kubelab.fielderrors import Path, forbidden, invalid, required
from kubelab.validation_names import is_qualified_name

from .common import IS_NEGATIVE, Errors, canonical, quantity, quantity_errors

__all__ = [
    "validate_resource_requirements", "validate_resource_quantity", "validate_positive_quantity",
    "is_overcommit_allowed",
]

_STANDARD_CONTAINER = {"cpu", "memory", "ephemeral-storage"}
_STANDARD = _STANDARD_CONTAINER | {
    "requests.cpu", "requests.memory", "requests.ephemeral-storage", "requests.storage",
    "limits.cpu", "limits.memory", "limits.ephemeral-storage", "storage", "pods", "services",
    "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
    "services.nodeports", "services.loadbalancers",
}
_INTEGER = {"pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
            "persistentvolumeclaims", "services.nodeports", "services.loadbalancers"}


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_extended(name: str) -> bool:
    return (not _is_native(name) and not name.startswith("requests.")
            and not is_qualified_name("requests." + name))


def is_overcommit_allowed(name: str) -> bool:
    """Requests may be below limits only for native, non-hugepage resources."""
    return _is_native(name) and not _is_hugepages(name)


def _container_resource_name(name: str, path: Path) -> Errors:
    errs = [invalid(path, name, m) for m in is_qualified_name(name)]
    if errs:
        return errs
    if "/" not in name:
        if name not in _STANDARD and not _is_hugepages(name):
            errs.append(invalid(path, name, "must be a standard resource type or fully qualified"))
        if name not in _STANDARD_CONTAINER and not _is_hugepages(name):
            errs.append(invalid(path, name, "must be a standard resource for containers"))
    elif not _is_native(name) and not _is_extended(name):
        errs.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return errs


def validate_resource_quantity(name: str, text: str, path: Path) -> Errors:
    """ValidateResourceQuantityValue: not negative; whole numbers for countable resources."""
    bad = quantity_errors(text, path)
    if bad:
        return bad
    q = quantity(text)
    errs: Errors = []
    if q < 0:
        errs.append(invalid(path, canonical(text), IS_NEGATIVE))
    if (name in _INTEGER or _is_extended(name)) and q != int(q):
        errs.append(invalid(path, canonical(text), "must be an integer"))
    return errs


def validate_positive_quantity(text: str, path: Path) -> Errors:
    """ValidatePositiveQuantityValue."""
    bad = quantity_errors(text, path)
    if bad:
        return bad
    return [invalid(path, canonical(text), "must be greater than zero")] if quantity(text) <= 0 else []


def validate_resource_requirements(res, path: Path) -> Errors:
    """validateResourceRequirements for a container: names, quantities, and requests <= limits."""
    lim_path, req_path = path.child("limits"), path.child("requests")
    errs: Errors = []
    for name, text in res.limits.items():
        p = lim_path.key(name)
        errs += _container_resource_name(name, p) + validate_resource_quantity(name, text, p)
    for name, text in res.requests.items():
        p = req_path.key(name)
        errs += _container_resource_name(name, p) + validate_resource_quantity(name, text, p)
        req = quantity(text)
        if name in res.limits:
            lim = quantity(res.limits[name])
            if req is None or lim is None:
                continue
            if req != lim and not is_overcommit_allowed(name):
                errs.append(invalid(req_path, canonical(text),
                                    f"must be equal to {name} limit of {canonical(res.limits[name])}"))
            elif req > lim:
                errs.append(invalid(req_path, canonical(text),
                                    f"must be less than or equal to {name} limit of {canonical(res.limits[name])}"))
        elif not is_overcommit_allowed(name):
            errs.append(required(lim_path, "Limit must be set for non overcommitable resources"))
    names = set(res.limits) | set(res.requests)
    if any(_is_hugepages(n) for n in names) and not names & {"cpu", "memory"}:
        errs.append(forbidden(path, "HugePages require cpu or memory"))
    return errs
