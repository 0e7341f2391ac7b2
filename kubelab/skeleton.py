"""The skeleton every kubelab process runs in, the API server included (k8s component-base: `cli.Run`,
logs, metrics; the gRPC health service).

    def setup(proc: Skeleton) -> None:          # or async; reads its typed config from proc.config
        proc.add_grpc_service(NAME, handler)     # before the server starts
        proc.add_runnable("loop", loop.run)      # a task of the process's TaskGroup
        proc.on_stop.append(http.stop)           # graceful steps on SIGTERM, in order

    def main() -> None:
        run("component", new_config(Config, prog="python -m services.component"), setup)

`run` checks the config (`Config.validate()`, before anything starts), sets up key=value logs, then one
asyncio TaskGroup owns everything: the gRPC server on `--listen` with health and reflection, Prometheus
metrics over HTTP on `--metrics-listen`, the runnables. Health service "" is NOT_SERVING until what the
process runs says otherwise (events, not polling: a component's informers syncing, the API server's cache
following Redis). SIGTERM/SIGINT: health goes NOT_SERVING, the graceful steps run, the gRPC server stops
(calls still running after `grpc_grace` are cancelled), the runnables are cancelled, the close steps run.

kubelab.process.Process is this skeleton with an API client, informers, events, controllers and leader
election: what every component but the API server has.
"""
from __future__ import annotations

import asyncio
import inspect
import io
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from kubelab import aiocompat, logs
from kubelab.config import BaseConfig
from kubelab.fielderrors import aggregate_message
from kubelab.metrics import Metrics, serve_metrics

__all__ = ["Skeleton", "run", "check_config", "stop_grpc_server", "leave_now", "SERVING", "NOT_SERVING",
           "STOP_MARGIN"]

log = logging.getLogger(__name__)

SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
Setup = Callable[[Any], Awaitable[None] | None]


class Skeleton:
    """One process: its config, gRPC server (health, reflection and what setup adds), metrics, runnables,
    and the `stopping` event SIGTERM sets."""

    def __init__(self, component: str, config: BaseConfig, *, grpc_options: Sequence[tuple[str, Any]] = (),
                 grpc_grace: float = 1.0):
        self.component, self.config = component, config
        self.health = health.aio.HealthServicer()
        self.metrics = Metrics()
        self.stopping = asyncio.Event()
        """Set on SIGTERM: long-running runnables should return."""
        self.port = 0
        """The gRPC port, bound before setup runs."""
        self.on_stop: list[Callable[[], Awaitable[None]]] = []
        """Graceful steps on SIGTERM, in order, before the gRPC server stops (stop accepting, finish)."""
        self.on_close: list[Callable[[], Awaitable[None]]] = []
        """Last steps, once every task has ended (close connections)."""
        self._grpc_options, self._grpc_grace = list(grpc_options), grpc_grace
        self._services = [health.SERVICE_NAME, reflection.SERVICE_NAME]
        self._handlers: list[grpc.GenericRpcHandler] = []
        self._runnables: list[tuple[str, Callable[[], Awaitable[None]]]] = []

    def add_grpc_service(self, name: str, handler: grpc.GenericRpcHandler) -> None:
        """Serve `handler` (service `name`, listed by reflection) on the process's gRPC port; from setup."""
        self._services.append(name)
        self._handlers.append(handler)

    def add_runnable(self, name: str, fn: Callable[[], Awaitable[None]]) -> None:
        """Run `fn()` as a task for the whole life of the process (cancelled last on SIGTERM)."""
        self._runnables.append((name, fn))

    async def serve(self, setup: Setup) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        server = grpc.aio.server(options=self._grpc_options)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        self.port = server.add_insecure_port(self.config.listen)
        if self.port == 0:
            raise SystemExit(f"cannot listen on {self.config.listen}")
        await self.health.set("", NOT_SERVING)
        maybe = setup(self)
        if inspect.isawaitable(maybe):
            await maybe
        server.add_generic_rpc_handlers(self._handlers)  # grpc.aio: only before start
        reflection.enable_server_reflection(self._services, server)
        await server.start()
        more = self.describe()
        log.info("started component=%s listen=%s%s", self.component, self.config.listen, " " + more if more else "")
        try:
            async with asyncio.TaskGroup() as tg:
                await self._run_tasks(tg, server)
        finally:
            await stop_grpc_server(server, self._grpc_grace, self.component)  # at once if stopped already
            for close in self.on_close:
                await close()
            log.info("stopped component=%s", self.component)

    def describe(self) -> str:
        """key=value pairs for the `started` line."""
        return ""

    def _start(self, tg: asyncio.TaskGroup) -> list[asyncio.Task]:
        """Start what the process runs besides its runnables; the tasks to cancel last."""
        return []

    async def _stop(self) -> None:
        """Finish the work in hand (after health went NOT_SERVING, before the gRPC server stops)."""

    async def _run_tasks(self, tg: asyncio.TaskGroup, server: grpc.aio.Server) -> None:
        background = self._start(tg)
        if self.config.metrics_listen:
            background.append(tg.create_task(serve_metrics(self.config.metrics_listen, self.metrics),
                                              name="metrics"))
        background += [tg.create_task(fn(), name=name) for name, fn in self._runnables]
        await self.stopping.wait()
        log.info("shutting down component=%s", self.component)
        await self.health.enter_graceful_shutdown()
        await self._stop()
        for step in self.on_stop:
            await step()
        await stop_grpc_server(server, self._grpc_grace, self.component)
        for task in background:
            task.cancel()
        # A runnable that loses its cancellation would keep the TaskGroup, and so the process, waiting
        # forever: seen in CI, an API server alive minutes after "shutting down", its watch cache still
        # reading Redis. The cause found (Python 3.11's asyncio.wait_for, around every redis-py send) is
        # fixed by kubelab.aiocompat; this watchdog stays for any other.
        asyncio.get_running_loop().call_later(STOP_MARGIN, leave_now, self.component,
                                              f"a task did not end within {STOP_MARGIN:g}s of its cancellation")


