"""Plumbing: informers on every kind the page draws -> dirty keys -> views -> the model's ops -> the hub.

Informer handlers only mark a key dirty (an Event also marks the pod it is about: the pod's view shows
its Multi-Attach and mount waits) and, for the kinds of the timeline, note the lines the change makes
(services/ui/timeline.py: the handler is the only place that sees old and new together); `run` turns dirty keys into current views from the caches in batches,
at most every `coalesce` seconds, so a burst of changes is one message and a page is updated well within a
second. Nothing here asks the API server anything but the informers' list and watch.
"""
from __future__ import annotations

import asyncio
import logging
import time

from google.protobuf.message import Message

from kubelab.informer import InformerFactory, SharedInformer, key_of
from services.ui.hub import Hub
from services.ui.model import Model, encode
from services.ui.timeline import change_views, changes
from services.ui.views import VIEWS, pod_view

__all__ = ["KINDS", "Watcher"]

log = logging.getLogger(__name__)

KINDS = ("Node", "Pod", *VIEWS)
BY_INVOLVED = "involved"


def _involved(ev: Message) -> list[str]:
    ref = ev.involved_object
    return [f"{ref.kind}:{ref.namespace}/{ref.name}" if ref.namespace else f"{ref.kind}:{ref.name}"]


class Watcher:
    def __init__(self, informers: InformerFactory, hub: Hub, coalesce: float = 0.05):
        self.hub, self.model, self.coalesce = hub, Model(), coalesce
        self.informers: dict[str, SharedInformer] = {kind: informers.informer(kind) for kind in KINDS}
        self.informers["Event"].add_indexer(BY_INVOLVED, _involved)
        self.dirty: set[tuple[str, str]] = set()
        self.wake = asyncio.Event()
        self.extra: dict[tuple[str, str], dict | None] = {}
        """Views from elsewhere than the API (components): applied with the next batch."""
        for kind, inf in self.informers.items():
            inf.add_event_handler(on_add=lambda o, k=kind: self.touch(k, o, None, o),
                                  on_update=lambda old, new, k=kind: self.touch(k, new, old, new),
                                  on_delete=lambda o, k=kind: self.touch(k, o, o, None))

    def touch(self, kind: str, obj: Message, old: Message | None = None, new: Message | None = None) -> None:
        self.dirty.add((kind, key_of(obj)))
        lines = changes(kind, old, new, self.informers[kind].has_synced, time.time())
        if lines:
            self.extra.update(change_views(lines))
        if kind == "Event" and obj.involved_object.kind == "Pod":
            ref = obj.involved_object
            self.dirty.add(("Pod", f"{ref.namespace}/{ref.name}"))
        self.wake.set()

    def put_views(self, views: dict[tuple[str, str], dict | None]) -> None:
        self.extra.update(views)
        self.wake.set()

    def events_of(self, kind: str, key: str) -> list[Message]:
        return self.informers["Event"].by_index(BY_INVOLVED, f"{kind}:{key}")

    def current(self, kind: str, key: str) -> dict | None:
        obj = self.informers[kind].get(key)
        if obj is None:
            return None
        if kind == "Pod":
            return pod_view(obj, self.events_of("Pod", key))
        return VIEWS[kind](obj)

    def flush(self) -> None:
        dirty, self.dirty = self.dirty, set()
        current = {dk: self.current(*dk) for dk in dirty}
        current.update(self.extra)
        self.extra = {}
        ops = self.model.apply(current)
        if ops:
            self.hub.publish(encode({"type": "batch", "ops": ops}))

    def snapshot(self) -> bytes:
        return encode(self.model.snapshot())

    async def run(self) -> None:
        while True:
            await self.wake.wait()
            await asyncio.sleep(self.coalesce)
            self.wake.clear()
            try:
                self.flush()
            except Exception:  # a bad object must not stop the page's updates
                log.exception("building the page's views failed")
