"""``python -m services.apiserver``: serve the API over gRPC from Redis."""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from kubelab import logs
from kubelab.network import own_address
from kubelab.api.registry import KINDS
from kubelab.process import stop_grpc_server
from services.apiserver.bootstrap import SystemServices, ensure_namespaces
from services.apiserver.config import Config
from services.apiserver.http.server import HttpServer
from services.apiserver.ipallocator import PortRange, ServiceRange
from services.apiserver.resources import Resources
from services.apiserver.servicer import SERVICE, ApiServerServicer
from services.apiserver.store import Store
from services.apiserver.watchcache import WatchCache

log = logging.getLogger("apiserver")

SHUTDOWN_GRACE = 2  # seconds in-flight calls get on SIGTERM before they are cancelled


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


async def serve(cfg: Config) -> None:
    try:
        service_range = ServiceRange.parse(cfg.service_cluster_ip_range)
        node_ports = PortRange.parse(cfg.service_node_port_range)
    except ValueError as e:
        raise SystemExit(f"service ranges: {e}") from None
    store = Store(cfg.redis, cfg.history)
    resources: Resources | None = None
    system: SystemServices | None = None

    async def on_reset():  # Redis lost everything: what exists from the start is back at once
        await ensure_namespaces(resources)
        await system.reconcile_once()

    cache = WatchCache(store, [k.kind for k in KINDS], cfg.history, cfg.watch_queue, on_reset=on_reset)
    resources = Resources(store, cache, service_range=service_range, node_ports=node_ports)
    system = SystemServices(resources, service_range, advertise_address(cfg), int(cfg.listen.rpartition(":")[2]),
                            cfg.kube_dns_proxied)

    async def bootstrap():
        await ensure_namespaces(resources, wait=True)
        await system.run()

    server = grpc.aio.server(options=[
        ("grpc.max_receive_message_length", 64 << 20), ("grpc.max_send_message_length", 256 << 20),
        # clients ping idle connections (long watches) to notice a dead server; allow it
        ("grpc.keepalive_permit_without_calls", 1), ("grpc.http2.min_ping_interval_without_data_ms", 5000),
        ("grpc.http2.max_ping_strikes", 0)])
    server.add_generic_rpc_handlers([ApiServerServicer(resources, cfg.bookmark_interval, cfg.watch_batch_window).handler()])
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [SERVICE, reflection.SERVICE_NAME, health.SERVICE_NAME], server)
    http = HttpServer(resources, cfg.http_listen, cfg.bookmark_interval)
    port = server.add_insecure_port(cfg.listen)
    if port == 0:
        raise SystemExit(f"cannot listen on {cfg.listen}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    changed = asyncio.Event()
    cache.on_ready_change.append(lambda _ready: changed.set())

    async def watch_health():
        """SERVING while the cache follows Redis, once what exists from the start was written (as kube-apiserver's
        readyz waits for its bootstrap-controller); NOT_SERVING while Redis is away. Driven by the events
        (the cache's readiness changing, the first bootstrap round done), not by polling."""
        await health_servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        await health_servicer.set(SERVICE, health_pb2.HealthCheckResponse.NOT_SERVING)
        await system.first_done.wait()
        last = None
        while True:
            changed.clear()
            status = health_pb2.HealthCheckResponse.SERVING if cache.ready else \
                health_pb2.HealthCheckResponse.NOT_SERVING
            if status != last:
                await health_servicer.set("", status)
                await health_servicer.set(SERVICE, status)
                last = status
            await changed.wait()

    async with asyncio.TaskGroup() as tg:
        cache_task = tg.create_task(cache.run())
        health_task = tg.create_task(watch_health())
        await server.start()
        await http.start()
        log.info("apiserver listening address=%s redis=%s history=%d service_range=%s advertise=%s", cfg.listen,
                 cfg.redis, cfg.history, service_range.network, system.advertise)
        bootstrap_task = tg.create_task(bootstrap())
        await stop.wait()
        log.info("apiserver shutting down")
        await health_servicer.enter_graceful_shutdown()
        await http.stop(SHUTDOWN_GRACE)
        await stop_grpc_server(server, SHUTDOWN_GRACE, "apiserver")  # calls still running then are cancelled
        cache_task.cancel()
        health_task.cancel()
        bootstrap_task.cancel()
    await store.close()
    log.info("apiserver stopped")


def main() -> None:
    cfg = Config.from_args()
    logs.setup("apiserver", cfg.log_level)
    try:
        asyncio.run(serve(cfg))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
