"""ClusterIP and NodePort allocation for Services, held in Redis.

Mirrors k/k `pkg/registry/core/service/storage/alloc.go` (initIPFamilyFields, txnAllocClusterIPs,
initNodePorts) on a single-stack cluster. The ranges are `--service-cluster-ip-range` and
`--service-node-port-range` (`ipallocator.py`). What is held is claimed and released by the same
Redis script that writes the Service (`store.py`): a Service is stored if and only if its values are
held, whatever number of API servers run.

Values a client chose are claimed as given. Values the API server picks are picked optimistically:
the next candidate of ipallocator's scan order that Redis shows free (looked up a batch at a time); if
another API server claims it first, the write is refused (`Taken`) and the next free candidate is tried.
"""
from __future__ import annotations

import collections
import itertools
import random
from typing import Awaitable, Callable, Iterator

from kubelab.api import registry
from kubelab.api.v1 import core_pb2
from kubelab.fielderrors import FieldError, Path, invalid
from services.apiserver import errors
from services.apiserver.ipallocator import (
    ERR_ALLOCATED, ERR_FULL, ERR_PORT_ALLOCATED, ErrNotInRange, PortRange, ServiceRange,
)
from services.apiserver.serviceregistry import NODE_PORT, held, is_headless, needs_cluster_ip, needs_node_ports
from services.apiserver.store import Store, Taken

__all__ = ["ServiceAllocator"]

Write = Callable[[list[str], list[str]], Awaitable[int]]
BATCH = 64  # candidates looked up in Redis at once


class _Free:
    """Free values in scan order: each batch of candidates checked against Redis with one HMGET."""

    def __init__(self, store: Store, candidates: Iterator[str], skip: set[str], what: str):
        self.store, self.candidates, self.skip, self.what = store, candidates, skip, what
        self.buffer: collections.deque[str] = collections.deque()

    async def next(self) -> str:
        while True:
            while self.buffer:
                item = self.buffer.popleft()
                if item not in self.skip:
                    return item
            batch = list(itertools.islice(self.candidates, BATCH))
            if not batch:
                raise errors.internal(f"failed to allocate a {self.what}: {ERR_FULL}")
            held_now = await self.store.held_among(batch)
            self.buffer.extend(item for item in batch if item not in held_now)


class _Picks:
    """The values the API server chooses for one write, and their replacements when one was taken."""

    def __init__(self, svc: core_pb2.Service, ips: _Free, ports: _Free):
        self.svc, self.ips, self.ports = svc, ips, ports
        self.ip = False
        self.port_numbers: dict[int, list[int]] = {}  # service port number -> indexes sharing one NodePort

    async def pick_ip(self) -> None:
        ip = await self.ips.next()
        spec = self.svc.spec
        spec.cluster_ip = ip
        del spec.cluster_ips[:]
        spec.cluster_ips.append(ip)
        self.ip = True

    async def pick_node_ports(self, indexes: list[int]) -> None:
        """initNodePorts: one NodePort per service port number (TCP and UDP of one port share it)."""
        for i in indexes:
            self.port_numbers.setdefault(self.svc.spec.ports[i].port, []).append(i)
        for number in self.port_numbers:
            await self._pick_port(number)

    async def _pick_port(self, number: int) -> None:
        port = int((await self.ports.next()).removeprefix(NODE_PORT))
        for i in self.port_numbers[number]:
            self.svc.spec.ports[i].node_port = port

    async def repick(self, item: str) -> bool:
        """Replace the picked value another API server claimed first; False if it was not a pick."""
        self.ips.skip.add(item)
        self.ports.skip.add(item)
        if self.ip and item == self.svc.spec.cluster_ip:
            await self.pick_ip()
            return True
        for number, indexes in self.port_numbers.items():
            if f"{NODE_PORT}{self.svc.spec.ports[indexes[0]].node_port}" == item:
                await self._pick_port(number)
                return True
        return False


class ServiceAllocator:
    """ClusterIPs and NodePorts of Services."""

    def __init__(self, store: Store, service_range: ServiceRange, node_ports: PortRange | None = None,
                 rng: random.Random | None = None):
        self.store = store
        self.range = service_range
        self.node_ports = node_ports or PortRange()
        self.rng = rng or random.Random()

    def init_ip_families(self, svc: core_pb2.Service) -> list[FieldError]:
        """initIPFamilyFields on a single-stack cluster: [<family of the range>] and SingleStack unless given
        (RequireDualStack for a headless Service without selector, as upstream)."""
        spec, family = svc.spec, self.range.family
        if not needs_cluster_ip(svc):
            return []
        headless_no_selector = is_headless(svc) and not spec.selector
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

    async def write(self, new: core_pb2.Service, old: core_pb2.Service | None, write: Write,
                    dry_run: bool = False) -> int:
        """Give `new` the ClusterIP and NodePorts it lacks, check the ones its client chose, and store it through
        `write(claims, releases)`: claims are the values it holds and `old` did not, releases the reverse."""
        before = set(held(old))
        chosen = [item for item in held(new) if item not in before]
        self._check_ranges(new, chosen)
        picks = _Picks(new, _Free(self.store, self.range.candidates(self.rng), set(chosen), "serviceIP"),
                       _Free(self.store, (f"{NODE_PORT}{p}" for p in self.node_ports.candidates(self.rng)),
                             set(chosen), "nodePort"))
        if needs_cluster_ip(new) and not new.spec.cluster_ip:
            await picks.pick_ip()
        if needs_node_ports(new):
            await picks.pick_node_ports([i for i, p in enumerate(new.spec.ports) if not p.node_port])
        while True:
            now = held(new)
            if dry_run:
                return 0
            try:
                return await write([i for i in now if i not in before], [i for i in before if i not in now])
            except Taken as e:
                if e.item in chosen or not await picks.repick(e.item):
                    raise self._failed(new, e.item, ERR_PORT_ALLOCATED if e.item.startswith(NODE_PORT)
                                       else ERR_ALLOCATED) from None

    def _check_ranges(self, svc: core_pb2.Service, chosen: list[str]) -> None:
        for item in chosen:
            try:
                if item.startswith(NODE_PORT):
                    self.node_ports.check(int(item.removeprefix(NODE_PORT)))
                else:
                    self.range.index_of(item)
            except ErrNotInRange as e:
                raise self._failed(svc, item, str(e)) from None

    def _failed(self, svc: core_pb2.Service, item: str, reason: str) -> errors.ApiError:
        """The create or update is invalid: `spec.clusterIPs` or `spec.ports[i].nodePort` as upstream words it."""
        if item.startswith(NODE_PORT):
            port = int(item.removeprefix(NODE_PORT))
            i = next(i for i, p in enumerate(svc.spec.ports) if p.node_port == port)
            err = invalid(Path("spec", "ports").index(i).child("nodePort"), port, reason)
        else:
            err = invalid(Path("spec", "clusterIPs"), list(svc.spec.cluster_ips),
                          f"failed to allocate IP {item}: {reason}")
        return errors.invalid(registry.by_kind("Service"), svc.metadata.name, [err])
