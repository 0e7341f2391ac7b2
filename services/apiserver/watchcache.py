"""The watch cache: every object in memory, a ring of recent changes, and watcher fan-out.

It tails the store's event stream. Lists are served from memory once the cache has
caught up with the store's current revision; each watcher gets its own bounded queue,
and one that falls behind is cut off (it resumes by resourceVersion) so writers and
other watchers never wait for it.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time
import uuid
from collections import defaultdict, deque
from typing import Callable, Iterable

import redis.exceptions

from services.apiserver.cached import Cached, new_cached
from services.apiserver.store import Change, Store

log = logging.getLogger(__name__)

EPOCH = "kl:epoch"
# After a read that brought changes, the next waits this long (seconds): Redis answers a blocked read as
# soon as one write of a pipeline is in, so under a steady stream of writes each read brought one or two
# changes and cost a round trip each; a millisecond lets a busy cache take several per read (a few
# percent of a create's CPU) and adds at most that to a watch event's way, nothing when writes are rare.
READ_COALESCE = 0.001
ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


class TooOld(Exception):
    """The requested resourceVersion is older than the retained history."""


class NotReady(Exception):
    """The cache cannot answer now (Redis unreachable, or not caught up in time)."""


class TooLarge(NotReady):
    """The requested resourceVersion is newer than anything this cache has seen in time."""


class WatchClosed(Exception):
    """A watcher was ended by the server; ``reason`` says why, ``code`` is a gRPC code name."""

    def __init__(self, reason: str, code: str):
        super().__init__(reason)
        self.reason, self.code = reason, code


class Watcher:
    def __init__(self, kind: str, matches: Callable[[Cached], bool], max_queue: int):
        self.kind = kind
        self.matches = matches
        self.max_queue = max_queue
        self._queue: deque[tuple[str, Cached]] = deque()
        self._wake = asyncio.Event()
        self.closed: WatchClosed | None = None

    def push(self, etype: str, obj: Cached) -> None:
        if self.closed:
            return
        if len(self._queue) >= self.max_queue:
            self.close(WatchClosed(f"watcher could not keep up ({self.max_queue} events queued); "
                                   "resume from the last resourceVersion received", "RESOURCE_EXHAUSTED"))
            return
        self._queue.append((etype, obj))
        self._wake.set()

    def close(self, why: WatchClosed) -> None:
        if not self.closed:
            self.closed = why
            self._wake.set()

    def offer(self, etype: str, new: Cached, prev: Cached | None) -> None:
        """Translate one change through this watcher's filter, as Kubernetes' cacher does."""
        if etype == ADDED:
            if self.matches(new):
                self.push(ADDED, new)
        elif etype == DELETED:
            if self.matches(prev or new):
                self.push(DELETED, new)
        else:
            now, before = self.matches(new), prev is not None and self.matches(prev)
            if now:
                self.push(MODIFIED if before else ADDED, new)
            elif before:
                self.push(DELETED, new)

    async def next(self, timeout: float | None) -> tuple[str, Cached] | None:
        """The next event; None when timeout passes first. Queued events drain before a close."""
        while True:
            if self._queue:
                return self._queue.popleft()
            if self.closed:
                raise self.closed
            self._wake.clear()
            try:
                # Not asyncio.wait_for: on 3.11 it returns the result when the wake-up and a cancellation come
                # in the same loop iteration, and the cancelled watch handler (its client gone, the server
                # stopping) would carry on and hold the server's shutdown.
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                return None

    def drain(self, max_events: int, max_bytes: int) -> list[tuple[str, Cached]]:
        """The events queued now, oldest first, as many as fit both bounds (object bytes counted).
        Never waits, so a batch leaves with whatever is there; a close still waits for next()."""
        out: list[tuple[str, Cached]] = []
        q = self._queue
        while q and len(out) < max_events:
            size = len(q[0][1].wrapped)
            if size > max_bytes:
                break
            max_bytes -= size
            out.append(q.popleft())
        return out


class WatchCache:
    def __init__(self, store: Store, kinds: Iterable[str], history: int, max_queue: int = 1000,
                 on_reset: Callable[[], object] | None = None):
        self.store = store
        self.kinds = list(kinds)
        self.max_queue = max_queue
        self.objects: dict[str, dict[str, Cached]] = {k: {} for k in self.kinds}
        self.history: deque[tuple[str, Cached, Cached | None]] = deque(maxlen=history)
        self.rev = 0
        self.on_ready_change: list[Callable[[bool], object]] = []
        """Called with the new value each time `ready` changes (the API server's health follows it)."""
        self._ready = False
        self.resetting = False
        """True from a reload after Redis lost its data until on_reset has written what exists from the
        start again: the cache is ready (on_reset's writes need it), but not yet what clients should read."""
        self.epoch: str | None = None
        self.watchers: dict[str, set[Watcher]] = defaultdict(set)
        self._advanced = asyncio.Event()
        self._on_reset = on_reset
        self._unfrozen = 0

    @property
    def ready(self) -> bool:
        """True while the cache follows Redis: loaded, and Redis answering with the history it was built from."""
        return self._ready

    @ready.setter
    def ready(self, value: bool) -> None:
        if value != self._ready:
            self._ready = value
            self._tell_ready()

    def _tell_ready(self) -> None:
        for fn in self.on_ready_change:
            fn(self._ready)

    # ---- feeding ----

    async def run(self) -> None:
        """Tail the stream forever; reload when Redis lost data or history outran us."""
        backoff = 0.1
        need_reload = True
        last_said = 0.0
        while True:
            try:
                if need_reload:
                    await self._reload()
                    need_reload = False
                changes = await self.store.read_changes(self.rev, block_ms=1000)
                # after an outage, check Redis kept its data before serving again: a busy cluster's stream
                # always has changes, so this cannot wait for an idle read
                if not changes or not self.ready:
                    need_reload = await self._lost_data()
                if changes and not need_reload:
                    need_reload = self._apply_all(changes)
                    await asyncio.sleep(READ_COALESCE)
                backoff = 0.1
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as e:
                now = time.monotonic()
                if self.ready:
                    log.warning("redis unreachable, watch cache paused error=%r", str(e))
                    last_said = now
                elif now - last_said >= 10:
                    log.warning("redis still unreachable error=%r", str(e))
                    last_said = now
                self.ready = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
                need_reload = need_reload or await self._safe_lost_data()

    async def _safe_lost_data(self) -> bool:
        try:
            return await self._lost_data()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
            return False

    async def _lost_data(self) -> bool:
        """True when Redis no longer holds the history this cache was built from."""
        epoch = await self.store.redis.get(EPOCH)
        cur = await self.store.current_revision()
        if epoch is None or epoch.decode() != self.epoch or cur < self.rev:
            log.error("redis lost data (its epoch or revision went back), ending every watch so clients "
                      "relist revision=%d cache_revision=%d", cur, self.rev)
            return True
        if not self.ready:
            log.info("redis reachable again, watch cache resumed revision=%d", self.rev)
        self.ready = True
        return False

    async def _reload(self) -> None:
        await self.store.redis.set(EPOCH, uuid.uuid4().hex, nx=True)
        epoch = (await self.store.redis.get(EPOCH)).decode()
        snap = await self.store.snapshot(self.kinds)
        reset = self.epoch is not None
        self.objects = {k: {key: new_cached(k, data, rv) for key, (data, rv) in objs.items()}
                        for k, objs in snap.objects.items()}
        self.history.clear()
        for ch in snap.history:
            if ch.kind in self.objects:
                self.history.append((ch.type, new_cached(ch.kind, ch.data, ch.rev), None))
        self.resetting = reset and self._on_reset is not None
        self.rev, self.epoch, self.ready = snap.rev, epoch, True
        self._freeze()
        log.info("watch cache loaded revision=%d objects=%d history=%d", self.rev,
                 sum(len(o) for o in self.objects.values()), len(self.history))
        if reset:
            self.close_all(WatchClosed("the API server's storage was reset; relist", "OUT_OF_RANGE"))
            if self._on_reset:
                try:
                    await self._on_reset()
                finally:
                    self.resetting = False
                    self._tell_ready()  # the health follows `resetting` too
        self._notify()

    def _apply_all(self, changes: list[Change]) -> bool:
        for ch in changes:
            if ch.rev <= self.rev:
                continue
            if ch.rev != self.rev + 1:
                log.warning("watch cache fell behind the stream history revision=%d next=%d", self.rev, ch.rev)
                return True
            self.apply(ch)
        self._unfrozen += len(changes)
        if self._unfrozen > 5000:
            self._freeze()
        self._notify()
        return False

    def apply(self, ch: Change) -> None:
        self.rev = ch.rev
        objs = self.objects.get(ch.kind)
        if objs is None:
            return
        new = new_cached(ch.kind, ch.data, ch.rev)
        prev = objs.get(ch.key)
        if ch.type == DELETED:
            objs.pop(ch.key, None)
        else:
            objs[ch.key] = new
        self.history.append((ch.type, new, prev))
        for w in list(self.watchers.get(ch.kind, ())):
            w.offer(ch.type, new, prev)
            if w.closed:
                self.watchers[ch.kind].discard(w)

    def _freeze(self) -> None:
        """Move the long-lived cache out of the collector's sight: full collections over tens of
        thousands of cached objects otherwise pause every watch for up to hundreds of milliseconds.
        Cached objects hold no reference cycles, so nothing that dies later is kept."""
        gc.collect(1)
        gc.freeze()
        self._unfrozen = 0

    def _notify(self) -> None:
        self._advanced.set()
        self._advanced = asyncio.Event()

    # ---- reading ----

    async def wait_fresh(self, timeout: float = 5.0) -> None:
        """Wait until the cache holds everything Redis has acknowledged (a consistent read)."""
        if not self.ready:
            raise NotReady("storage is unavailable")
        try:
            target = await self.store.current_revision()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as e:
            raise NotReady(f"storage is unavailable: {e}") from None
        await self.wait_for(target, timeout)

    async def wait_for(self, rev: int, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.rev < rev:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TooLarge(f"Too large resource version: {rev}, current: {self.rev}")
            try:
                async with asyncio.timeout(remaining):  # not wait_for, which can swallow a cancel (3.11)
                    await self._advanced.wait()
            except TimeoutError:
                pass

    def list(self, kind: str, matches: Callable[[Cached], bool]) -> list[Cached]:
        return [c for c in self.objects[kind].values() if matches(c)]

    def oldest_rv(self) -> int:
        """The oldest resourceVersion a watch may start from."""
        return self.history[0][1].rev - 1 if self.history else self.rev

    async def watch(self, kind: str, matches: Callable[[Cached], bool], rv: int | None) -> Watcher:
        """A registered watcher, pre-loaded with what it must see first.

        rv None: the current objects as ADDED. Otherwise every change after rv, replayed
        from history. Loading and registering happen without yielding, so nothing is missed.
        """
        if rv is None:
            await self.wait_fresh()
        else:
            if not self.ready:
                raise NotReady("storage is unavailable")
            await self.wait_for(rv, 5.0)
            if rv < self.oldest_rv():
                raise TooOld(f"too old resource version: {rv} ({self.oldest_rv()})")
        w = Watcher(kind, matches, max_queue=sys.maxsize)  # what it must see first is not bounded
        if rv is None:
            initial = [(ADDED, c) for c in self.list(kind, matches)]
            initial.sort(key=lambda e: e[1].rev)
            w._queue.extend(initial)
        else:
            for etype, new, prev in self.history:
                if new.rev > rv and new.kind == kind:
                    w.offer(etype, new, prev)
        w.max_queue = len(w._queue) + self.max_queue
        if w._queue:
            w._wake.set()
        self.watchers[kind].add(w)
        return w

    def unwatch(self, w: Watcher) -> None:
        self.watchers[w.kind].discard(w)

    def close_all(self, why: WatchClosed) -> None:
        for ws in self.watchers.values():
            for w in ws:
                w.close(why)
        self.watchers.clear()
