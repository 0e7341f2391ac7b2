"""The skeleton every component process runs in: kubelab.skeleton's, plus an API client, shared
informers, events, controllers and leader election (everything but the API server).

    @dataclass(frozen=True)
    class Config(ProcessConfig):
        workers: int = 5
        \"\"\"Reconciles of each controller that may run at once.\"\"\"

    def setup(proc: Process) -> None:
        cfg: Config = proc.config
        proc.add_controller(Controller("replicaset", Reconciler(proc), proc.informers, for_kind="ReplicaSet",
                                       workers=cfg.workers))

    def main(argv: list[str] | None = None) -> None:
        run("replicaset", new_config(Config, argv, prog="python -m services.replicaset"), setup)

Configuration is kubelab.config's (`new_config`, `validate()`). `run` is kubelab.skeleton's with this
Process: one asyncio TaskGroup owns the gRPC health (and reflection) server on `--listen`, Prometheus
metrics over HTTP on `--metrics-listen`, the shared informers, the event recorder and, while leading
(always, without `--leader-elect`), the controllers. SIGTERM/SIGINT: health goes NOT_SERVING,
controllers finish the key in hand (up to `shutdown_grace`), the lease is released, pending events are
flushed, the rest is cancelled.

Health: service "" is SERVING once the informers' caches have synced; with leader election the
service "leader" is SERVING on the leader and NOT_SERVING on standbys (what `kubelab ps` can show).
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc

from kubelab import fielderrors, skeleton
from kubelab.api.v1 import apiserver_pb2
from kubelab.client import Client
from kubelab.config import BaseConfig
from kubelab.controller import Controller
from kubelab.errors import is_not_found
from kubelab.events import EventRecorder
from kubelab.fielderrors import FieldError
from kubelab.informer import InformerFactory
from kubelab.leaderelection import LeaderElectionConfig, LeaderElector, default_identity
from kubelab.skeleton import NOT_SERVING, SERVING, Setup, Skeleton

__all__ = ["ProcessConfig", "Process", "run", "LEADER_SERVICE", "MODE_SERVICE", "SERVING", "NOT_SERVING"]

log = logging.getLogger(__name__)

LEADER_SERVICE = "leader"
MODE_SERVICE = "mode/"
"""A component that runs in one of several modes sets health service `mode/<mode>` SERVING (kube-proxy:
nftables or userspace); `kubelab ps` shows the mode as its ROLE."""


@dataclass(frozen=True)
class ProcessConfig(BaseConfig):
    apiserver: str = "127.0.0.1:6443"
    """HOST:PORT of the API server."""
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

    def leader_election(self) -> LeaderElectionConfig:
        return LeaderElectionConfig(self.leader_elect_lease_duration, self.leader_elect_renew_deadline,
                                    self.leader_elect_retry_period)

    def validate(self) -> list[FieldError]:
        errors = super().validate()
        if self.leader_elect:
            try:
                self.leader_election().validate()
            except ValueError as e:
                errors.append(fielderrors.invalid("--leader-elect-lease-duration", self.leader_elect_lease_duration,
                                                  str(e)))
        return errors


class Process(Skeleton):
    """One component process: the skeleton's, with an API client, shared informers, events, controllers and
    leader election."""

    config: ProcessConfig

    def __init__(self, component: str, config: ProcessConfig):
        super().__init__(component, config)
        self.client = Client(config.apiserver)
        self.informers = InformerFactory(self.client)
        self.events = EventRecorder(self.client, component)
        self.metrics.add_runtime(self)
        self.controllers: list[Controller] = []
        self._leader_runnables: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self.elector: LeaderElector | None = None
        if config.leader_elect:
            identity = config.leader_elect_identity or default_identity(os.environ.get("KUBELAB_COMPONENT", ""))
            self.elector = LeaderElector(self.client, config.leader_elect_resource_name or component,
                                         config.leader_elect_resource_namespace, identity,
                                         config.leader_election(), events=self.events)
        self.on_api_reachability: list[Callable[[bool], None]] = []
        """Called with False when the API server stops answering, True when it answers again."""
        self._work: asyncio.Task | None = None
        self._events_task: asyncio.Task | None = None
        self.on_close.append(self.client.close)

    def is_leader(self) -> bool:
        return self.elector is None or self.elector.is_leader()

    def add_controller(self, controller: Controller) -> Controller:
        """Run `controller` while leading; it asks `is_leader()` before each reconcile."""
        controller.can_act, controller.metrics = self.is_leader, self.metrics
        self.controllers.append(controller)
        return controller

    def add_runnable(self, name: str, fn: Callable[[], Awaitable[None]], *, leader_only: bool = True) -> None:
        """Run `fn()` as a task: only while leading (cancelled when leadership is lost), or always."""
        if leader_only:
            self._leader_runnables.append((name, fn))
        else:
            super().add_runnable(name, fn)

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
            for name, fn in self._leader_runnables:
                tg.create_task(fn(), name=name)

    async def _report_health(self) -> None:
        """Health service "" SERVING once the caches have synced; "leader" following the elector's
        transitions (events, not polling)."""
        await self.informers.wait_for_cache_sync()
        await self.health.set("", SERVING)
        if self.elector is None:
            return
        changed = asyncio.Event()
        self.elector.on_change.append(lambda _leading: changed.set())
        leading = None
        while True:
            changed.clear()
            if self.is_leader() != leading:
                leading = self.is_leader()
                await self.health.set(LEADER_SERVICE, SERVING if leading else NOT_SERVING)
            await changed.wait()

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

    def describe(self) -> str:
        return f"apiserver={self.config.apiserver} leader_elect={self.config.leader_elect}"

    def _start(self, tg: asyncio.TaskGroup) -> list[asyncio.Task]:
        self._events_task = tg.create_task(self.events.run(), name="events")
        background = [tg.create_task(self._report_health(), name="health"),
                      tg.create_task(self._probe_api(), name="api-probe")]
        self.informers.start(tg)
        self._work = tg.create_task(self.elector.run(self._lead) if self.elector else self._lead(), name="work")
        return background

    async def _stop(self) -> None:
        for c in self.controllers:
            c.shut_down()
        if self.is_leader():  # a standby has nothing in flight
            await asyncio.wait([self._work], timeout=self.config.shutdown_grace)
        self._work.cancel()
        await asyncio.wait([self._work])  # the lease is released here (client-go ReleaseOnCancel)
        self.informers.stop()
        self._events_task.cancel()
        await asyncio.wait([self._events_task])
        await self.events.flush()

def run(component: str, config: ProcessConfig, setup: Setup) -> None:
    """The whole life of a component process; returns after a clean shutdown."""
    skeleton.run(component, config, setup, Process)
