"""Prometheus metrics of a component process, in the text format, over HTTP.

Names follow what Kubernetes components export, so dashboards and habits carry over:
`workqueue_depth`, `workqueue_adds_total`, `workqueue_retries_total` (client-go workqueue),
`controller_runtime_reconcile_total{controller,result}` and
`controller_runtime_reconcile_time_seconds` (controller-runtime), `leader_election_master_status`
(client-go), plus `kubelab_informer_watch_restarts_total`, `kubelab_informer_relists_total`,
`kubelab_informer_objects` and `kubelab_events_dropped_total`.

Queue, informer and election numbers are plain attributes of those objects, read at scrape time by a
collector, so the runtime modules do not depend on prometheus_client. The collector reads them from any
``Sources`` (a component process passes itself), so this module does not depend on ``kubelab.process`` either.
Reconciles are counted in plain dicts too, and prometheus_client (whose package init imports http.server,
wsgiref, urllib.request and ssl: about 25 ms of every component's start-up, issue 19) is imported only
when metrics are first read: a scrape, or a component that asks for the ``registry`` itself.
"""
from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["Metrics", "Sources", "serve_metrics"]

log = logging.getLogger(__name__)


class Sources(Protocol):
    """What the numbers are read from at scrape time: a Process has all four."""

    controllers: Iterable[Any]  # each with .name and .queue (depth, adds, retries)
    informers: Any  # .informers(): each with kind, namespace, label_selector, watch_restarts, relists, len()
    elector: Any  # None, or .name and .is_leader()
    events: Any  # .dropped


RECONCILE_BUCKETS = (.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60)
"""controller-runtime's reconcile time buckets (seconds); +Inf is implied."""


class Metrics:
    """One registry per process. `add_runtime` adds what a component process has: reconcile outcomes
    (`observe_reconcile` is the Controller's metrics hook) and the queue, informer, election and event
    numbers read from it at scrape time."""

    def __init__(self) -> None:
        self._registry: CollectorRegistry | None = None
        self._collectors: list[Any] = []
        self.reconciles: dict[tuple[str, str], int] = {}
        """(controller, result) -> reconciles."""
        self.reconcile_times: dict[str, list[float]] = {}
        """controller -> per-bucket counts (RECONCILE_BUCKETS, then +Inf), then the sum of seconds."""

    def add_runtime(self, proc: Sources) -> None:
        self.register(_ReconcileCollector(self))
        self.register(_RuntimeCollector(proc))

    def observe_reconcile(self, controller: str, result: str, seconds: float) -> None:
        key = (controller, result)
        self.reconciles[key] = self.reconciles.get(key, 0) + 1
        times = self.reconcile_times.get(controller)
        if times is None:
            times = self.reconcile_times[controller] = [0] * (len(RECONCILE_BUCKETS) + 2)
        times[bisect.bisect_left(RECONCILE_BUCKETS, seconds)] += 1
        times[-1] += seconds

    def register(self, collector: Any) -> None:
        """Add a collector (an object whose `collect()` yields metric families), as
        `CollectorRegistry.register` does, without importing prometheus_client until the first scrape."""
        if self._registry is None:
            self._collectors.append(collector)
        else:
            self._registry.register(collector)

    @property
    def registry(self) -> CollectorRegistry:
        """The process's prometheus_client registry (created, and the library imported, on first use)."""
        if self._registry is None:
            from prometheus_client import CollectorRegistry
            self._registry = CollectorRegistry()
            for collector in self._collectors:
                self._registry.register(collector)
            self._collectors.clear()
        return self._registry

    def exposition(self) -> tuple[str, bytes]:
        """(Content-Type, body) of the text format."""
        from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
        return CONTENT_TYPE_LATEST, generate_latest(self.registry)


class _ReconcileCollector:
    def __init__(self, metrics: Metrics):
        self.metrics = metrics

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
        from prometheus_client.utils import floatToGoString
        total = CounterMetricFamily("controller_runtime_reconcile", "Reconciles per controller and outcome.",
                                    labels=["controller", "result"])
        for (controller, result), n in sorted(self.metrics.reconciles.items()):
            total.add_metric([controller, result], n)
        yield total
        times = HistogramMetricFamily("controller_runtime_reconcile_time_seconds",
                                      "Time per reconcile, per controller.", labels=["controller"])
        bounds = [floatToGoString(b) for b in RECONCILE_BUCKETS] + ["+Inf"]
        for controller, counts in sorted(self.metrics.reconcile_times.items()):
            cumulative, running = [], 0
            for bound, n in zip(bounds, counts):
                running += n
                cumulative.append((bound, running))
            times.add_metric([controller], cumulative, sum_value=counts[-1])
        yield times


class _RuntimeCollector:
    def __init__(self, proc: Sources):
        self.proc = proc

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
        depth = GaugeMetricFamily("workqueue_depth", "Keys waiting in the work queue.", labels=["name"])
        adds = CounterMetricFamily("workqueue_adds", "Keys added to the work queue.", labels=["name"])
        retries = CounterMetricFamily("workqueue_retries", "Keys re-added with a delay.", labels=["name"])
        for c in self.proc.controllers:
            depth.add_metric([c.name], c.queue.depth)
            adds.add_metric([c.name], c.queue.adds)
            retries.add_metric([c.name], c.queue.retries)
        yield from (depth, adds, retries)
        labels = ["kind", "namespace", "selector"]
        restarts = CounterMetricFamily("kubelab_informer_watch_restarts", "Watches reopened.", labels=labels)
        relists = CounterMetricFamily("kubelab_informer_relists", "Full lists (first sync and after expiry).",
                                      labels=labels)
        objects = GaugeMetricFamily("kubelab_informer_objects", "Objects in the informer cache.", labels=labels)
        for inf in self.proc.informers.informers():
            key = [inf.kind, inf.namespace, inf.label_selector]
            restarts.add_metric(key, inf.watch_restarts)
            relists.add_metric(key, inf.relists)
            objects.add_metric(key, len(inf))
        yield from (restarts, relists, objects)
        if self.proc.elector is not None:
            g = GaugeMetricFamily("leader_election_master_status", "1 while this process leads.", labels=["name"])
            g.add_metric([self.proc.elector.name], 1 if self.proc.elector.is_leader() else 0)
            yield g
        dropped = CounterMetricFamily("kubelab_events_dropped", "Events dropped because the queue was full.")
        dropped.add_metric([], self.proc.events.dropped)
        yield dropped


async def serve_metrics(address: str, metrics: Metrics) -> None:
    """Serve GET /metrics on `address` (HOST:PORT) until cancelled."""
    host, _, port = address.rpartition(":")

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers
            parts = request.decode("latin-1").split()
            if len(parts) >= 2 and parts[0] == "GET" and parts[1].split("?")[0] in ("/metrics", "/"):
                status, (ctype, body) = "200 OK", metrics.exposition()
            else:
                status, ctype, body = "404 Not Found", "text/plain", b"not found\n"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host.strip("[]") or None, int(port))
    log.info("serving metrics address=%s", address)
    async with server:
        await server.serve_forever()
