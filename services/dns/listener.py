"""Where the DNS server listens, and keeping it there.

By default it serves on the `kube-dns` Service's ClusterIP, port 53, as CoreDNS does behind that Service:
it reads the Service (the API server creates it at bootstrap), puts its ClusterIP on this host
(`kubelab.hostaddr`: a /32 on lo labelled with the cluster id; idempotent, so a restart after a kill
finds it there), binds UDP and TCP 53 on it, and points the Service's Endpoints and EndpointSlice at
it. Pods in their own network namespaces reach it through the host, whose routing delivers the address
locally. On SIGTERM it closes the sockets and removes the address; after a SIGKILL the address stays,
and queries to it are refused until the server is back (`kubelab down` removes it).

`--listen-dns HOST:PORT` serves on a fixed address instead (tests, unprivileged runs): no address is
added, the Service's ClusterIP is not used.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from kubelab import hostaddr
from kubelab.informer import key_of
from services.dns.forward import Upstream
from services.dns.server import DnsServer, Resolver

__all__ = ["Listener", "Address"]

log = logging.getLogger(__name__)

RETRY_MAX = 10.0


@dataclass(frozen=True)
class Address:
    host: str
    port: int
    managed: bool
    """Put on the host by this server (and removed by it)."""


class Listener:
    def __init__(self, resolver: Resolver, services, *, fixed: Address | None, service_key: str,
                 cluster_id: str, stopping: asyncio.Event, on_serving=None):
        self.resolver, self.services, self.fixed = resolver, services, fixed
        self.service_key, self.cluster_id, self.stopping = service_key, cluster_id, stopping
        self.on_serving = on_serving or (lambda address: None)
        self.bound: Address | None = None
        self._changed = asyncio.Event()
        services.add_event_handler(on_add=self._note, on_update=lambda old, new: self._note(new),
                                   on_delete=self._note)

    def _note(self, svc) -> None:
        if key_of(svc) == self.service_key:
            self._changed.set()

    def wanted(self) -> Address | None:
        """The fixed address, else the Service's first IPv4 ClusterIP on port 53; None keeps what is bound
        (the Service is not there yet, or was deleted: the pods' resolv.conf still names the old address)."""
        if self.fixed is not None:
            return self.fixed
        svc = self.services.get(self.service_key)
        ips = [] if svc is None else list(svc.spec.cluster_ips) or [svc.spec.cluster_ip]
        ips = [ip for ip in ips if ip and ip != "None"]
        return Address(ips[0], 53, managed=True) if ips else None

    async def run(self) -> None:
        """Serve until SIGTERM; forwarded queries in flight finish (within the forward timeout) first."""
        async with asyncio.TaskGroup() as tg:
            server = DnsServer(self.resolver, tg)
            try:
                await self._keep_serving(server)
            finally:
                await server.close()
                self._release(self.bound)
                self.bound = None

    async def _keep_serving(self, server: DnsServer) -> None:
        delay, waiting_logged = 0.5, False
        while not self.stopping.is_set():
            self._changed.clear()  # before reading the Service: a change from here on wakes _wait
            want = self.wanted()
            if want is None and self.bound is None and not waiting_logged:
                log.warning("waiting for the Service that says where to serve service=%s", self.service_key)
                waiting_logged = True
            if want is not None and want != self.bound:
                try:
                    await self._move(server, want)
                    delay = 0.5
                except (OSError, hostaddr.HostAddressError) as e:
                    log.error("cannot serve DNS address=%s:%d error=%s retry_in=%.1fs", want.host, want.port, e,
                              delay)
                    await self._wait(delay)
                    delay = min(delay * 2, RETRY_MAX)
                    continue
            await self._wait(None)

    async def _move(self, server: DnsServer, want: Address) -> None:
        old = self.bound
        if old is not None:
            await server.close()
            self.bound = None
            if old.host != want.host:
                self._release(old)
        if want.managed:
            await asyncio.to_thread(hostaddr.add_address, want.host, self.cluster_id)
        try:
            await server.start(want.host, want.port)
        except OSError:
            self._release(want)  # not serving there: do not leave the address behind
            raise
        self.bound = Address(server.host, server.port, want.managed)
        if self.fixed is not None:
            self.fixed = self.bound  # port 0 became a real port
        self.resolver.forwarder.own = {Upstream(server.host, server.port)}
        log.info("serving DNS address=%s:%d udp=true tcp=true host_address=%s", server.host, server.port,
                 f"{hostaddr.label(self.cluster_id)}" if want.managed else "not managed")
        self.on_serving(self.bound)

    def _release(self, addr: Address | None) -> None:
        if addr is None or not addr.managed:
            return
        try:
            if hostaddr.remove_address(addr.host, self.cluster_id):
                log.info("removed host address address=%s", addr.host)
        except hostaddr.HostAddressError as e:
            log.error("cannot remove host address address=%s error=%s", addr.host, e)

    async def _wait(self, timeout: float | None) -> None:
        """Until the Service changes, SIGTERM, or timeout."""
        stop = asyncio.ensure_future(self.stopping.wait())
        change = asyncio.ensure_future(self._changed.wait())
        try:
            await asyncio.wait([stop, change], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            change.cancel()
