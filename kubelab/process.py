"""The skeleton every component process runs in.

    @dataclass(frozen=True)
    class Config(ProcessConfig):
        workers: int = 5
        \"\"\"Reconciles of each controller that may run at once.\"\"\"

    async def setup(proc: Process) -> None:
        proc.add_controller(Controller("replicaset", Reconciler(proc), proc.informers, for_kind="ReplicaSet"))

    def main() -> None:
        run("replicaset", new_config(Config, prog="python -m services.replicaset"), setup)

`new_config` fills the frozen dataclass from flags (`--field-name`), then the environment
(`KUBELAB_FIELD_NAME`, or the name in the field's `metadata={"env": ...}`), then the field default;
each field's docstring is its `--help` text.
`run` sets up key=value logs, then one asyncio TaskGroup owns everything: the gRPC health (and
reflection) server on `--listen`, Prometheus metrics over HTTP on `--metrics-listen`, the shared
informers, the event recorder and, while leading (always, without `--leader-elect`), the
controllers. SIGTERM/SIGINT: health goes NOT_SERVING, controllers finish the key in hand (up to
`shutdown_grace`), the lease is released, pending events are flushed, the rest is cancelled.

Health: service "" is SERVING once the informers' caches have synced; with leader election the
service "leader" is SERVING on the leader and NOT_SERVING on standbys (what `kubelab ps` can show).
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import dataclasses
import inspect
import io
import logging
import os
import re
import signal
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from kubelab import logs
from kubelab.api.v1 import apiserver_pb2
from kubelab.client import Client
from kubelab.controller import Controller
from kubelab.errors import is_not_found
from kubelab.events import EventRecorder
from kubelab.informer import InformerFactory
from kubelab.leaderelection import LeaderElectionConfig, LeaderElector, default_identity
from kubelab.metrics import Metrics, serve_metrics

__all__ = ["ProcessConfig", "Process", "new_config", "run", "parse_duration", "LEADER_SERVICE", "MODE_SERVICE"]

log = logging.getLogger(__name__)

LEADER_SERVICE = "leader"
MODE_SERVICE = "mode/"
"""A component that runs in one of several modes sets health service `mode/<mode>` SERVING (kube-proxy:
nftables or userspace); `kubelab ps` shows the mode as its ROLE."""
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True)
class ProcessConfig:
    apiserver: str = "127.0.0.1:6443"
    """HOST:PORT of the API server."""
    listen: str = "127.0.0.1:0"
    """HOST:PORT of this process's gRPC health (and reflection) service."""
    metrics_listen: str = ""
    """HOST:PORT serving Prometheus metrics at /metrics over HTTP; empty: no metrics server."""
    log_level: str = "info"
    """debug, info, warning or error."""
    cluster_dir: str = ""
    """The cluster's state dir (docs/conventions.md); only components that keep files use it."""
    leader_elect: bool = False
    """Run the controllers only while holding the component's Lease."""
    leader_elect_lease_duration: float = 15.0
    """Seconds a standby waits after the lease last changed before taking it over."""
    leader_elect_renew_deadline: float = 10.0
    """Seconds the leader keeps acting without renewing before it stops."""
    leader_elect_retry_period: float = 2.0
    """Seconds between attempts to acquire or renew the lease."""
    leader_elect_resource_name: str = ""
    """Name of the Lease; empty: the component's name."""
    leader_elect_resource_namespace: str = "kube-system"
    """Namespace of the Lease."""
    leader_elect_identity: str = ""
    """This replica's identity in the Lease; empty: hostname, instance and a random suffix."""
    shutdown_grace: float = 10.0
    """Seconds to let in-flight reconciles finish on SIGTERM before cancelling them."""


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds from `2.5` or a Go duration as Kubernetes flags take them (`15s`, `500ms`, `1m30s`)."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r} (examples: 15s, 500ms, 1m, 2.5)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "t", "yes"):
        return True
    if text.lower() in ("0", "false", "f", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean {text!r} (true or false)")


def field_docs(cls: type) -> dict[str, str]:
    """Attribute docstrings (a string right after `name: type = default`) of cls and its bases."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(inspect.getsource(klass).strip())
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for stmt, nxt in zip(body, body[1:]):
            if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[stmt.target.id] = " ".join(nxt.value.value.split())
    return docs


def new_config(cls: type, argv: list[str] | None = None, environ: typing.Mapping[str, str] | None = None,
               prog: str | None = None, description: str | None = None):
    """An instance of the frozen dataclass `cls`: flags, else KUBELAB_* environment, else defaults.

    Not only ProcessConfig subclasses: the API server's Config (no API client, no informers) too."""
    environ = os.environ if environ is None else environ
    hints, docs = typing.get_type_hints(cls), field_docs(cls)
    p = argparse.ArgumentParser(prog=prog, description=description,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for f in dataclasses.fields(cls):
        typ = hints[f.name]
        conv = {bool: _parse_bool, float: parse_duration, int: int}.get(typ, str)
        env = f.metadata.get("env", "KUBELAB_" + f.name.upper())
        try:
            default = conv(environ[env]) if env in environ else f.default
        except (ValueError, argparse.ArgumentTypeError) as e:
            p.error(f"environment {env}: {e}")
        kw = dict(nargs="?", const=True) if typ is bool else {}
        p.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=conv, default=default,
                       help=f"{docs.get(f.name, '')} (env {env})", **kw)
    return cls(**vars(p.parse_args(argv)))


class Process:
    """One component process: its config, API client, shared informers, events, metrics and election."""

    def __init__(self, component: str, config: ProcessConfig):
        self.component, self.config = component, config
        self.client = Client(config.apiserver)
        self.informers = InformerFactory(self.client)
        self.events = EventRecorder(self.client, component)
        self.metrics = Metrics(self)
        self.controllers: list[Controller] = []
        self._runnables: list[tuple[str, Callable[[], Awaitable[None]], bool]] = []
        self.stopping = asyncio.Event()
        """Set on SIGTERM: long-running runnables should return."""
        self.elector: LeaderElector | None = None
        if config.leader_elect:
            le = LeaderElectionConfig(config.leader_elect_lease_duration, config.leader_elect_renew_deadline,
                                      config.leader_elect_retry_period)
            identity = config.leader_elect_identity or default_identity(os.environ.get("KUBELAB_COMPONENT", ""))
            self.elector = LeaderElector(self.client, config.leader_elect_resource_name or component,
                                         config.leader_elect_resource_namespace, identity, le, events=self.events)
        self.health = health.aio.HealthServicer()
        self.port = 0
        self.on_api_reachability: list[Callable[[bool], None]] = []
        """Called with False when the API server stops answering, True when it answers again."""

    def is_leader(self) -> bool:
        return self.elector is None or self.elector.is_leader()

    def add_controller(self, controller: Controller) -> Controller:
        """Run `controller` while leading; it asks `is_leader()` before each reconcile."""
        controller.can_act, controller.metrics = self.is_leader, self.metrics
        self.controllers.append(controller)
        return controller

    def add_runnable(self, name: str, fn: Callable[[], Awaitable[None]], *, leader_only: bool = True) -> None:
        """Run `fn()` as a task: only while leading (cancelled when leadership is lost), or always."""
        self._runnables.append((name, fn, leader_only))

    def recorder(self, source: str) -> EventRecorder:
        """An event recorder of its own for one controller, named as Kubernetes names that controller's
        (`node-controller`, `statefulset-controller`: `kubelab describe` shows it under From). Its
        pending events are flushed when the process stops."""
        events = EventRecorder(self.client, source)

        async def write() -> None:
            try:
                await events.run()
            finally:
                await asyncio.shield(events.flush())
        self.add_runnable(f"events:{source}", write, leader_only=False)
        return events

    async def _lead(self) -> None:
        async with asyncio.TaskGroup() as tg:
            for c in self.controllers:
                tg.create_task(c.run(), name=f"controller:{c.name}")
            for name, fn, leader_only in self._runnables:
                if leader_only:
                    tg.create_task(fn(), name=name)

    async def _report_health(self) -> None:
        await self.informers.wait_for_cache_sync()
        await self.health.set("", SERVING)
        leading = None
        while self.elector is not None:
            if self.is_leader() != leading:
                leading = self.is_leader()
                await self.health.set(LEADER_SERVICE, SERVING if leading else NOT_SERVING)
            await asyncio.sleep(0.1)

    async def _probe_api(self, interval: float = 2.0, failures_allowed: int = 2) -> None:
        """NOT_SERVING while the API server cannot be reached (e.g. `kubelab partition`), SERVING again after."""
        await self.informers.wait_for_cache_sync()
        request = apiserver_pb2.GetRequest(kind="Namespace", name="default")
        failures, serving = 0, True
        while True:
            await asyncio.sleep(interval)
            try:
                await self.client.stub.Get(request, timeout=interval)
                ok = True
            except grpc.RpcError as e:
                ok = is_not_found(e)  # answered: reachable
            failures = 0 if ok else failures + 1
            if serving != (failures < failures_allowed):
                serving = not serving
                log.warning("apiserver %s component=%s", "reachable again" if serving else "unreachable",
                            self.component)
                await self.health.set("", SERVING if serving else NOT_SERVING)
                for fn in self.on_api_reachability:
                    fn(serving)

    async def serve(self, setup: Callable[[Process], Awaitable[None] | None]) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        server = grpc.aio.server()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection([health.SERVICE_NAME, reflection.SERVICE_NAME], server)
        self.port = server.add_insecure_port(self.config.listen)
        if self.port == 0:
            raise SystemExit(f"cannot listen on {self.config.listen}")
        await self.health.set("", NOT_SERVING)
        await server.start()
        maybe = setup(self)
        if inspect.isawaitable(maybe):
            await maybe
        log.info("started component=%s listen=%s apiserver=%s leader_elect=%s", self.component,
                 self.config.listen, self.config.apiserver, self.config.leader_elect)
        try:
            async with asyncio.TaskGroup() as tg:
                await self._run_tasks(tg)
        finally:
            await stop_grpc_server(server, 1.0, self.component)
            await self.client.close()
            log.info("stopped component=%s", self.component)

    async def _run_tasks(self, tg: asyncio.TaskGroup) -> None:
        events = tg.create_task(self.events.run(), name="events")
        background = [tg.create_task(self._report_health(), name="health"),
                      tg.create_task(self._probe_api(), name="api-probe")]
        if self.config.metrics_listen:
            background.append(tg.create_task(serve_metrics(self.config.metrics_listen, self.metrics)))
        self.informers.start(tg)
        background += [tg.create_task(fn(), name=name) for name, fn, leader_only in self._runnables
                       if not leader_only]
        work = tg.create_task(self.elector.run(self._lead) if self.elector else self._lead(), name="work")
        await self.stopping.wait()
        log.info("shutting down component=%s", self.component)
        await self.health.enter_graceful_shutdown()
        for c in self.controllers:
            c.shut_down()
        if self.is_leader():  # a standby has nothing in flight
            await asyncio.wait([work], timeout=self.config.shutdown_grace)
        work.cancel()
        await asyncio.wait([work])  # the lease is released here (client-go ReleaseOnCancel)
        self.informers.stop()
        events.cancel()
        await asyncio.wait([events])
        await self.events.flush()
        for task in background:
            task.cancel()


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
    for task in asyncio.all_tasks():
        buf = io.StringIO()
        task.print_stack(limit=10, file=buf)
        log.error("task still running at shutdown component=%s task=%s stack=%r", component, task.get_name(),
                  buf.getvalue())
    log.error("the gRPC server did not stop within %gs, exiting now component=%s", grace + STOP_MARGIN,
              component)
    logging.shutdown()
    os._exit(0)


def run(component: str, config: ProcessConfig, setup: Callable[[Process], Awaitable[None] | None]) -> None:
    """The whole life of a component process; returns after a clean shutdown."""
    logs.setup(component, config.log_level)
    if config.leader_elect:
        try:
            LeaderElectionConfig(config.leader_elect_lease_duration, config.leader_elect_renew_deadline,
                                 config.leader_elect_retry_period).validate()
        except ValueError as e:
            raise SystemExit(f"invalid leader election flags: {e}") from None

    async def main() -> None:
        await Process(component, config).serve(setup)

    asyncio.run(main())
