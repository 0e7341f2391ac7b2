"""What the API server does to a Service beyond defaults and validation: its ClusterIP fields.

Mirrors k/k `pkg/registry/core/service/storage` (`rest.go`: normalizeClusterIPs, patchAllocatedValues,
dropTypeDependentFields; `alloc.go`: initIPFamilyFields, txnAllocClusterIPs) on a single-stack
cluster. The range is `--service-cluster-ip-range` (`ipallocator.ServiceRange`); which addresses are
held lives in Redis, claimed and released by the same script that writes the Service (`store.py`), so
a Service is stored if and only if its address is held, whatever number of API servers run.

Dynamic allocation is optimistic: pick the first candidate (ipallocator's order) not held in the
snapshot read from Redis, write the Service claiming it, and if another API server claimed it in the
meantime (`IPTaken`), try the next candidate. A static `clusterIP` is claimed as given.
"""
from __future__ import annotations

import random
from typing import Awaitable, Callable

from kubelab.api import registry
from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import FieldError, Path, invalid
from services.apiserver import errors
from services.apiserver.ipallocator import ERR_ALLOCATED, ERR_FULL, ErrNotInRange, ServiceRange
from services.apiserver.store import IPTaken, Store

__all__ = ["ServiceIPs", "held_ips", "needs_cluster_ip", "prepare_update"]

NONE = "None"
Write = Callable[[list[str]], Awaitable[int]]


def needs_cluster_ip(svc: core_pb2.Service) -> bool:
    return svc.spec.type != "ExternalName"


def held_ips(svc: core_pb2.Service) -> list[str]:
    """The addresses a stored Service holds in the range (headless and ExternalName hold none)."""
    if not needs_cluster_ip(svc):
        return []
    return [ip for ip in svc.spec.cluster_ips if ip and ip != NONE]


def _is_headless(svc: core_pb2.Service) -> bool:
    return list(svc.spec.cluster_ips) == [NONE]


def _clear_ip_fields(spec: core_pb2.ServiceSpec) -> None:
    spec.cluster_ip = ""
    del spec.cluster_ips[:]
    del spec.ip_families[:]
    spec.ClearField("ip_family_policy")


def prepare_update(new: core_pb2.Service, old: core_pb2.Service) -> None:
    """normalizeClusterIPs + patchAllocatedValues + dropTypeDependentFields for an update: a client that
    left the allocated fields out keeps them; a change to ExternalName drops them."""
    ns, os_ = new.spec, old.spec
    if os_.cluster_ips and not ns.cluster_ips and os_.cluster_ip == ns.cluster_ip:
        ns.cluster_ips.extend(os_.cluster_ips)  # an old client patching something else
    if needs_cluster_ip(old) and needs_cluster_ip(new):
        if not ns.cluster_ip:
            ns.cluster_ip = os_.cluster_ip
        if not ns.cluster_ips:
            ns.cluster_ips.extend(os_.cluster_ips)
        if not ns.ip_families:
            ns.ip_families.extend(os_.ip_families)
        if not ns.HasField("ip_family_policy") and os_.HasField("ip_family_policy"):
            ns.ip_family_policy = os_.ip_family_policy
    elif needs_cluster_ip(old) and list(ns.cluster_ips) == list(os_.cluster_ips):
        _clear_ip_fields(ns)  # now ExternalName: what the registry set goes, what the user changed stays
    for port in ns.ports if new.spec.type not in ("NodePort", "LoadBalancer") else ():
        if any(p.node_port == port.node_port for p in os_.ports):
            port.node_port = 0


class ServiceIPs:
    """ClusterIP allocation over one service range, held in Redis."""

    def __init__(self, store: Store, service_range: ServiceRange, rng: random.Random | None = None):
        self.store = store
        self.range = service_range
        self.rng = rng or random.Random()

    def init_ip_families(self, svc: core_pb2.Service) -> list[FieldError]:
        """initIPFamilyFields on a single-stack cluster: [<family of the range>] and SingleStack unless given
        (RequireDualStack for a headless Service without selector, as upstream)."""
        spec, family = svc.spec, self.range.family
        if not needs_cluster_ip(svc):
            return []
        headless_no_selector = _is_headless(svc) and not spec.selector
        if not spec.HasField("ip_family_policy"):
            spec.ip_family_policy = "RequireDualStack" if headless_no_selector else "SingleStack"
        errs: list[FieldError] = []
        if spec.ip_family_policy == "RequireDualStack" and not headless_no_selector:
            errs.append(invalid(Path("spec", "ipFamilyPolicy"), spec.ip_family_policy,
                                "this cluster is not configured for dual-stack services"))
        for i, fam in enumerate(spec.ip_families):
            if fam in ("IPv4", "IPv6") and fam != family:
                errs.append(invalid(Path("spec", "ipFamilies").index(i), fam, "not configured on this cluster"))
        if not spec.ip_families:
            spec.ip_families.append(family)
        return errs

    async def create(self, svc: core_pb2.Service, write: Write, dry_run: bool = False) -> int:
        """Give svc its ClusterIP and store it through `write(claims)`; returns what write returned."""
        if not needs_cluster_ip(svc) or _is_headless(svc):
            return await write([])
        if svc.spec.cluster_ip:
            return await self._write_static(svc, list(svc.spec.cluster_ips), write)
        return await self._write_dynamic(svc, write, dry_run)

    async def update(self, new: core_pb2.Service, old: core_pb2.Service,
                     write: Callable[[list[str], list[str]], Awaitable[int]]) -> int:
        """Store an update through `write(claims, releases)`: allocate when a Service leaves ExternalName,
        release when it becomes one (validation already forbids changing an address in place)."""
        if needs_cluster_ip(new) and not needs_cluster_ip(old):
            return await self.create(new, lambda claims: write(claims, []))
        return await write([], [ip for ip in held_ips(old) if ip not in held_ips(new)])

    async def _write_static(self, svc: core_pb2.Service, ips: list[str], write: Write) -> int:
        for ip in ips:
            try:
                self.range.index_of(ip)
            except ErrNotInRange as e:
                raise self._failed(svc, ip, str(e)) from None
        try:
            return await write(ips)
        except IPTaken as e:
            raise self._failed(svc, e.ip, ERR_ALLOCATED) from None

    async def _write_dynamic(self, svc: core_pb2.Service, write: Write, dry_run: bool) -> int:
        taken = await self.store.service_ips()
        for ip in self.range.candidates(self.rng):
            if ip in taken:
                continue
            svc.spec.cluster_ip = ip
            del svc.spec.cluster_ips[:]
            svc.spec.cluster_ips.append(ip)
            if dry_run:
                return 0
            try:
                return await write([ip])
            except IPTaken:
                taken.add(ip)  # another API server got it first; the next candidate
        raise errors.internal(f"failed to allocate a serviceIP: {ERR_FULL}")

    def _failed(self, svc: core_pb2.Service, ip: str, reason: str) -> errors.ApiError:
        err = invalid(Path("spec", "clusterIPs"), list(svc.spec.cluster_ips), f"failed to allocate IP {ip}: {reason}")
        return errors.invalid(registry.by_kind("Service"), svc.metadata.name, [err])
