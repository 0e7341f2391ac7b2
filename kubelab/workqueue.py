"""An asyncio work queue with client-go `util/workqueue` semantics.

Three layers in one class, as client-go stacks them: a dedup queue (`dirty` = waiting to be processed,
`processing` = handed to a worker; a key added while it is processed goes back in line at `done`, so
no key is ever handled by two workers at once), a delaying queue (`add_after`), and rate limiting
(`add_rate_limited`: the later of a per-key exponential backoff and an overall token bucket).

Time comes from a clock: any callable returning monotonic seconds. Delays wait on asyncio timer
handles (no tasks), or on the clock's own timers when it has a `call_at` method, as `FakeClock` does:
tests move time with `FakeClock.advance` and never sleep. A worker loop:

    async for key in queue:          # ends once the queue is shut down and empty
        try:
            await reconcile(key)
            queue.forget(key)
        except Exception:
            queue.add_rate_limited(key)
        finally:
            queue.done(key)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "WorkQueue", "ShutDown", "QueueEmpty", "FakeClock", "RateLimiter", "ItemExponentialFailureRateLimiter",
    "BucketRateLimiter", "MaxOfRateLimiter", "default_controller_rate_limiter",
]

K = TypeVar("K", bound=Hashable)
Clock = Callable[[], float]


class ShutDown(Exception):
    """Raised by `get` once the queue is shut down and has nothing left to hand out."""


class QueueEmpty(Exception):
    """Raised by `get_nowait` when no key is ready."""


class _Handle(Protocol):
    def cancel(self) -> None: ...


class FakeClock:
    """A manual clock for tests: `clock()` reads the time, `advance(dt)` moves it and fires timers."""

    def __init__(self, start: float = 0.0):
        self._now = start
        self._timers: list[list[Any]] = []  # [when, seq, callback]; callback None once cancelled
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[[], None]) -> _Handle:
        entry = [when, next(self._seq), callback]
        heapq.heappush(self._timers, entry)
        return _FakeHandle(entry)

    def advance(self, seconds: float) -> None:
        target = self._now + seconds
        while self._timers and self._timers[0][0] <= target:
            when, _, callback = heapq.heappop(self._timers)
            if callback is not None:
                self._now = max(self._now, when)
                callback()
        self._now = target

    def pending_timers(self) -> int:
        return sum(1 for t in self._timers if t[2] is not None)


class _FakeHandle:
    def __init__(self, entry: list[Any]):
        self._entry = entry

    def cancel(self) -> None:
        self._entry[2] = None


class RateLimiter(Protocol[K]):
    def when(self, key: K) -> float: ...
    def forget(self, key: K) -> None: ...
    def num_requeues(self, key: K) -> int: ...


class ItemExponentialFailureRateLimiter(Generic[K]):
    """Per-key backoff: base * 2**failures, capped at max_delay; `forget` starts a key over."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0):
        self.base_delay, self.max_delay = base_delay, max_delay
        self._failures: dict[K, int] = {}

    def when(self, key: K) -> float:
        exp = self._failures.get(key, 0)
        self._failures[key] = exp + 1
        if exp > 1023:  # 2**exp would overflow a float; the cap applies long before
            return self.max_delay
        return min(self.base_delay * 2.0**exp, self.max_delay)

    def forget(self, key: K) -> None:
        self._failures.pop(key, None)

    def num_requeues(self, key: K) -> int:
        return self._failures.get(key, 0)


class BucketRateLimiter(Generic[K]):
    """An overall token bucket (golang.org/x/time/rate reservations): `burst` at once, then `qps`."""

    def __init__(self, qps: float = 10.0, burst: int = 100, clock: Clock = time.monotonic):
        self.qps, self.burst, self._clock = qps, burst, clock
        self._tokens, self._last = float(burst), None

    def when(self, key: K) -> float:
        now = self._clock()
        if self._last is not None:
            self._tokens = min(float(self.burst), self._tokens + max(0.0, now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1
        return -self._tokens / self.qps if self._tokens < 0 else 0.0

    def forget(self, key: K) -> None:
        pass

    def num_requeues(self, key: K) -> int:
        return 0


class MaxOfRateLimiter(Generic[K]):
    """The longest delay any of its limiters asks for."""

    def __init__(self, *limiters: RateLimiter[K]):
        self.limiters = limiters

    def when(self, key: K) -> float:
        return max(limiter.when(key) for limiter in self.limiters)

    def forget(self, key: K) -> None:
        for limiter in self.limiters:
            limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)


def default_controller_rate_limiter(clock: Clock = time.monotonic) -> MaxOfRateLimiter:
    """client-go's DefaultControllerRateLimiter: 5ms..1000s per key, 10 qps with a burst of 100."""
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(10.0, 100, clock))


