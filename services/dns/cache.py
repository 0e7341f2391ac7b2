"""The DNS server's view of the cluster: informers on Namespaces, Services and EndpointSlices (read-only
caches that list, then watch), their objects reduced to what DNS needs, and a Snapshot rebuilt from them
when a query comes after a change (CoreDNS's dnsControl in `plugin/kubernetes/controller.go`).

While the API server is unreachable the informers keep what they last had, so the server answers from
it: a partitioned cluster DNS serves stale names, which is what a partitioned CoreDNS does.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.informer import InformerFactory, key_of
from services.dns.snapshot import ServiceEntry, SliceEntry, Snapshot

__all__ = ["ClusterCache"]

log = logging.getLogger(__name__)


class ClusterCache:
    def __init__(self, informers: InformerFactory, clock: Callable[[], float] = time.time):
        self.clock = clock
        self._namespaces: set[str] = set()
        self._services: dict[str, ServiceEntry] = {}
        self._slices: dict[str, SliceEntry] = {}
        self._snapshot: Snapshot | None = None
        self.modified = int(clock())
        """Unix seconds of the last change seen: the SOA serial."""
        self.informers = []
        for kind, store in (("Namespace", self._put_namespace), ("Service", self._put_service),
                            ("EndpointSlice", self._put_slice)):
            inf = informers.informer(kind)
            inf.add_event_handler(on_add=lambda obj, store=store: store(obj, True),
                                  on_update=lambda old, new, store=store: store(new, True),
                                  on_delete=lambda obj, store=store: store(obj, False))
            self.informers.append(inf)

    @property
    def synced(self) -> bool:
        return all(inf.has_synced for inf in self.informers)

    def snapshot(self) -> Snapshot:
        snap = self._snapshot
        if snap is None or snap.synced != self.synced:
            snap = self._snapshot = Snapshot.build(self._namespaces, self._services.values(),
                                                   self._slices.values(), self.modified, self.synced)
        return snap

    def counts(self) -> str:
        return f"namespaces={len(self._namespaces)} services={len(self._services)} endpointslices={len(self._slices)}"

    def note_api(self, reachable: bool) -> None:
        """Say what a partition means for DNS (the process's API probe calls this on each change)."""
        if reachable:
            log.warning("apiserver reachable again: answers follow the cluster again %s", self.counts())
        else:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.modified))
            log.warning("apiserver unreachable: answering from the last cache, names may be stale "
                        "last_change=%s %s", stamp, self.counts())

    def _changed(self) -> None:
        self._snapshot = None
        self.modified = int(self.clock())

    def _put_namespace(self, ns: Message, present: bool) -> None:
        (self._namespaces.add if present else self._namespaces.discard)(ns.metadata.name)
        self._changed()

    def _put_service(self, svc: Message, present: bool) -> None:
        if present:
            self._services[key_of(svc)] = ServiceEntry.from_proto(svc)
        else:
            self._services.pop(key_of(svc), None)
        self._changed()

    def _put_slice(self, eps: Message, present: bool) -> None:
        entry = SliceEntry.from_proto(eps) if present else None
        if entry is not None:
            self._slices[key_of(eps)] = entry
        else:
            self._slices.pop(key_of(eps), None)
        self._changed()
