"""A bare DNS server on dnspython and asyncio: every query gets the same A record, nothing else is done.

`python -m bench.dnsecho --listen HOST:PORT [--address IP]` serves UDP and TCP (2-byte framing) until
SIGTERM. It is the baseline of bench/dns.py (what parsing and writing a message costs on this machine,
with no lookup) and the upstream resolver of the DNS tests (a real server on a loopback address, since
the test machines have no outside network).
"""
from __future__ import annotations

import argparse
import asyncio
import signal
import struct

import dns.message
import dns.rrset

__all__ = ["reply", "serve"]


def reply(wire: bytes, address: str) -> bytes | None:
    try:
        query = dns.message.from_wire(wire)
    except Exception:  # garbage: no answer
        return None
    response = dns.message.make_response(query)
    response.answer = [dns.rrset.from_text(query.question[0].name, 60, "IN", "A", address)]
    return response.to_wire()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, address: str):
        self.address, self.transport = address, None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        out = reply(data, self.address)
        if out is not None:
            self.transport.sendto(out, addr)


async def serve(host: str, port: int, address: str, ready: asyncio.Event | None = None) -> None:
    async def stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (size,) = struct.unpack("!H", await reader.readexactly(2))
                out = reply(await reader.readexactly(size), address)
                if out is None:
                    break
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    loop = asyncio.get_running_loop()
    udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(address), local_addr=(host, port))
    tcp = await asyncio.start_server(stream, host, port, reuse_address=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if ready is not None:
        ready.set()
    print(f"serving {host}:{port}", flush=True)
    try:
        await stop.wait()
    finally:
        udp.close()
        tcp.close()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.dnsecho", description=__doc__.splitlines()[0])
    p.add_argument("--listen", required=True, help="HOST:PORT (UDP and TCP)")
    p.add_argument("--address", default="192.0.2.1", help="the A record every query gets")
    args = p.parse_args()
    host, _, port = args.listen.rpartition(":")
    asyncio.run(serve(host, int(port), args.address))


if __name__ == "__main__":
    main()
