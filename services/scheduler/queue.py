"""The scheduling queue: activeQ, backoffQ and the unschedulable pods (upstream
internal/queue/scheduling_queue.go, PriorityQueue).

- activeQ: pods to try now, highest priority first, then oldest.
- backoffQ: pods that failed recently and wait out their backoff: 1 s after the first failure,
  doubling per attempt, at most 10 s (podInitialBackoffSeconds, podMaxBackoffSeconds).
- unschedulable: pods no node fits. They leave only when a cluster event happens that one of the
  plugins that rejected them registered for (a node added or changed, an assigned pod deleted, a
  PV or claim added or changed, ...); to backoffQ if their backoff has not passed yet, else to
  activeQ. A pod that stayed there 5 minutes is retried anyway (podMaxInUnschedulablePodsDuration).
- A pod whose attempt was under way while such an event arrived is not parked as unschedulable,
  it goes to backoffQ: the event may have been what it needed (upstream's moveRequestCycle).
- A pod with schedulingGates waits, out of every queue, until an update removes them.

`pop()` wakes on additions and on the next backoff expiry; it never polls.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from kubelab.api.v1 import core_pb2
from services.scheduler.framework import ClusterEvent

__all__ = ["SchedulingQueue", "QueuedPodInfo"]

INITIAL_BACKOFF, MAX_BACKOFF = 1.0, 10.0
MAX_IN_UNSCHEDULABLE = 300.0
UNSCHEDULABLE_FLUSH_PERIOD = 30.0


def _priority(pod: core_pb2.Pod) -> int:
    return pod.spec.priority if pod.spec.HasField("priority") else 0


def _gated(pod: core_pb2.Pod) -> bool:
    return len(pod.spec.scheduling_gates) > 0


@dataclass
class QueuedPodInfo:
    pod: core_pb2.Pod
    timestamp: float
    attempts: int = 0
    initial_attempt: float | None = None
    unschedulable_plugins: set[str] = field(default_factory=set)
    backoff_expiry: float = 0.0
    parked_at: float = 0.0

    @property
    def uid(self) -> str:
        return self.pod.metadata.uid

    @property
    def key(self) -> str:
        return f"{self.pod.metadata.namespace}/{self.pod.metadata.name}"


class SchedulingQueue:
    def __init__(self, events_by_plugin: dict[str, list[ClusterEvent]] | None = None, *,
                 clock: Callable[[], float] = time.monotonic, initial_backoff: float = INITIAL_BACKOFF,
                 max_backoff: float = MAX_BACKOFF, max_in_unschedulable: float = MAX_IN_UNSCHEDULABLE):
        self.events_by_plugin = events_by_plugin or {}
        self.clock, self.initial_backoff, self.max_backoff = clock, initial_backoff, max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        self._seq = itertools.count()
        self._active: list[tuple[int, float, int, str]] = []
        self._backoff: list[tuple[float, int, str]] = []
        self._entries: dict[str, tuple[str, int, QueuedPodInfo]] = {}
        """uid -> (where: active|backoff|unschedulable|gated|in_flight, seq, info)."""
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        self._last_leftover_flush = clock()
        self.scheduling_cycle = 0
        self.move_request_cycle = -1
        self._wakeup: asyncio.Event | None = None
        self._closed = False

    # --- bookkeeping ---------------------------------------------------------------------------------

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def _put(self, where: str, qpi: QueuedPodInfo) -> None:
        seq = next(self._seq)
        self._entries[qpi.uid] = (where, seq, qpi)
        self._unschedulable.pop(qpi.uid, None)
        if where == "active":
            heapq.heappush(self._active, (-_priority(qpi.pod), qpi.timestamp, seq, qpi.uid))
            self._wake()
        elif where == "backoff":
            heapq.heappush(self._backoff, (qpi.backoff_expiry, seq, qpi.uid))
            self._wake()
        elif where == "unschedulable":
            qpi.parked_at = self.clock()
            self._unschedulable[qpi.uid] = qpi

    def where(self, uid: str) -> str | None:
        entry = self._entries.get(uid)
        return entry[0] if entry else None

    def __len__(self) -> int:
        return len(self._entries)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for where, _, _ in self._entries.values():
            out[where] = out.get(where, 0) + 1
        return out

    def backoff_duration(self, attempts: int) -> float:
        return min(self.initial_backoff * 2 ** max(attempts - 1, 0), self.max_backoff)

    def _requeue(self, qpi: QueuedPodInfo) -> None:
        """Back into play: backoffQ while its backoff lasts, else activeQ."""
        self._put("backoff" if qpi.backoff_expiry > self.clock() else "active", qpi)

    # --- pods coming and going -----------------------------------------------------------------------

    def add(self, pod: core_pb2.Pod) -> None:
        entry = self._entries.get(pod.metadata.uid)
        if entry is not None:
            self.update(pod)
            return
        qpi = QueuedPodInfo(pod, self.clock())
        self._put("gated" if _gated(pod) else "active", qpi)

    def update(self, pod: core_pb2.Pod) -> None:
        entry = self._entries.get(pod.metadata.uid)
        if entry is None:
            self.add(pod)
            return
        where, _, qpi = entry
        old, qpi.pod = qpi.pod, pod
        if where == "gated" and not _gated(pod):
            self._put("active", qpi)
        elif where == "unschedulable" and old.spec != pod.spec:
            self._requeue(qpi)  # the pod itself changed: maybe it fits now

    def delete(self, uid: str) -> None:
        self._entries.pop(uid, None)  # heap entries are dropped lazily
        self._unschedulable.pop(uid, None)

    # --- the scheduling loop -------------------------------------------------------------------------

    def _flush(self) -> None:
        now = self.clock()
        while self._backoff and self._backoff[0][0] <= now:
            _, seq, uid = heapq.heappop(self._backoff)
            entry = self._entries.get(uid)
            if entry is not None and entry[0] == "backoff" and entry[1] == seq:
                self._put("active", entry[2])
        if now - self._last_leftover_flush >= UNSCHEDULABLE_FLUSH_PERIOD:
            self._last_leftover_flush = now
            for qpi in list(self._unschedulable.values()):
                if now - qpi.parked_at >= self.max_in_unschedulable:
                    self._requeue(qpi)

    def pop_nowait(self) -> QueuedPodInfo | None:
        self._flush()
        while self._active:
            _, _, seq, uid = heapq.heappop(self._active)
            entry = self._entries.get(uid)
            if entry is None or entry[0] != "active" or entry[1] != seq:
                continue
            qpi = entry[2]
            qpi.attempts += 1
            if qpi.initial_attempt is None:
                qpi.initial_attempt = self.clock()
            self.scheduling_cycle += 1
            self._entries[uid] = ("in_flight", seq, qpi)
            return qpi
        return None

    def _next_timer(self) -> float:
        """Seconds until a backoff ends or the next check for pods parked too long."""
        delay = UNSCHEDULABLE_FLUSH_PERIOD
        if self._backoff:
            delay = min(delay, self._backoff[0][0] - self.clock())
        return max(delay, 0.0)

    async def pop(self) -> QueuedPodInfo | None:
        """The next pod to schedule; None once closed."""
        if self._wakeup is None:
            self._wakeup = asyncio.Event()
        while not self._closed:
            qpi = self.pop_nowait()
            if qpi is not None:
                return qpi
            self._wakeup.clear()
            try:
                async with asyncio.timeout(self._next_timer()):  # not wait_for, which can swallow a cancel (3.11)
                    await self._wakeup.wait()
            except TimeoutError:
                pass
        return None

    def close(self) -> None:
        self._closed = True
        self._wake()

    def done(self, uid: str) -> None:
        """The pod's attempt succeeded (or it went away): forget it."""
        entry = self._entries.get(uid)
        if entry is not None and entry[0] == "in_flight":
            del self._entries[uid]

    def add_unschedulable(self, qpi: QueuedPodInfo, cycle: int, *, error: bool = False) -> None:
        """The attempt of scheduling cycle `cycle` failed; `error`: not the pod's fault (backoff only)."""
        entry = self._entries.get(qpi.uid)
        if entry is None or entry[0] != "in_flight":
            return  # deleted meanwhile, or already back (bound by someone else)
        qpi.backoff_expiry = self.clock() + self.backoff_duration(qpi.attempts)
        if error or not qpi.unschedulable_plugins or self.move_request_cycle >= cycle:
            self._put("backoff", qpi)
        else:
            self._put("unschedulable", qpi)

    def move_all_on_event(self, event: ClusterEvent) -> int:
        """Requeue the unschedulable pods this event may help; how many moved."""
        interested = {name for name, events in self.events_by_plugin.items() if any(e.matches(event) for e in events)}
        moved = 0
        for qpi in list(self._unschedulable.values()):
            if not qpi.unschedulable_plugins or qpi.unschedulable_plugins & interested:
                self._requeue(qpi)
                moved += 1
        self.move_request_cycle = self.scheduling_cycle
        return moved