STOP_MARGIN = 5.0
"""Seconds past its grace that a gRPC server's shutdown may take before the process leaves without it."""


async def stop_grpc_server(server: grpc.aio.Server, grace: float, component: str) -> None:
    """`server.stop(grace)`, bounded. grpc.aio's shutdown returns only once every call has ended; when it
    has not `grace + STOP_MARGIN` seconds later (seen once in CI on 2026-11-25, the API server silent after
    "shutting down", cause unknown), the stack of every task is logged and the process leaves at once: a
    process asked to stop must stop, and its state is in Redis or the API server, so nothing is lost."""
    stopping = asyncio.ensure_future(server.stop(grace))
    done, _ = await asyncio.wait([stopping], timeout=grace + STOP_MARGIN)
    if done:
        stopping.result()
        return
    leave_now(component, f"the gRPC server did not stop within {grace + STOP_MARGIN:g}s")


def leave_now(component: str, why: str) -> None:
    """Log the stack of every task still running, then exit at once (status 0: the process was asked to
    stop, and its state is in Redis or the API server, so nothing is lost)."""
    for task in asyncio.all_tasks():
        buf = io.StringIO()
        task.print_stack(limit=10, file=buf)
        log.error("task still running at shutdown component=%s task=%s stack=%r", component, task.get_name(),
                  buf.getvalue())
    log.error("%s, exiting now component=%s", why, component)
    logging.shutdown()
    os._exit(0)


def check_config(component: str, config: BaseConfig) -> None:
    """Exit with the config's errors, in Kubernetes' wording, before anything starts."""
    errors = config.validate()
    if errors:
        raise SystemExit(f"{component}: {aggregate_message(errors)}")


def run(component: str, config: BaseConfig, setup: Setup,
        new_process: Callable[[str, BaseConfig], Skeleton] = Skeleton) -> None:
    """The whole life of a process; returns after a clean shutdown."""
    check_config(component, config)
    logs.setup(component, config.log_level)
    aiocompat.install()  # no cancellation lost in asyncio.wait_for (Python 3.11)

    async def main() -> None:
        await new_process(component, config).serve(setup)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # before the signal handlers are in place
        pass
