"""The API server's own Prometheus numbers, read from the watch cache at scrape time: objects per kind
(kube-apiserver's `apiserver_storage_objects{resource}`) and the revision the cache has reached."""
from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from services.apiserver.watchcache import WatchCache

__all__ = ["StorageCollector"]


class StorageCollector:
    def __init__(self, cache: WatchCache):
        self.cache = cache

    def collect(self):
        objects = GaugeMetricFamily("apiserver_storage_objects", "Objects stored, per kind.", labels=["resource"])
        for kind, objs in sorted(self.cache.objects.items()):
            objects.add_metric([kind], len(objs))
        yield objects
        rev = GaugeMetricFamily("kubelab_watch_cache_revision", "The store revision the watch cache has applied.")
        rev.add_metric([], self.cache.rev)
        yield rev
