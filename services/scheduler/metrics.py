"""The scheduler's Prometheus metrics, named as kube-scheduler's: `scheduler_pending_pods{queue}`,
`scheduler_schedule_attempts_total{result}` (scheduled, unschedulable+error as failed) and
`scheduler_cache_size{type}`."""
from __future__ import annotations

__all__ = ["register_metrics"]

_QUEUES = {"active": "active", "backoff": "backoff", "unschedulable": "unschedulable", "gated": "gated"}


class _Collector:
    def __init__(self, sched):
        self.sched = sched

    def collect(self):
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily  # at the first scrape
        s = self.sched
        pending = GaugeMetricFamily("scheduler_pending_pods", "Pending pods, by queue.", labels=["queue"])
        counts = s.queue.counts() if s.queue is not None else {}
        for where, label in _QUEUES.items():
            pending.add_metric([label], counts.get(where, 0))
        yield pending
        attempts = CounterMetricFamily("scheduler_schedule_attempts", "Scheduling attempts by result.",
                                       labels=["result"])
        attempts.add_metric(["scheduled"], s.scheduled)
        attempts.add_metric(["unschedulable"], s.failed)
        yield attempts
        size = GaugeMetricFamily("scheduler_cache_size", "Nodes and pods in the scheduler cache.", labels=["type"])
        if s.cache is not None:
            size.add_metric(["nodes"], len(s.cache.node_infos()))
            size.add_metric(["pods"], s.cache.pod_count())
        yield size


def register_metrics(registry, sched) -> None:
    """Add the scheduler's collector to `registry` (a CollectorRegistry, or the process's Metrics, which
    imports prometheus_client only when first scraped)."""
    registry.register(_Collector(sched))
