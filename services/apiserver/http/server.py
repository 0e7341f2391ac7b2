"""The HTTP API's listener, started and stopped with the API server's gRPC server."""
from __future__ import annotations

import logging

from aiohttp import web

from services.apiserver.http.app import new_app
from services.apiserver.resources import Resources

__all__ = ["HttpServer"]

log = logging.getLogger("apiserver")


class HttpServer:
    """Plain HTTP on listen (HOST:PORT); nothing when listen is empty. `shared`: bound with SO_REUSEPORT,
    beside the other API server workers (--workers), as their gRPC servers are."""

    def __init__(self, resources: Resources, listen: str, bookmark_interval: float, shared: bool = False):
        self.listen, self.shared = listen, shared
        self.runner = web.AppRunner(new_app(resources, bookmark_interval), access_log=None) if listen else None

    async def start(self) -> None:
        if self.runner is None:
            return
        host, _, port = self.listen.rpartition(":")
        await self.runner.setup()
        try:
            # a short shutdown_timeout: open watches end at SIGTERM and their clients resume elsewhere
            await web.TCPSite(self.runner, host.strip("[]") or None, int(port), shutdown_timeout=1.0,
                              reuse_port=self.shared or None).start()
        except OSError as e:
            raise SystemExit(f"--http-listen: cannot listen on {self.listen}: {e}") from None
        log.info("http api listening address=%s", self.listen)

    async def stop(self, grace: float) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
