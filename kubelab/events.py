"""Events: what a component tells users about an object (`kubelab describe`, `kubelab events`).

`EventRecorder.event(obj, "Normal", "Scheduled", "...")` never blocks and never raises: it puts the
event on a bounded queue that `EventRecorder.run()` drains. An event that is the same as one still
queued is folded into it (its count grows), so a component repeating itself under load (the scheduler
failing the same pods every cycle) takes one place per distinct event, not one per repeat. When the
queue is full of distinct events, a queued repeat of an event already written makes room for one never
written, and only then is the new one dropped (and counted): the event a user has not seen yet is the
last one lost. Before writing, the `EventCorrelator` does what client-go's
(tools/record/events_cache.go) does, so a controller stuck in a loop cannot flood the API:

- the same event again (same source, involvedObject, type, reason and message) patches the one Event
  already written: `count` + 1, `lastTimestamp` now, `firstTimestamp` and name kept;
- more than 10 events within 10 minutes that differ only in message become one
  "(combined from similar events): ..." Event;
- a token bucket per source+object (burst 25, then one every 5 minutes) drops the rest.

Write failures are logged and the event dropped: events are best effort, as in Kubernetes.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from kubelab.api import registry
from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_already_exists, is_not_found

__all__ = ["NORMAL", "WARNING", "EventCorrelator", "CorrelateResult", "EventRecorder", "object_reference",
           "event_key"]

log = logging.getLogger(__name__)

NORMAL, WARNING = "Normal", "Warning"
MAX_LRU_ENTRIES = 4096
AGGREGATE_MAX_EVENTS, AGGREGATE_INTERVAL = 10, 600.0
SPAM_BURST, SPAM_QPS = 25, 1.0 / 300.0


def object_reference(obj: Message | core_pb2.ObjectReference) -> core_pb2.ObjectReference:
    if isinstance(obj, core_pb2.ObjectReference):
        return obj
    info, m = registry.kind_of(obj), obj.metadata
    return core_pb2.ObjectReference(kind=info.kind, api_version=info.api_version, namespace=m.namespace,
                                    name=m.name, uid=m.uid, resource_version=m.resource_version)


def _source_and_object(e: core_pb2.Event) -> tuple:
    o = e.involved_object
    return (e.source.component, e.source.host, o.kind, o.namespace, o.name, o.uid, o.api_version)


def event_key(e: core_pb2.Event) -> tuple:
    """What makes two events "the same" (client-go getEventKey)."""
    o = e.involved_object
    return (e.source.component, e.source.host, o.kind, o.namespace, o.name, o.field_path, o.uid,
            o.api_version, e.type, e.reason, e.message)


class _LRU(OrderedDict):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class _TokenBucket:
    def __init__(self, qps: float, burst: int, now: float):
        self.qps, self.burst, self.tokens, self.last = qps, burst, float(burst), now

    def try_accept(self, now: float) -> bool:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.last) * self.qps)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class CorrelateResult:
    event: core_pb2.Event | None
    patch: dict | None = None
    """A JSON merge patch for an Event already written (count > 1); None means create."""
    skip: bool = False


@dataclass
class _Seen:
    count: int
    first_timestamp: Timestamp
    name: str
    resource_version: str


class EventCorrelator:
    """Aggregation, counting and spam filtering; pure, with a wall clock (epoch seconds) injected."""

    def __init__(self, clock: Callable[[], float] = time.time, *, burst: int = SPAM_BURST, qps: float = SPAM_QPS,
                 max_events: int = AGGREGATE_MAX_EVENTS, max_interval: float = AGGREGATE_INTERVAL):
        self._clock = clock
        self.burst, self.qps, self.max_events, self.max_interval = burst, qps, max_events, max_interval
        self._spam: _LRU = _LRU(MAX_LRU_ENTRIES)
        self._aggregates: _LRU = _LRU(MAX_LRU_ENTRIES)  # key -> (set of messages, last time)
        self._seen: _LRU = _LRU(MAX_LRU_ENTRIES)

    def correlate(self, event: core_pb2.Event) -> CorrelateResult:
        aggregated, key = self._aggregate(event)
        observed, patch = self._observe(aggregated, key)
        if self._filter(observed):
            return CorrelateResult(None, skip=True)
        return CorrelateResult(observed, patch)

    def written_before(self, key: tuple) -> bool:
        """An event with this event_key has been written (a new one would only raise its count)."""
        return key in self._seen

    def update_state(self, written: core_pb2.Event) -> None:
        """Remember what the server answered (its resourceVersion), keyed by the event itself."""
        self._seen.put(event_key(written), _Seen(written.count, written.first_timestamp, written.metadata.name,
                                                 written.metadata.resource_version))

    def _aggregate(self, event: core_pb2.Event) -> tuple[core_pb2.Event, tuple]:
        now = self._clock()
        agg_key = _source_and_object(event) + (event.type, event.reason, event.reporting_component,
                                               event.reporting_instance)
        messages, last = self._aggregates.get(agg_key, (set(), None))
        if last is None or now - last > self.max_interval:
            messages = set()
        messages.add(event.message)
        self._aggregates.put(agg_key, (messages, now))
        if len(messages) < self.max_events:
            return event, event_key(event)
        messages.pop()  # do not grow the set beyond max
        combined = core_pb2.Event(involved_object=event.involved_object, type=event.type, reason=event.reason,
                                  source=event.source, count=1,
                                  message="(combined from similar events): " + event.message)
        combined.metadata.name = event_name(event.involved_object.name, now)
        combined.metadata.namespace = event.metadata.namespace
        combined.first_timestamp.CopyFrom(_timestamp(now))
        combined.last_timestamp.CopyFrom(_timestamp(now))
        return combined, agg_key

    def _observe(self, event: core_pb2.Event, key: tuple) -> tuple[core_pb2.Event, dict | None]:
        out = core_pb2.Event()
        out.CopyFrom(event)
        seen: _Seen | None = self._seen.get(key)
        patch = None
        if seen is not None and seen.count > 0:
            out.metadata.name = seen.name
            out.metadata.resource_version = seen.resource_version
            out.first_timestamp.CopyFrom(seen.first_timestamp)
            out.count = seen.count + max(1, event.count)  # a queued event may carry folded repeats
            patch = {"count": out.count, "message": out.message,
                     "lastTimestamp": out.last_timestamp.ToJsonString()}
        self._seen.put(key, _Seen(out.count, out.first_timestamp, out.metadata.name, out.metadata.resource_version))
        return out, patch

    def _filter(self, event: core_pb2.Event) -> bool:
        now = self._clock()
        key = _source_and_object(event)
        bucket = self._spam.get(key) or _TokenBucket(self.qps, self.burst, now)
        accepted = bucket.try_accept(now)
        self._spam.put(key, bucket)
        return not accepted


def _fold(into: core_pb2.Event, repeat: core_pb2.Event) -> None:
    """One queued event standing for both: counts added, the later lastTimestamp."""
    into.count += repeat.count
    if repeat.last_timestamp.ToNanoseconds() > into.last_timestamp.ToNanoseconds():
        into.last_timestamp.CopyFrom(repeat.last_timestamp)


def _timestamp(t: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(t * 1e9))
    return ts


def event_name(object_name: str, t: float) -> str:
    """`<object-name>.<hex nanoseconds>`, as client-go names events."""
    return f"{object_name}.{int(t * 1e9):x}"


class EventRecorder:
    """Records events for one component; `run()` (a task in the process's TaskGroup) writes them."""

    def __init__(self, client, component: str, host: str | None = None, *, queue_size: int = 1000,
                 clock: Callable[[], float] = time.time, correlator: EventCorrelator | None = None):
        self.client, self.component = client, component
        self.host = socket.gethostname() if host is None else host
        self._clock = clock
        self.correlator = correlator or EventCorrelator(clock)
        # A bounded queue of distinct events (by event_key), oldest first; a repeat folds into its entry.
        self._pending: OrderedDict[tuple, core_pb2.Event] = OrderedDict()
        self._queue_size = queue_size
        self._wakeup = asyncio.Event()
        self.dropped = 0
        self.written = 0

    def event(self, obj: Message | core_pb2.ObjectReference, type: str, reason: str, message: str) -> None:
        if type not in (NORMAL, WARNING):
            log.error("unsupported event type type=%s reason=%s", type, reason)
            return
        try:
            ev = self.new_event(object_reference(obj), type, reason, message)
        except Exception:  # an event must never break its caller
            log.exception("cannot record event reason=%s", reason)
            return
        if not self._enqueue(ev):
            self.dropped += 1
            log.warning("event queue full, dropping event reason=%s message=%r", reason, message)
            return
        self._wakeup.set()

    def _enqueue(self, ev: core_pb2.Event) -> bool:
        """Queue the event, folding it into a queued equal one; False if there is no room for it."""
        key = event_key(ev)
        queued = self._pending.get(key)
        if queued is not None:
            _fold(queued, ev)
            return True
        if len(self._pending) >= self._queue_size and not self._make_room():
            return False
        self._pending[key] = ev
        return True

    def _make_room(self) -> bool:
        """Drop the oldest queued repeat of an event already written (its user has seen it)."""
        repeat = next((k for k in self._pending if self.correlator.written_before(k)), None)
        if repeat is None:
            return False
        del self._pending[repeat]
        self.dropped += 1
        return True

    def eventf(self, obj: Message | core_pb2.ObjectReference, type: str, reason: str, fmt: str, *args) -> None:
        self.event(obj, type, reason, fmt % args if args else fmt)

    def new_event(self, ref: core_pb2.ObjectReference, type: str, reason: str, message: str) -> core_pb2.Event:
        now = self._clock()
        ev = core_pb2.Event(involved_object=ref, type=type, reason=reason, message=message, count=1,
                            source=core_pb2.EventSource(component=self.component, host=self.host),
                            reporting_component=self.component, reporting_instance=self.host)
        ev.metadata.name = event_name(ref.name, now)
        ev.metadata.namespace = ref.namespace or "default"
        ev.first_timestamp.CopyFrom(_timestamp(now))
        ev.last_timestamp.CopyFrom(_timestamp(now))
        return ev

    def pending(self) -> int:
        return len(self._pending)

    async def run(self) -> None:
        """Write queued events one at a time, until cancelled."""
        while True:
            while not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
            await self._write_head()

    async def flush(self, timeout: float = 2.0) -> None:
        """Write what is still queued (at shutdown, once `run` is cancelled), for up to `timeout` s."""
        try:
            async with asyncio.timeout(timeout):
                while self._pending:
                    await self._write_head()
        except TimeoutError:
            log.warning("events not flushed pending=%d", len(self._pending))

    async def _write_head(self) -> None:
        key, ev = self._pending.popitem(last=False)
        try:
            await self._write(ev)
        except asyncio.CancelledError:  # shutdown: back at the head, so that flush() writes it
            queued = self._pending.pop(key, None)
            if queued is not None:
                _fold(ev, queued)
            self._pending[key] = ev
            self._pending.move_to_end(key, last=False)
            raise
        except Exception:
            log.exception("cannot write event reason=%s object=%s", ev.reason, ev.involved_object.name)

    async def _write(self, ev: core_pb2.Event) -> None:
        result = self.correlator.correlate(ev)
        if result.skip:
            log.debug("event rate-limited reason=%s object=%s", ev.reason, ev.involved_object.name)
            return
        ev = result.event
        written = None
        try:
            if result.patch is not None:
                try:
                    written = await self.client.patch("Event", ev.metadata.name, result.patch, ev.metadata.namespace)
                except ApiError as e:
                    if not is_not_found(e):
                        raise
            if written is None:  # new, or the aggregated Event was deleted meanwhile
                ev.metadata.resource_version = ""
                written = await self.client.create(ev)
        except ApiError as e:
            lvl = logging.DEBUG if is_already_exists(e) else logging.WARNING
            log.log(lvl, "event not written reason=%s object=%s/%s error=%s", ev.reason,
                    ev.involved_object.namespace, ev.involved_object.name, e)
            return
        self.written += 1
        self.correlator.update_state(written)
