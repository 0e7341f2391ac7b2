"""Shared informers: list, then watch from the list's resourceVersion, into an indexed local cache.

One `SharedInformer` per kind/namespace/selector per process (`InformerFactory` hands out the shared
one), so every controller in a process reads the same cache and the API server serves one watch.

The cache is read-only by construction: it keeps its own messages and every object that leaves
it is a fresh copy (`get`, `list`, `by_index`, and each handler gets its own copy), so nothing a
caller does can corrupt it. Copies of protobuf messages are cheap (a C-level copy).

Handler calls follow the API's history, never repeated or lost:
- watch events older than (or equal to) what the cache holds are dropped (a resumed stream may
  repeat one); an ADDED for a known object with a new uid is a delete then an add;
- when the watch's resourceVersion has expired (OUT_OF_RANGE, Kubernetes' 410 Gone) the informer
  relists and diffs the list against the cache: new keys -> `on_add`, changed resourceVersion ->
  `on_update`, another uid under the same key -> `on_delete` + `on_add`, keys gone -> `on_delete`
  with the last object the cache held (client-go wraps that in DeletedFinalStateUnknown; here it is
  simply the last known object, whose state at deletion is unknown);
- a broken stream is reopened from the last resourceVersion seen (`watch_restarts` counts both).
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.errors import ApiError, is_gone, is_service_unavailable
from kubelab.meta import copy_of, resource_version_of

__all__ = ["SharedInformer", "InformerFactory", "ResourceEventHandler", "Registration", "key_of", "split_key",
           "BY_NAMESPACE", "BY_NODE", "BY_OWNER", "BY_LABEL", "IndexFunc"]

log = logging.getLogger(__name__)

IndexFunc = Callable[[Message], Iterable[str]]
BY_NAMESPACE, BY_NODE, BY_OWNER, BY_LABEL = "namespace", "node", "owner", "label"


def key_of(obj: Message) -> str:
    """`namespace/name`, or `name` for cluster-scoped objects (client-go MetaNamespaceKeyFunc)."""
    m = obj.metadata
    return f"{m.namespace}/{m.name}" if m.namespace else m.name


def split_key(key: str) -> tuple[str, str]:
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else ("", key)


def _by_namespace(obj: Message) -> list[str]:
    return [obj.metadata.namespace]


def _by_node(obj: Message) -> list[str]:
    return [obj.spec.node_name] if obj.spec.node_name else []


def _by_owner(obj: Message) -> list[str]:
    return [ref.uid for ref in obj.metadata.owner_references]


def _by_label(obj: Message) -> list[str]:
    """`key=value` for every label: `by_index(BY_LABEL, "app=web")`."""
    return [f"{k}={v}" for k, v in obj.metadata.labels.items()]


@dataclass
class ResourceEventHandler:
    on_add: Callable[[Message], Any] | None = None
    on_update: Callable[[Message, Message], Any] | None = None
    on_delete: Callable[[Message], Any] | None = None


class Registration:
    """What `add_event_handler` returns; `remove()` stops the calls."""

    def __init__(self, informer: SharedInformer, handler: ResourceEventHandler):
        self.informer, self.handler = informer, handler

    def remove(self) -> None:
        if self in self.informer._registrations:
            self.informer._registrations.remove(self)


class SharedInformer:
    def __init__(self, client, kind: str, namespace: str = "", label_selector: str = "", field_selector: str = ""):
        self.client, self.kind = client, registry.lookup(kind).kind
        self.namespace, self.label_selector, self.field_selector = namespace, label_selector, field_selector
        self._items: dict[str, Message] = {}
        self._indexers: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        self._registrations: list[Registration] = []
        self._synced = asyncio.Event()
        self.resource_version = ""
        """The last resourceVersion the cache reflects."""
        self.watch_restarts = 0
        """Watches reopened (broken stream or expired version)."""
        self.relists = 0
        for name, fn in ((BY_NAMESPACE, _by_namespace), (BY_OWNER, _by_owner), (BY_LABEL, _by_label)):
            self.add_indexer(name, fn)
        if self.kind == "Pod":
            self.add_indexer(BY_NODE, _by_node)

    def __repr__(self) -> str:
        return f"SharedInformer({self.kind}, namespace={self.namespace!r}, labels={self.label_selector!r})"

    # --- reading the cache -------------------------------------------------------------------------

    def get(self, key: str) -> Message | None:
        obj = self._items.get(key)
        return copy_of(obj) if obj is not None else None

    def list(self, namespace: str | None = None) -> list[Message]:
        if namespace is None:
            return [copy_of(o) for o in self._items.values()]
        return self.by_index(BY_NAMESPACE, namespace)

    def by_index(self, index: str, value: str) -> list[Message]:
        keys = self._indices[index].get(value, ())
        return [copy_of(self._items[k]) for k in sorted(keys)]

    def keys(self) -> list[str]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        """Register an index; existing objects are indexed at once."""
        self._indexers[name] = fn
        self._indices[name] = {}
        for key, obj in self._items.items():
            self._index(name, key, obj, add=True)

    def _index(self, name: str, key: str, obj: Message, add: bool) -> None:
        index = self._indices[name]
        for value in self._indexers[name](obj):
            if add:
                index.setdefault(value, set()).add(key)
            elif value in index:
                index[value].discard(key)
                if not index[value]:
                    del index[value]

    def _store(self, key: str, obj: Message | None) -> None:
        old = self._items.pop(key, None)
        for name in self._indexers:
            if old is not None:
                self._index(name, key, old, add=False)
            if obj is not None:
                self._index(name, key, obj, add=True)
        if obj is not None:
            self._items[key] = obj

    # --- handlers ----------------------------------------------------------------------------------

    def add_event_handler(self, handler: ResourceEventHandler | None = None, *, on_add=None, on_update=None,
                          on_delete=None) -> Registration:
        """Register handlers; objects already in the cache are delivered to `on_add` first."""
        handler = handler or ResourceEventHandler(on_add, on_update, on_delete)
        reg = Registration(self, handler)
        self._registrations.append(reg)
        if handler.on_add is not None:
            for obj in list(self._items.values()):
                self._call(handler.on_add, obj)
        return reg

    def _emit(self, what: str, *objs: Message) -> None:
        for reg in list(self._registrations):
            fn = getattr(reg.handler, what)
            if fn is not None:
                self._call(fn, *objs)

    @staticmethod
    def _call(fn: Callable, *objs: Message) -> None:
        try:
            fn(*(copy_of(o) for o in objs))
        except Exception:
            log.exception("event handler failed handler=%r", fn)

    # --- applying the API's history ----------------------------------------------------------------

    def _apply(self, type_: str, obj: Message | None, resource_version: str) -> None:
        if obj is not None:
            key = key_of(obj)
            old = self._items.get(key)
            if type_ == "DELETED":
                if old is not None and resource_version_of(obj) >= resource_version_of(old):
                    self._store(key, None)
                    self._emit("on_delete", obj)
            elif old is None:
                self._store(key, obj)
                self._emit("on_add", obj)
            elif resource_version_of(obj) > resource_version_of(old):
                self._replace_one(key, old, obj)
        if resource_version:
            self.resource_version = resource_version

    def _replace_one(self, key: str, old: Message, new: Message) -> None:
        self._store(key, new)
        if old.metadata.uid != new.metadata.uid:  # deleted and recreated while we were not looking
            self._emit("on_delete", old)
            self._emit("on_add", new)
        else:
            self._emit("on_update", old, new)

    def _replace(self, items: list[Message], resource_version: str) -> None:
        """A fresh list: emit what changed since the cache was last right."""
        fresh = {key_of(o): o for o in items}
        for key in [k for k in self._items if k not in fresh]:
            old = self._items[key]
            self._store(key, None)
            self._emit("on_delete", old)
        for key, obj in fresh.items():
            old = self._items.get(key)
            if old is None:
                self._store(key, obj)
                self._emit("on_add", obj)
            elif old.metadata.resource_version != obj.metadata.resource_version:
                self._replace_one(key, old, obj)
        self.resource_version = resource_version

    # --- running -----------------------------------------------------------------------------------

    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_for_cache_sync(self, timeout: float | None = None) -> bool:
        """Wait until the first list is in the cache; False if `timeout` passed first."""
        try:
            async with asyncio.timeout(timeout):
                await self._synced.wait()
            return True
        except TimeoutError:
            return False

    async def run(self) -> None:
        """List and watch until cancelled, relisting whenever the watch's version has expired."""
        selectors = dict(namespace=self.namespace, label_selector=self.label_selector,
                         field_selector=self.field_selector)
        relist, delay = True, 0.1
        while True:
            try:
                if relist:
                    items, rv = await self.client.list(self.kind, **selectors)
                    self._replace(items, rv)
                    self.relists += 1
                    relist = False
                    self._synced.set()
                async for ev in self.client.watch(self.kind, resource_version=self.resource_version,
                                                  allow_bookmarks=True, resume=False, **selectors):
                    self._apply(ev.type, ev.object if ev.type != "BOOKMARK" else None, ev.resource_version)
                    delay = 0.1
                log.debug("watch ended, reopening kind=%s resource_version=%s", self.kind, self.resource_version)
            except ApiError as e:
                if is_gone(e):
                    log.info("watch expired, relisting kind=%s resource_version=%s", self.kind,
                             self.resource_version)
                    relist = True
                elif not is_service_unavailable(e):
                    log.warning("list/watch failed kind=%s reason=%s error=%s", self.kind, e.reason, e)
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, 5.0)
            self.watch_restarts += 1