class WorkQueue(Generic[K]):
    """Dedup + delaying + rate-limited queue of keys, for one asyncio loop.

    Use it from one event loop (add_after with a real clock needs that loop running). Metrics for an
    exporter are plain attributes: `depth` (keys ready to hand out), `adds` (keys
    accepted by `add`, like client-go's adds counter) and `retries` (`add_after` and
    `add_rate_limited` calls, like client-go's retries counter).
    """

    def __init__(self, name: str = "", *, clock: Clock = time.monotonic,
                 rate_limiter: RateLimiter[K] | None = None):
        self.name = name
        self.adds = 0
        self.retries = 0
        self._clock = clock
        self._rate_limiter = rate_limiter if rate_limiter is not None else default_controller_rate_limiter(clock)
        self._queue: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._shutting_down = False
        self._drain = False
        # The delaying layer: the earliest ready time per key, a heap of (ready_at, seq, key) entries
        # (stale ones are skipped), and one timer for the earliest entry.
        self._waiting: dict[K, float] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._seq = itertools.count()
        self._timer: _Handle | None = None
        self._timer_at = math.inf

    # --- the dedup queue -----------------------------------------------------------------------------

    def add(self, key: K) -> None:
        """Mark `key` as needing processing; a no-op if it already waits or the queue is shut down."""
        if self._shutting_down or key in self._dirty:
            return
        self.adds += 1
        self._dirty.add(key)
        if key in self._processing:
            return  # `done` puts it back in line: never two workers on one key
        self._queue.append(key)
        self._wakeup_getter()

    async def get(self) -> K:
        """The next key, waiting for one; raises ShutDown once shut down and empty."""
        while not self._queue:
            if self._shutting_down:
                raise ShutDown(self.name)
            getter = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except asyncio.CancelledError:
                getter.cancel()
                if getter in self._getters:
                    self._getters.remove(getter)
                if self._queue and not getter.cancelled():
                    self._wakeup_getter()  # we were woken, then cancelled: pass the wakeup on
                raise
        return self._take()

    def get_nowait(self) -> K:
        """The next key if one is ready; raises QueueEmpty, or ShutDown once shut down and empty."""
        if self._queue:
            return self._take()
        raise ShutDown(self.name) if self._shutting_down else QueueEmpty(self.name)

    def done(self, key: K) -> None:
        """The worker has finished with `key`; re-queue it if it was added meanwhile."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self._wakeup_getter()
        elif not self._processing and not self._queue:
            self._release_drain_waiters()

    def __len__(self) -> int:
        return len(self._queue)

    def __bool__(self) -> bool:
        return True  # an empty queue is still a queue; don't let `if queue:` mean "has keys"

    @property
    def depth(self) -> int:
        return len(self._queue)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def __aiter__(self) -> WorkQueue[K]:
        return self

    async def __anext__(self) -> K:
        try:
            return await self.get()
        except ShutDown:
            raise StopAsyncIteration from None

    def _take(self) -> K:
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def _wakeup_getter(self) -> None:
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
                return

    # --- shutting down -------------------------------------------------------------------------------

    def shut_down(self) -> None:
        """Refuse new keys and drop delayed ones; workers still get what is queued, then ShutDown."""
        self._shutting_down, self._drain = True, False
        self._stop_delaying()
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
        self._release_drain_waiters()

    async def shut_down_with_drain(self) -> None:
        """shut_down, then wait until every queued key has been processed and marked done.

        Workers must keep running and call `done`; calling `shut_down` stops the wait.
        """
        self.shut_down()
        self._drain = True
        while self._drain and (self._queue or self._processing):
            waiter = asyncio.get_running_loop().create_future()
            self._drain_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._drain_waiters:
                    self._drain_waiters.remove(waiter)

    def _release_drain_waiters(self) -> None:
        waiters, self._drain_waiters = self._drain_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # --- the delaying layer --------------------------------------------------------------------------

    def add_after(self, key: K, delay: float) -> None:
        """Add `key` once `delay` seconds have passed; an earlier pending time for it wins."""
        if self._shutting_down:
            return
        self.retries += 1
        if delay <= 0:
            self.add(key)
            return
        ready_at = self._clock() + delay
        if self._waiting.get(key, math.inf) <= ready_at:
            return
        self._waiting[key] = ready_at
        heapq.heappush(self._heap, (ready_at, next(self._seq), key))
        self._arm_timer()

    def waiting(self) -> int:
        """How many keys wait for their delay to pass."""
        return len(self._waiting)

    def _arm_timer(self) -> None:
        while self._heap and self._waiting.get(self._heap[0][2]) != self._heap[0][0]:
            heapq.heappop(self._heap)  # superseded by an earlier time
        if not self._heap:
            return
        when = self._heap[0][0]
        if self._timer is not None and self._timer_at <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        call_at = getattr(self._clock, "call_at", None)
        if call_at is not None:
            self._timer = call_at(when, self._fire)
        else:
            delay = max(0.0, when - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._timer, self._timer_at = None, math.inf
        now = self._clock()
        while self._heap and self._heap[0][0] <= now:
            ready_at, _, key = heapq.heappop(self._heap)
            if self._waiting.get(key) == ready_at:
                del self._waiting[key]
                self.add(key)
        self._arm_timer()

    def _stop_delaying(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, math.inf
        self._heap.clear()
        self._waiting.clear()

    # --- the rate-limiting layer ---------------------------------------------------------------------

    def add_rate_limited(self, key: K) -> None:
        """Add `key` after the rate limiter's delay: per-key backoff, at most 10 qps overall."""
        if not self._shutting_down:
            self.add_after(key, self._rate_limiter.when(key))

    def forget(self, key: K) -> None:
        """The key succeeded: reset its backoff (it is not removed from the queue)."""
        self._rate_limiter.forget(key)

    def num_requeues(self, key: K) -> int:
        return self._rate_limiter.num_requeues(key)
