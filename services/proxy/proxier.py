"""The proxier's loop: informers on Services and EndpointSlices, a sync after each change (at most one per
`min_sync_period`) and a full resync every `sync_period`, each sync handing the whole desired state to
the mode's backend. kubernetes/kubernetes pkg/proxy (the BoundedFrequencyRunner / async.Runner that
calls syncProxyRules, and the informer wiring in cmd/kube-proxy/app/server.go).
"""
from __future__ import annotations

import asyncio
import logging
import shutil
import time
from typing import Protocol

from kubelab.informer import SharedInformer
from kubelab.nft import list_table, run as run_nft
from services.proxy.conntrack import delete_stale_udp_flows
from services.proxy.endpoints import categorize, endpoints_map
from services.proxy.nftables import PortState, existing_from_json, render
from services.proxy.serviceports import LABEL_SELECTOR, service_ports

__all__ = ["Backend", "NftablesBackend", "Proxier", "desired_state"]

log = logging.getLogger(__name__)


class Backend(Protocol):
    mode: str

    async def sync(self, states: list[PortState]) -> None: ...

    async def cleanup(self) -> None: ...


class NftablesBackend:
    """Rewrites the cluster's table in one `nft -f` transaction per sync."""

    mode = "nftables"

    def __init__(self, table: str, cluster_cidr: str = "", service_cidr: str = ""):
        self.table, self.cluster_cidr, self.service_cidr = table, cluster_cidr, service_cidr
        self._warned = False

    def _apply(self, states: list[PortState]) -> None:
        existing = existing_from_json(list_table(self.table))
        run_nft(["-f", "-"], stdin=render(self.table, states, existing, self.cluster_cidr, self.service_cidr))
        if shutil.which("conntrack") is None:
            if not self._warned:
                log.warning("conntrack not found: UDP flows to removed endpoints live on until they time out")
                self._warned = True
            return
        deleted = delete_stale_udp_flows(states)
        if deleted:
            log.info("deleted stale UDP conntrack entries count=%d", deleted)

    async def sync(self, states: list[PortState]) -> None:
        await asyncio.to_thread(self._apply, states)

    async def cleanup(self) -> None:
        """Nothing: like kube-proxy, the rules stay in the kernel when the proxy exits (`--cleanup`
        and `kubelab down` remove them)."""


def desired_state(services, slices, node_name: str = "") -> list[PortState]:
    """Every proxied Service port with the endpoints that take its traffic (a pure function)."""
    eps = endpoints_map(slices)
    out = []
    for svc in services:
        for port in service_ports(svc):
            chosen, has_any = categorize(port, eps.get(port.name, []), node_name)
            out.append(PortState(port, tuple(chosen), has_any))
    return out


class Proxier:
    def __init__(self, informers, backend: Backend, *, node_name: str = "", min_sync_period: float = 1.0,
                 sync_period: float = 30.0):
        self.backend, self.node_name = backend, node_name
        self.min_sync_period, self.sync_period = min_sync_period, sync_period
        self.services: SharedInformer = informers.informer("Service", label_selector=LABEL_SELECTOR)
        self.slices: SharedInformer = informers.informer("EndpointSlice", label_selector=LABEL_SELECTOR)
        self._changed = asyncio.Event()
        for inf in (self.services, self.slices):
            inf.add_event_handler(on_add=self._poke, on_update=lambda old, new: self._poke(new),
                                  on_delete=self._poke)
        self.syncs = 0

    def _poke(self, _obj) -> None:
        self._changed.set()

    async def sync_once(self) -> None:
        states = desired_state(self.services.list(), self.slices.list(), self.node_name)
        started = time.monotonic()
        await self.backend.sync(states)
        self.syncs += 1
        log.info("synced mode=%s service_ports=%d with_endpoints=%d seconds=%.3f", self.backend.mode,
                 len(states), sum(1 for s in states if s.endpoints), time.monotonic() - started)

    async def run(self, stopping: asyncio.Event) -> None:
        """Sync until `stopping` is set, then let the backend clean up after itself."""
        try:
            await self._until(stopping, self.services.wait_for_cache_sync())
            await self._until(stopping, self.slices.wait_for_cache_sync())
            last, failures = 0.0, 0
            while not stopping.is_set():
                await asyncio.sleep(max(0.0, last + self.min_sync_period - time.monotonic()))
                self._changed.clear()
                last = time.monotonic()
                try:
                    await self.sync_once()
                    failures = 0
                except Exception as e:  # retried with backoff; one bad sync never stops the proxy
                    failures += 1
                    log.error("sync failed mode=%s failures=%d error=%s", self.backend.mode, failures, e)
                    await self._until(stopping, asyncio.sleep(min(0.5 * 2 ** failures, 30.0)))
                    self._changed.set()
                await self._until(stopping, self._changed.wait(), self.sync_period)
        finally:
            await asyncio.shield(self.backend.cleanup())

    @staticmethod
    async def _until(stopping: asyncio.Event, aw, timeout: float | None = None) -> None:
        """Wait for `aw`, `stopping` or `timeout`, whichever comes first."""
        waits = [asyncio.ensure_future(aw), asyncio.ensure_future(stopping.wait())]
        try:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
