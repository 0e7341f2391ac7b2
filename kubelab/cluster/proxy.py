"""The partition proxy: `python -m kubelab.cluster.proxy --config <state-dir>/proxy.json`.

One process per cluster forwards every upstream path the launcher sets up (each component's connection to
the API server, the API server's to Redis) from a route's listen port to its target. A route is named after
the component whose path it is. `kubelab partition NAME` marks the route partitioned in proxy.json and
tells the proxy to reload through its control port; then, for real at the TCP level:

- every open connection of the route is cut with a TCP reset;
- mode "drop" (default): new connections are accepted but nothing passes, as if packets were lost; they
  hang until the client gives up, and if it has not when the route heals, they go through then;
- mode "reject": the listening socket is closed, so new connections are refused.

`kubelab heal NAME` clears the mark. The component itself keeps running throughout.

Control protocol: connect to the "control" address, send one line, `reload` or `status`, read one JSON
line: {"ok": true, "routes": {name: {"listen", "target", "partitioned", "mode", "open", "held"}}}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import socket
import struct
import sys
from pathlib import Path

from kubelab import aiocompat
from kubelab.cluster.ports import split

__all__ = ["main"]

log = logging.getLogger("kubelab.proxy")
HELD_MAX = 256  # connections held per partitioned route; the oldest is reset beyond that


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST rather than a FIN, as a cut cable looks to the peer."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError, RuntimeError):
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
        if dst.can_write_eof():
            dst.write_eof()


class Route:
    """One forwarded path: listen -> target, partitioned or not."""

    def __init__(self, name: str):
        self.name = name
        self.listen = ""
        self.target = ""
        self.mode = "drop"
        self.partitioned = False
        self.healed = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.open: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.held: list[asyncio.StreamWriter] = []
        self.handlers: set[asyncio.Task] = set()

    async def apply(self, cfg: dict) -> None:
        """Converge on cfg: listen, target, partitioned, mode."""
        if self.server and cfg["listen"] != self.listen:
            await self.close()
        self.listen, self.target = cfg["listen"], cfg["target"]
        was, self.partitioned = self.partitioned, bool(cfg.get("partitioned", False))
        self.mode = cfg.get("mode", "drop")
        if self.partitioned and not was:
            cut = self.cut()
            log.info("event=partition route=%s mode=%s cut=%d", self.name, self.mode, cut)
        if self.partitioned:
            self.healed.clear()
            if self.mode == "reject":
                self.cut_held()
                await self._stop_listening()
        else:
            self.healed.set()
            if was:
                log.info("event=heal route=%s released=%d", self.name, len(self.held))
        if self.server is None and not (self.partitioned and self.mode == "reject"):
            host, port = split(self.listen)
            self.server = await asyncio.start_server(self._on_client, host, port, reuse_address=True)
            log.info("event=listen route=%s listen=%s target=%s", self.name, self.listen, self.target)

    def cut(self) -> int:
        """Reset every open connection of the route; how many there were."""
        n = len(self.open)
        for client, upstream in list(self.open):
            _reset(client)
            _reset(upstream)
        return n

    def cut_held(self) -> None:
        for w in self.held:
            _reset(w)
        self.held.clear()

    async def _stop_listening(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    async def close(self) -> None:
        """Stop listening, reset every connection and wait for their handlers to finish."""
        await self._stop_listening()
        self.cut()
        self.cut_held()
        self.healed.set()  # held handlers see they were reset and return
        if self.handlers:
            await asyncio.wait(list(self.handlers), timeout=2)

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.handlers.add(task)
        try:
            await self._serve_client(reader, writer)
        finally:
            self.handlers.discard(task)

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.partitioned:
            if not await self._hold(writer):
                return
        try:
            host, port = split(self.target)
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        except (OSError, asyncio.TimeoutError) as e:
            log.info("event=upstream-error route=%s target=%s error=%r", self.name, self.target, str(e))
            _reset(writer)
            return
        link = (writer, up_writer)
        self.open.add(link)
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(_pipe(reader, up_writer))
                tg.create_task(_pipe(up_reader, writer))
        finally:
            self.open.discard(link)
            for w in link:
                w.close()

    async def _hold(self, writer: asyncio.StreamWriter) -> bool:
        """Hold a connection made during a partition until heal; False if it was reset meanwhile."""
        self.held.append(writer)
        if len(self.held) > HELD_MAX:
            _reset(self.held.pop(0))
        await self.healed.wait()
        if writer not in self.held:
            return False
        self.held.remove(writer)
        return not writer.transport.is_closing()

    def status(self) -> dict:
        return {
            "listen": self.listen,
            "target": self.target,
            "partitioned": self.partitioned,
            "mode": self.mode,
            "listening": self.server is not None,
            "open": len(self.open),
            "held": len(self.held),
        }


class Proxy:
    """All routes of one cluster, reconfigured from the config file on `reload`."""

    def __init__(self, config: Path):
        self.config = config
        self.routes: dict[str, Route] = {}
        self.lock = asyncio.Lock()

    def read_config(self) -> dict:
        return json.loads(self.config.read_text())

    async def reload(self) -> None:
        async with self.lock:
            wanted = self.read_config().get("routes", {})
            for name in list(self.routes):
                if name not in wanted:
                    await self.routes.pop(name).close()
                    log.info("event=remove route=%s", name)
            for name, cfg in wanted.items():
                route = self.routes.setdefault(name, Route(name))
                try:
                    await route.apply(cfg)
                except OSError as e:
                    log.error("event=route-error route=%s listen=%s error=%r", name, cfg.get("listen"), str(e))

    def status(self) -> dict:
        return {"ok": True, "routes": {n: r.status() for n, r in self.routes.items()}}

    async def on_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = (await asyncio.wait_for(reader.readline(), 5)).decode().strip()
            if line == "reload":
                await self.reload()
                reply = self.status()
            elif line == "status":
                reply = self.status()
            else:
                reply = {"ok": False, "error": f"unknown command {line!r}: expected reload or status"}
        except (OSError, ValueError, asyncio.TimeoutError) as e:
            reply = {"ok": False, "error": str(e)}
        writer.write((json.dumps(reply) + "\n").encode())
        with contextlib.suppress(ConnectionError, OSError):
            await writer.drain()
        writer.close()

    async def serve(self) -> None:
        await self.reload()
        host, port = split(self.read_config()["control"])
        control = await asyncio.start_server(self.on_control, host, port, reuse_address=True)
        log.info("event=ready control=%s:%d routes=%d", host, port, len(self.routes))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("event=stopping")
        control.close()
        for route in self.routes.values():
            await route.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kubelab.cluster.proxy", description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, type=Path, help="proxy.json written by the launcher")
    args = p.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="ts=%(asctime)s level=%(levelname)s component=proxy %(message)s",
    )
    aiocompat.install()  # no cancellation lost in asyncio.wait_for (Python 3.11)
    asyncio.run(Proxy(args.config).serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
