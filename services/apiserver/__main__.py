"""``python -m services.apiserver``: serve the API over gRPC from Redis.

The process skeleton is every process's (kubelab.skeleton: SIGTERM, key=value logs, gRPC health and
reflection, metrics on --metrics-listen); `setup` adds what only the API server has: the Redis store, the
watch cache, the ApiServer gRPC service, the HTTP API, and health following the cache.
"""
from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import sys

from kubelab import logs
from kubelab.api.registry import KINDS
from kubelab.network import own_address
from kubelab.skeleton import NOT_SERVING, SERVING, Skeleton, run
from services.apiserver.bootstrap import SystemServices, ensure_namespaces
from services.apiserver.config import Config
from services.apiserver.http.server import HttpServer
from services.apiserver.ipallocator import PortRange, ServiceRange
from services.apiserver.metrics import StorageCollector
from services.apiserver.resources import Resources
from services.apiserver.servicer import SERVICE, ApiServerServicer
from services.apiserver.store import Store
from services.apiserver.watchcache import WatchCache
from services.apiserver.workers import Workers, die_with_parent

log = logging.getLogger("apiserver")

COMPONENT = "apiserver"
GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 256 << 20),
    # clients ping idle connections (long watches) to notice a dead server; allow it
    ("grpc.keepalive_permit_without_calls", 1), ("grpc.http2.min_ping_interval_without_data_ms", 5000),
    ("grpc.http2.max_ping_strikes", 0)]


def advertise_address(cfg: Config) -> str:
    """--advertise-address (an IP, or a name looked up once: compose's `apiserver`), else the host --listen
    names (127.0.0.1 for a wildcard)."""
    if cfg.advertise_address:
        try:
            return own_address(cfg.advertise_address)
        except ValueError as e:
            raise SystemExit(f"--advertise-address: {e}") from None
    host = cfg.listen.rpartition(":")[0].strip("[]")
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::", "localhost") else host
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        raise SystemExit(f"--listen: {host!r} is not an IP address") from None


async def follow_cache(proc: Skeleton, cache: WatchCache, system: SystemServices | None) -> None:
    """SERVING while the cache follows Redis, once what exists from the start was written (as kube-apiserver's
    readyz waits for its bootstrap-controller; `system` is None in the workers that do not write it);
    NOT_SERVING while Redis is away, and after Redis lost its data until what exists from the start is
    written again (cache.resetting). Driven by the events (the cache's readiness changing, the first
    bootstrap round done), not by polling."""
    changed = asyncio.Event()
    cache.on_ready_change.append(lambda _ready: changed.set())
    if system is not None:
        await system.first_done.wait()
    last = None
    while True:
        changed.clear()
        status = SERVING if cache.ready and not cache.resetting else NOT_SERVING
        if status != last:
            await proc.health.set("", status)
            await proc.health.set(SERVICE, status)
            last = status
        await changed.wait()


async def setup(proc: Skeleton, argv: list[str] | None = None) -> None:
    """`argv`: this process's command line, which worker 0 gives the other workers (--workers)."""
    cfg: Config = proc.config
    service_range = ServiceRange.parse(cfg.service_cluster_ip_range)  # valid: Config.validate
    node_ports = PortRange.parse(cfg.service_node_port_range)
    store = Store(cfg.redis, cfg.history)
    proc.on_close.append(store.close)
    resources: Resources | None = None
    system: SystemServices | None = None

    first = cfg.worker_index == 0

    async def on_reset():  # Redis lost everything: what exists from the start is back before SERVING again
        if first:
            await ensure_namespaces(resources, wait=True)
            await system.reconcile_once()

    cache = WatchCache(store, [k.kind for k in KINDS], cfg.history, cfg.watch_queue, on_reset=on_reset)
    resources = Resources(store, cache, service_range=service_range, node_ports=node_ports)
    system = SystemServices(resources, service_range, advertise_address(cfg), int(cfg.listen.rpartition(":")[2]),
                            cfg.kube_dns_proxied)
    proc.metrics.register(StorageCollector(cache))

    async def bootstrap():
        await ensure_namespaces(resources, wait=True)
        await system.run()

    await proc.health.set(SERVICE, NOT_SERVING)
    proc.add_grpc_service(SERVICE, ApiServerServicer(resources, cfg.bookmark_interval,
                                                     cfg.watch_batch_window, cfg.watch_message_budget).handler())
    http = HttpServer(resources, cfg.http_listen, cfg.bookmark_interval, shared=cfg.workers > 1)
    await http.start()
    proc.on_stop.append(lambda: http.stop(cfg.shutdown_grace))
    proc.add_runnable("watch-cache", cache.run)
    proc.add_runnable("health", lambda: follow_cache(proc, cache, system if first else None))
    if first:
        proc.add_runnable("bootstrap", bootstrap)
    if first and cfg.workers > 1:
        workers = Workers(sys.argv[1:] if argv is None else argv, cfg.workers, cfg.shutdown_grace)
        proc.add_runnable("workers", workers.run)
        proc.on_stop.insert(0, workers.terminate)  # they stop while this one does
        proc.on_close.append(workers.wait)
    log.info("serving redis=%s history=%d service_range=%s advertise=%s worker=%d/%d", cfg.redis, cfg.history,
             service_range.network, system.advertise, cfg.worker_index, cfg.workers)


def new_process(component: str, cfg: Config) -> Skeleton:
    if cfg.worker_index:  # its lines share worker 0's log file
        logs.setup(component, cfg.log_level, extra=f"worker={cfg.worker_index}")
    return Skeleton(component, cfg, grpc_options=GRPC_OPTIONS, grpc_grace=cfg.shutdown_grace)


def main(argv: list[str] | None = None) -> None:
    cfg = Config.from_args(argv)
    if cfg.worker_index:
        die_with_parent()
    run(COMPONENT, cfg, functools.partial(setup, argv=argv), new_process)


if __name__ == "__main__":
    main()