class InformerFactory:
    """One informer per (kind, namespace, label selector, field selector) in a process."""

    def __init__(self, client):
        self.client = client
        self._informers: dict[tuple[str, str, str, str], SharedInformer] = {}
        self._tasks: dict[SharedInformer, asyncio.Task] = {}
        self._tg: asyncio.TaskGroup | None = None

    def informer(self, kind: str, namespace: str = "", label_selector: str = "",
                 field_selector: str = "") -> SharedInformer:
        key = (registry.lookup(kind).kind, namespace, label_selector, field_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = self._informers[key] = SharedInformer(self.client, *key)
            if self._tg is not None:
                self._start(inf)
        return inf

    def informers(self) -> list[SharedInformer]:
        return list(self._informers.values())

    def start(self, tg: asyncio.TaskGroup) -> None:
        """Run every informer (and any requested later) as a task of `tg`."""
        self._tg = tg
        for inf in self._informers.values():
            if inf not in self._tasks:
                self._start(inf)

    def _start(self, inf: SharedInformer) -> None:
        self._tasks[inf] = self._tg.create_task(inf.run(), name=f"informer:{inf.kind}")

    def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()

    async def wait_for_cache_sync(self, timeout: float | None = None) -> bool:
        results = await asyncio.gather(*(inf.wait_for_cache_sync(timeout) for inf in self._informers.values()))
        return all(results)
