"""The userspace proxier: the fallback where nftables is missing or not permitted.

Mirrors the historical kubernetes/kubernetes pkg/proxy/userspace (removed in 1.26) as the reference's
section 5.3 describes it: one listener per ClusterIP:port:protocol, open only while the port has usable
endpoints, so that a Service without endpoints refuses connections (the kernel answers SYN with RST and
UDP with ICMP port-unreachable, as kube-proxy's REJECT does); a uniform random endpoint per connection or
UDP flow, or the ClientIP affinity entry while it is fresh; TCP relayed with half-close; UDP through a flow
table whose replies leave through the listening socket (source ClusterIP:port).

To bind the ClusterIPs this proxier puts them on `lo` under the cluster's own label (`lo:<id>`), and
removes them on exit: unlike kernel rules, nothing is left forwarding once this process is gone.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import subprocess
import time
import zlib
from dataclasses import dataclass

from services.proxy.endpoints import Endpoint
from services.proxy.nftables import PortState
from services.proxy.serviceports import ServicePort

__all__ = ["UserspaceProxier", "ServiceAddresses"]

log = logging.getLogger(__name__)

DIAL_TIMEOUTS = (0.25, 0.5, 1.0, 2.0)
"""userspace proxier EndpointDialTimeouts: the next endpoint is tried after each failed dial."""
UDP_IDLE = 30.0
"""Seconds an idle UDP flow lives (conntrack-like; the old --udp-timeout of 250ms is too short for DNS)."""
COPY_CHUNK = 64 * 1024


class ServiceAddresses:
    """ClusterIPs on `lo` under a label of this cluster (`lo:<id>`), so that listeners can bind them (not
    every kernel has the dummy link type); the rest of the service range unreachable, so that a connection
    to an address no listener holds fails here instead of leaving the machine by the default route (what
    kube-proxy's "Drop traffic to unallocated ClusterIPs" does)."""

    def __init__(self, label: str, service_cidr: str = ""):
        self.label, self.service_cidr, self.addresses = label, service_cidr, set()
        # one route per cluster, told apart by its metric, so that `--cleanup` finds this cluster's own
        self.route = ["unreachable", service_cidr, "metric", str(zlib.crc32(label.encode()) % 2**31)]

    @staticmethod
    def _ip(*args: str, check: bool = True) -> str:
        done = subprocess.run(["ip", *args], capture_output=True, text=True)
        if check and done.returncode != 0:
            raise OSError(f"ip {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def sync(self, wanted: set[str]) -> None:
        if self.service_cidr:
            self._ip("route", "replace", *self.route)
        for ip in sorted(wanted - self.addresses):
            self._ip("addr", "replace", f"{ip}/32", "dev", "lo", "label", self.label)
        for ip in sorted(self.addresses - wanted):
            self._ip("addr", "del", f"{ip}/32", "dev", "lo", check=False)
        self.addresses = set(wanted)

    def remove(self) -> None:
        """Take every address of this label off `lo` (also those of an earlier, killed run)."""
        for line in self._ip("-o", "-4", "addr", "show", "dev", "lo", "label", self.label, check=False).splitlines():
            fields = line.split()
            if "inet" in fields:
                self._ip("addr", "del", fields[fields.index("inet") + 1], "dev", "lo", check=False)
        if self.service_cidr:
            self._ip("route", "del", *self.route, check=False)
        self.addresses = set()


@dataclass
class _Affinity:
    endpoint: Endpoint
    last_used: float


class _Port:
    """One ClusterIP:port:protocol: its endpoints, affinity table and (while it has endpoints) listener."""

    def __init__(self, port: ServicePort):
        self.port = port
        self.endpoints: tuple[Endpoint, ...] = ()
        self.affinity: dict[str, _Affinity] = {}
        self.server: asyncio.AbstractServer | asyncio.DatagramTransport | None = None
        self.flows: dict[tuple, _UdpFlow] = {}

    def choose(self, client_ip: str, exclude: set[Endpoint] = frozenset()) -> Endpoint | None:
        candidates = [e for e in self.endpoints if e not in exclude]
        if not candidates:
            return None
        now = time.monotonic()
        if self.port.affinity_timeout:
            entry = self.affinity.get(client_ip)
            if entry and entry.endpoint in candidates and now - entry.last_used < self.port.affinity_timeout:
                entry.last_used = now
                return entry.endpoint
        ep = random.choice(candidates)
        if self.port.affinity_timeout:
            self.affinity[client_ip] = _Affinity(ep, now)
        return ep


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then pass the half-close on."""
    try:
        while data := await reader.read(COPY_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.transport.abort()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), as a connection to a vanished backend looks through iptables."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.transport.abort()


class _UdpFlow(asyncio.DatagramProtocol):
    """One client's flow: a connected socket to its endpoint; replies go back through the listener."""

    def __init__(self, listener: asyncio.DatagramTransport, client: tuple, endpoint: Endpoint):
        self.listener, self.client, self.endpoint = listener, client, endpoint
        self.transport: asyncio.DatagramTransport | None = None
        self.last_used = time.monotonic()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        self.last_used = time.monotonic()
        if not self.listener.is_closing():
            self.listener.sendto(data, self.client)

    def error_received(self, exc: Exception) -> None:
        log.debug("udp flow error client=%s endpoint=%s error=%s", self.client, self.endpoint, exc)


class _UdpListener(asyncio.DatagramProtocol):
    def __init__(self, proxier: UserspaceProxier, state: _Port):
        self.proxier, self.state = proxier, state
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        flow = self.state.flows.get(addr)
        if flow is not None and flow.transport is not None:
            flow.last_used = time.monotonic()
            flow.transport.sendto(data)
            return
        self.proxier.spawn(self._open_flow(data, addr))

    async def _open_flow(self, data: bytes, addr) -> None:
        ep = self.state.choose(addr[0])
        if ep is None or self.transport is None:
            return
        loop = asyncio.get_running_loop()
        flow = _UdpFlow(self.transport, addr, ep)
        self.state.flows[addr] = flow
        try:
            await loop.create_datagram_endpoint(lambda: flow, remote_addr=(ep.ip, ep.port))
        except OSError as e:
            self.state.flows.pop(addr, None)
            log.warning("udp dial failed service=%s endpoint=%s error=%s", self.state.port.name, ep, e)
            return
        flow.transport.sendto(data)


class UserspaceProxier:
    """Listeners that follow the desired ports; `sync(ports)` converges them."""

    mode = "userspace"

    def __init__(self, label: str, service_cidr: str = ""):
        self.addresses = ServiceAddresses(label, service_cidr)
        self.ports: dict[tuple[str, int, str], _Port] = {}
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def sync(self, states: list[PortState]) -> None:
        wanted = {(s.port.cluster_ip, s.port.port, s.port.protocol): s for s in states}
        self.addresses.sync({s.port.cluster_ip for s in states})
        for key in [k for k in self.ports if k not in wanted]:
            await self._close(self.ports.pop(key))
        for key, st in wanted.items():
            state = self.ports.get(key)
            if state is None or state.port != st.port:
                if state is not None:
                    await self._close(state)
                state = self.ports[key] = _Port(st.port)
            state.endpoints = st.endpoints
            self._expire(state)
            if st.endpoints and state.server is None:
                await self._listen(state)
            elif not st.endpoints and state.server is not None:
                await self._close(state)

    def _expire(self, state: _Port) -> None:
        """Forget affinity and UDP flows to endpoints that are gone (kube-proxy clears their conntrack)."""
        now = time.monotonic()
        for client, entry in list(state.affinity.items()):
            if entry.endpoint not in state.endpoints or now - entry.last_used >= state.port.affinity_timeout:
                del state.affinity[client]
        for addr, flow in list(state.flows.items()):
            if flow.endpoint not in state.endpoints or now - flow.last_used > UDP_IDLE:
                if flow.transport is not None:
                    flow.transport.close()
                del state.flows[addr]

    async def _listen(self, state: _Port) -> None:
        p = state.port
        try:
            if p.protocol == "TCP":
                state.server = await asyncio.start_server(
                    lambda r, w: self._serve_tcp(state, r, w), p.cluster_ip, p.port, reuse_address=True)
            else:
                loop = asyncio.get_running_loop()
                state.server, _ = await loop.create_datagram_endpoint(
                    lambda: _UdpListener(self, state), local_addr=(p.cluster_ip, p.port), reuse_port=False)
        except OSError as e:
            log.error("cannot listen service=%s address=%s:%d protocol=%s error=%s", p.name, p.cluster_ip,
                      p.port, p.protocol, e)
            state.server = None
            return
        log.info("listening service=%s address=%s:%d protocol=%s", p.name, p.cluster_ip, p.port, p.protocol)

    async def _close(self, state: _Port) -> None:
        server, state.server = state.server, None
        if isinstance(server, asyncio.AbstractServer):
            server.close()
            log.info("closed listener service=%s (no endpoints)", state.port.name)
        elif server is not None:
            server.close()
        for flow in state.flows.values():
            if flow.transport is not None:
                flow.transport.close()
        state.flows.clear()

    async def _dial(self, state: _Port, client_ip: str):
        tried: set[Endpoint] = set()
        for timeout in DIAL_TIMEOUTS:
            ep = state.choose(client_ip, tried)
            if ep is None:
                break
            try:
                return await asyncio.wait_for(asyncio.open_connection(ep.ip, ep.port), timeout)
            except (OSError, TimeoutError) as e:
                log.warning("Failed to connect to balancer service=%s endpoint=%s error=%s", state.port.name,
                            ep, e)
                tried.add(ep)
                state.affinity.pop(client_ip, None)
        return None

    async def _serve_tcp(self, state: _Port, reader, writer) -> None:
        client_ip = writer.get_extra_info("peername")[0]
        upstream = await self._dial(state, client_ip)
        if upstream is None:
            log.warning("Couldn't find an endpoint for %s", state.port.name)
            _reset(writer)
            return
        up_reader, up_writer = upstream
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            up_writer.close()
            writer.close()

    async def cleanup(self) -> None:
        """Close every listener and take the ClusterIPs off the host."""
        for state in self.ports.values():
            await self._close(state)
        self.ports.clear()
        for task in list(self._tasks):
            task.cancel()
        self.addresses.remove()

