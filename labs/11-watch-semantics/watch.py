"""Lab 11's watcher: one watch on the API server, printed event by event with its resourceVersion.

    python labs/11-watch-semantics/watch.py KIND [--from RV] [-n NS] [--count N] [--relist]
                                                 [--bookmarks] [--slow SECONDS]

Without --from it lists first (`LIST rv=N: K objects`) and watches from the list's resourceVersion, as an
informer does; with --from RV it watches the changes after RV only. When RV is no longer in the server's
history the answer is `410 Gone` (gRPC OUT_OF_RANGE, reason Expired); with --relist it then lists again
and goes on from there, as client-go's reflector does. With --bookmarks the watch asks for BOOKMARK
events (allowWatchBookmarks): on a quiet watch the server sends one every --bookmark-interval with its
current resourceVersion and no object. With --slow it sleeps SECONDS after each event, as a client too
busy to read would (and reads through a 1 KiB receive window, so that the backlog is the server's,
not the transport's); the server cuts it off when its queue is full (`429 TooManyRequests`, gRPC
RESOURCE_EXHAUSTED), and it resumes from the last resourceVersion it printed, as client-go's watchers do.
It stops after --count events (bookmarks included; default: never).
The cluster is the one `kubelab` would talk to (--state-dir, KUBELAB_STATE_DIR, --server).
"""
from __future__ import annotations

import argparse
import asyncio
import sys

import grpc

from kubelab.api import apiserver_pb2_grpc
from kubelab.client import Client
from kubelab.cluster.state import find_apiserver, resolve_state_dir
from kubelab.errors import ApiError, is_gone, is_too_many_requests


def _print(line: str) -> None:
    print(line, flush=True)


async def _list(client: Client, kind: str, ns: str) -> str:
    items, rv = await client.list(kind, ns)
    _print(f"LIST rv={rv}: {len(items)} objects")
    return rv


async def watch(client: Client, kind: str, ns: str, rv: str | None, count: int | None, relist: bool,
                bookmarks: bool = False, slow: float = 0.0) -> int:
    seen = 0
    if rv is None:
        rv = await _list(client, kind, ns)
    while True:
        try:
            async for ev in client.watch(kind, ns, resource_version=rv, allow_bookmarks=bookmarks, resume=False):
                name = f" {ev.object.metadata.name}" if ev.object is not None else ""
                _print(f"{ev.type} rv={ev.resource_version}{name}")
                rv = ev.resource_version or rv
                seen += 1
                if count is not None and seen >= count:
                    return 0
                if slow:
                    await asyncio.sleep(slow)
            return 0
        except ApiError as e:
            if is_too_many_requests(e):
                _print(f"429 TooManyRequests: {e.message}")
                _print(f"RESUME from rv={rv}")
                continue
            if not is_gone(e):
                raise
            _print(f"410 Gone: {e.message}")
            if not relist:
                return 1
            rv = await _list(client, kind, ns)


async def _small_window(client: Client) -> None:
    """Give the client a fixed 1 KiB receive window. gRPC's HTTP/2 flow control lets a sender run ahead by
    the window, and on a fast link the window grows (BDP probing) to megabytes: a classroom burst would
    sit in the transport's buffers. With 1 KiB a slow reader backs up to the API server's queue at once."""
    await client.channel.close()
    client.channel = grpc.aio.insecure_channel(client.address, options=[
        ("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 1024)])
    client.stub = apiserver_pb2_grpc.ApiServerStub(client.channel)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kind")
    p.add_argument("--from", dest="rv", metavar="RV", help="watch the changes after this resourceVersion")
    p.add_argument("-n", "--namespace", default="default")
    p.add_argument("--count", type=int, help="stop after N events")
    p.add_argument("--relist", action="store_true", help="on 410 Gone, list again and go on")
    p.add_argument("--bookmarks", action="store_true", help="ask for BOOKMARK events (allowWatchBookmarks)")
    p.add_argument("--slow", type=float, default=0.0, metavar="SECONDS", help="sleep after each event")
    p.add_argument("--state-dir")
    p.add_argument("--server")
    a = p.parse_args(argv)
    server = a.server or find_apiserver(resolve_state_dir(a.state_dir))
    if not server:
        print("error: no cluster (start one with `kubelab up -d`)", file=sys.stderr)
        return 1

    async def run() -> int:
        async with Client(server, retry_deadline=10) as client:
            if a.slow:
                await _small_window(client)
            return await watch(client, a.kind, a.namespace, a.rv, a.count, a.relist, a.bookmarks, a.slow)
    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
