"""The API server's own Prometheus numbers, read from the watch cache at scrape time: objects per kind
(kube-apiserver's `apiserver_storage_objects{resource}`) and the revision the cache has reached."""
from __future__ import annotations

from kubelab.api import registry
from services.apiserver.watchcache import WatchCache

__all__ = ["StorageCollector", "resource_name"]


def resource_name(kind: str) -> str:
    """The resource label kube-apiserver gives a kind: its qualified resource name (`pods`,
    `deployments.apps`)."""
    try:
        return registry.by_kind(kind).resource
    except registry.UnknownKind:
        return kind


class StorageCollector:
    def __init__(self, cache: WatchCache):
        self.cache = cache

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily  # at the first scrape (kubelab.metrics)
        objects = GaugeMetricFamily("apiserver_storage_objects", "Objects stored, per kind.", labels=["resource"])
        for kind, objs in sorted(self.cache.objects.items()):
            objects.add_metric([resource_name(kind)], len(objs))
        yield objects
        rev = GaugeMetricFamily("kubelab_watch_cache_revision", "The store revision the watch cache has applied.")
        rev.add_metric([], self.cache.rev)
        yield rev
