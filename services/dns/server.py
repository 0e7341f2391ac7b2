"""The DNS server loop: UDP datagrams and TCP streams (RFC 1035 4.2.2: each message preceded by its
2-byte length) on asyncio; dnspython reads and writes the messages.

`Resolver` turns a query's bytes into the response's bytes: answered at once from the snapshot when the
name is the cluster's (most queries: no task, no await), or later when it must be forwarded upstream.
Bad input never stops the server: an unparseable message with a readable header gets FORMERR, anything
shorter is dropped; other opcodes get NOTIMP.

A UDP response is at most 512 bytes, or the size the query's EDNS record offers; a larger one is sent
with TC set and the records that do not fit left out, so the client asks again over TCP (CoreDNS's
`SizeAndDo`/`Scrub`).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

from services.dns.answer import Answer, Options, answer, complete
from services.dns.forward import Forwarder
from services.dns.metrics import DnsMetrics
from services.dns.snapshot import Snapshot

__all__ = ["Resolver", "DnsServer", "Pending"]

log = logging.getLogger(__name__)

UDP_MIN, TCP_MAX = 512, 65535
TCP_IDLE = 10.0
"""Seconds a TCP connection may sit without a query before it is closed."""


@dataclass
class Pending:
    """A query that needs the upstream resolver (a forwarded name, or an ExternalName target)."""
    query: dns.message.Message
    proto: str
    started: float
    local: Answer | None = None


def _udp_limit(query: dns.message.Message) -> int:
    return max(UDP_MIN, query.payload) if query.edns >= 0 else UDP_MIN


def _formerr(wire: bytes) -> bytes | None:
    """A header-only FORMERR for a message we cannot parse, if it has a header at all."""
    if len(wire) < 12:
        return None
    msg_id, flags = struct.unpack("!HH", wire[:4])
    if flags & dns.flags.QR:
        return None  # never answer a response
    return struct.pack("!HHHHHH", msg_id, dns.flags.QR | (flags & 0x7900) | dns.rcode.FORMERR, 0, 0, 0, 0)


class Resolver:
    def __init__(self, snapshot: Callable[[], Snapshot], options: Callable[[], Options], forwarder: Forwarder,
                 metrics: DnsMetrics | None = None, rng: random.Random | None = None):
        self.snapshot, self.options, self.forwarder = snapshot, options, forwarder
        self.metrics, self.rng = metrics, rng or random.Random()

    def handle(self, wire: bytes, proto: str, family: str = "1") -> tuple[bytes | None, Pending | None]:
        """(response bytes, None) when answered now; (None, Pending) when `finish` must complete it;
        (None, None) when there is nothing to send."""
        started = time.monotonic()
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # any garbage from the network: FORMERR or silence, never a crash
            return _formerr(wire), None
        if query.flags & dns.flags.QR:
            return None, None
        if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
            rcode = dns.rcode.NOTIMP if query.opcode() != dns.opcode.QUERY else dns.rcode.FORMERR
            response = dns.message.make_response(query)
            response.set_rcode(rcode)
            return self._send(query, response, proto, "", started, family), None
        try:
            local = answer(query, self.snapshot(), self.options(), self.rng)
        except Exception:  # a bug must cost one answer, not the server
            log.exception("answering failed name=%s", query.question[0].name)
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            return self._send(query, response, proto, "kubernetes", started, family), None
        if local.response is not None and local.chase is None:
            return self._send(query, local.response, proto, "kubernetes", started, family), None
        return None, Pending(query, proto, started, local if local.response is not None else None)

    async def finish(self, pending: Pending, family: str = "1") -> bytes:
        """Forward upstream (or chase an ExternalName's target); SERVFAIL if the upstream fails."""
        query, tcp = pending.query, pending.proto == "tcp"
        if pending.local is None:
            response = await self.forwarder.resolve(query, tcp)
            return self._send(query, response, pending.proto, "forward", pending.started, family)
        chase = pending.local.chase
        upstream = await self.forwarder.resolve(dns.message.make_query(chase.target, chase.rdtype), tcp)
        found = upstream.answer if upstream.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) else None
        response = complete(pending.local, found)
        return self._send(query, response, pending.proto, "kubernetes", pending.started, family)

    def _send(self, query: dns.message.Message, response: dns.message.Message, proto: str, plugin: str,
              started: float, family: str) -> bytes:
        response.id = query.id
        limit = _udp_limit(query) if proto == "udp" else TCP_MAX
        try:
            wire = response.to_wire(max_size=limit, prefer_truncation=True)
        except dns.exception.DNSException as e:
            log.warning("cannot encode response name=%s error=%s", query.question[0].name, e)
            response = dns.message.make_response(query)
            response.set_rcode(dns.rcode.SERVFAIL)
            wire = response.to_wire()
        if self.metrics is not None:
            qtype = dns.rdatatype.to_text(query.question[0].rdtype) if query.question else "other"
            self.metrics.observe(proto, family, qtype, dns.rcode.to_text(response.rcode()), plugin,
                                 time.monotonic() - started)
        return wire


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer):
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        family = "2" if ":" in addr[0] else "1"
        reply, pending = self.server.resolver.handle(data, "udp", family)
        if reply is not None:
            self.transport.sendto(reply, addr)
        elif pending is not None:
            self.server.spawn(self._finish(pending, addr, family))

    async def _finish(self, pending: Pending, addr, family: str) -> None:
        reply = await self.server.resolver.finish(pending, family)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("udp error error=%s", exc)  # e.g. ICMP unreachable for a client that went away


class DnsServer:
    """UDP and TCP listeners on one address; forwarded queries run as tasks of `tg`."""

    def __init__(self, resolver: Resolver, tg: asyncio.TaskGroup):
        self.resolver, self.tg = resolver, tg
        self.host, self.port = "", 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._streams: set[asyncio.StreamWriter] = set()

    def spawn(self, coro) -> None:
        self.tg.create_task(_logged(coro))

    async def start(self, host: str, port: int) -> None:
        """Bind UDP then TCP (on the port UDP got, when port is 0); OSError if either cannot bind."""
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(self), local_addr=(host, port))
        self.host, self.port = self._udp.get_extra_info("sockname")[:2]
        try:
            self._tcp = await asyncio.start_server(self._stream, host, self.port, reuse_address=True)
        except OSError:
            self._udp.close()
            raise

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            for w in list(self._streams):
                w.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp.wait_closed(), 2)
        self._udp = self._tcp = None

    async def _stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._streams.add(writer)
        peer = writer.get_extra_info("peername") or ("",)
        family = "2" if ":" in str(peer[0]) else "1"
        try:
            while True:
                async with asyncio.timeout(TCP_IDLE):
                    (size,) = struct.unpack("!H", await reader.readexactly(2))
                    wire = await reader.readexactly(size)
                reply, pending = self.resolver.handle(wire, "tcp", family)
                if pending is not None:
                    reply = await self.resolver.finish(pending, family)
                if reply is None:
                    break
                writer.write(struct.pack("!H", len(reply)) + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass
        finally:
            self._streams.discard(writer)
            writer.close()


async def _logged(coro) -> None:
    """A forwarded query's task: its failure is logged, never propagated into the server's TaskGroup."""
    try:
        await coro
    except Exception:
        log.exception("query failed")
