"""Lab 11's watcher: one watch on the API server, printed event by event with its resourceVersion.

    python labs/11-watch-semantics/watch.py KIND [--from RV] [-n NS] [--count N] [--relist]

Without --from it lists first (`LIST rv=N: K objects`) and watches from the list's resourceVersion, as an
informer does; with --from RV it watches the changes after RV only. When RV is no longer in the server's
history the answer is `410 Gone` (gRPC OUT_OF_RANGE, reason Expired); with --relist it then lists again
and goes on from there, as client-go's reflector does. It stops after --count events (default: never).
The cluster is the one `kubelab` would talk to (--state-dir, KUBELAB_STATE_DIR, --server).
"""
from __future__ import annotations

import argparse
import asyncio
import sys

from kubelab.client import Client
from kubelab.cluster.state import find_apiserver, resolve_state_dir
from kubelab.errors import ApiError, is_gone


def _print(line: str) -> None:
    print(line, flush=True)


async def _list(client: Client, kind: str, ns: str) -> str:
    items, rv = await client.list(kind, ns)
    _print(f"LIST rv={rv}: {len(items)} objects")
    return rv


async def watch(client: Client, kind: str, ns: str, rv: str | None, count: int | None, relist: bool) -> int:
    seen = 0
    if rv is None:
        rv = await _list(client, kind, ns)
    while True:
        try:
            async for ev in client.watch(kind, ns, resource_version=rv, resume=False):
                name = ev.object.metadata.name if ev.object is not None else "-"
                _print(f"{ev.type} rv={ev.resource_version} {name}")
                rv = ev.resource_version or rv
                seen += 1
                if count is not None and seen >= count:
                    return 0
            return 0
        except ApiError as e:
            if not is_gone(e):
                raise
            _print(f"410 Gone: {e.message}")
            if not relist:
                return 1
            rv = await _list(client, kind, ns)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("kind")
    p.add_argument("--from", dest="rv", metavar="RV", help="watch the changes after this resourceVersion")
    p.add_argument("-n", "--namespace", default="default")
    p.add_argument("--count", type=int, help="stop after N events")
    p.add_argument("--relist", action="store_true", help="on 410 Gone, list again and go on")
    p.add_argument("--state-dir")
    p.add_argument("--server")
    a = p.parse_args(argv)
    server = a.server or find_apiserver(resolve_state_dir(a.state_dir))
    if not server:
        print("error: no cluster (start one with `kubelab up -d`)", file=sys.stderr)
        return 1

    async def run() -> int:
        async with Client(server, retry_deadline=10) as client:
            return await watch(client, a.kind, a.namespace, a.rv, a.count, a.relist)
    try:
        return asyncio.run(run())
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
