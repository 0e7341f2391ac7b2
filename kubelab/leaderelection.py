"""Leader election on a Lease, as client-go's `tools/leaderelection` does it.

Replicas of a component race to write their identity into one Lease (`kube-system/<component>`);
the holder renews it every `retry_period`, the others retry every `retry_period` (jittered by
`JITTER_FACTOR`). Every write carries the resourceVersion read, so of two racers one gets a conflict.

Who may take over: a candidate that sees a lease held by someone else waits until the lease has not
changed for `leaseDurationSeconds` *measured on its own monotonic clock from when it first saw that
record* (client-go's observedTime / isLeaseValid). The renewTime written in the lease is never
compared with the local clock, so clock skew between hosts does not matter. A changed holder
increments `leaseTransitions`; acquiring and losing emit `LeaderElection` events on the Lease
(`<identity> became leader`, `<identity> stopped leading`).

Why a leader stops before anyone can take over: `is_leader()` is true only while less than
`renew_deadline` has passed on the monotonic clock since the *start* of the last successful renew.
Another candidate observed that renew after it was written, so it waits at least `lease_duration`
from a later instant; as `renew_deadline < lease_duration`, the old leader has stopped for at
least the difference. (client-go gives up after retry_period + renew_deadline; we count from the
last success, which is stricter.) When the deadline passes the leading task is cancelled and
awaited, "stopped leading" is recorded, and the elector rejoins as a candidate.

A paused leader (SIGSTOP, a long GC, a frozen VM): the monotonic clock keeps running while the
process is stopped. On SIGCONT every timer is overdue; whichever task runs first, a worker that
asks `is_leader()` gets False because the renew deadline has passed, so it does not reconcile, and
the renew loop, seeing the deadline passed, stops leading without even trying to renew. Rejoining as
a candidate it reads the Lease: if another replica took over, that replica's record is new to it,
so it waits a full lease duration like anyone else; if nobody took over, it may re-acquire (any
write it makes carries the resourceVersion it read, so it cannot overwrite a newer holder). What no
lease can prevent is a write already past the `is_leader()` check when the process froze; keep the
check right before side effects (the controller loop checks before every reconcile).
"""
from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from kubelab.api.v1 import coordination_pb2
from kubelab.errors import ApiError, is_not_found

__all__ = ["JITTER_FACTOR", "LeaderElectionConfig", "LeaseRecord", "ElectionState", "LeaderElector",
           "default_identity"]

log = logging.getLogger(__name__)

JITTER_FACTOR = 1.2
Clock = Callable[[], float]


@dataclass(frozen=True)
class LeaderElectionConfig:
    lease_duration: float = 15.0
    """Seconds a candidate waits, after last seeing the lease change, before taking it over."""
    renew_deadline: float = 10.0
    """Seconds the leader keeps acting without a successful renew."""
    retry_period: float = 2.0
    """Seconds between renew (leader) and acquire (candidate) attempts."""

    def validate(self) -> None:
        """client-go NewLeaderElector's checks, with its wording."""
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("leaseDuration must be greater than renewDeadline")
        if self.renew_deadline <= JITTER_FACTOR * self.retry_period:
            raise ValueError("renewDeadline must be greater than retryPeriod*JitterFactor")
        if self.lease_duration < 1 or self.retry_period <= 0 or self.renew_deadline <= 0:
            raise ValueError("leaseDuration must be at least 1s and timeouts must be greater than zero")
        if self.lease_duration != int(self.lease_duration):
            raise ValueError("leaseDuration must be a whole number of seconds (leaseDurationSeconds is an integer)")


@dataclass(frozen=True)
class LeaseRecord:
    """The election-relevant part of a Lease spec; times are epoch seconds, for the record only."""

    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: float | None = None
    renew_time: float | None = None
    lease_transitions: int = 0

    @classmethod
    def from_lease(cls, lease: coordination_pb2.Lease) -> LeaseRecord:
        s = lease.spec
        return cls(s.holder_identity, s.lease_duration_seconds,
                   s.acquire_time.ToNanoseconds() / 1e9 if s.HasField("acquire_time") else None,
                   s.renew_time.ToNanoseconds() / 1e9 if s.HasField("renew_time") else None,
                   s.lease_transitions)

    def apply_to(self, lease: coordination_pb2.Lease) -> None:
        s = lease.spec
        s.holder_identity, s.lease_duration_seconds = self.holder_identity, self.lease_duration_seconds
        s.lease_transitions = self.lease_transitions
        for name, t in (("acquire_time", self.acquire_time), ("renew_time", self.renew_time)):
            s.ClearField(name)
            if t is not None:
                getattr(s, name).FromMicroseconds(round(t * 1e6))  # MicroTime


class ElectionState:
    """The decisions of client-go's LeaderElector, without I/O; `now` is monotonic seconds."""

    def __init__(self, identity: str, config: LeaderElectionConfig):
        self.identity, self.config = identity, config
        self.observed: LeaseRecord | None = None
        self.observed_time = 0.0
        self.last_renew: float | None = None
        """Monotonic start of the last successful acquire or renew."""

    def observe(self, record: LeaseRecord, now: float) -> None:
        """Remember a record read from the API; the clock starts only when it differs."""
        if record != self.observed:
            self.observed, self.observed_time = record, now

    def holds(self) -> bool:
        """The last record seen names us (client-go IsLeader)."""
        return self.observed is not None and self.observed.holder_identity == self.identity

    def lease_valid(self, now: float) -> bool:
        return self.observed is not None and now < self.observed_time + self.observed.lease_duration_seconds

    def leading(self, now: float) -> bool:
        """Whether we may act: we hold the lease and renewed it within the renew deadline."""
        return self.holds() and self.last_renew is not None and now - self.last_renew < self.config.renew_deadline

    def fast_renew(self, now: float, wall: float) -> LeaseRecord | None:
        """The record that renews our lease without reading it first, if we hold a valid one."""
        if not (self.holds() and self.lease_valid(now)):
            return None
        return replace(self.observed, renew_time=wall, lease_duration_seconds=int(self.config.lease_duration))

    def decide(self, current: LeaseRecord | None, now: float, wall: float) -> LeaseRecord | None:
        """Given the lease just read (None: there is none), the record to write, or None to wait."""
        fresh = LeaseRecord(self.identity, int(self.config.lease_duration), wall, wall, 0)
        if current is None:
            return fresh
        self.observe(current, now)
        if current.holder_identity and self.lease_valid(now) and not self.holds():
            return None
        if self.holds():
            return replace(fresh, acquire_time=current.acquire_time, lease_transitions=current.lease_transitions)
        return replace(fresh, lease_transitions=current.lease_transitions + 1)

    def written(self, record: LeaseRecord, started: float, now: float) -> None:
        """Our write of `record`, begun at `started`, succeeded."""
        self.observed, self.observed_time, self.last_renew = record, now, started

    def release_record(self, wall: float) -> LeaseRecord:
        """client-go's release: no holder, a 1 s lease, transitions kept."""
        transitions = self.observed.lease_transitions if self.observed else 0
        return LeaseRecord("", 1, wall, wall, transitions)


def default_identity(instance: str = "") -> str:
    """hostname (+ instance) + a random suffix, unique per process like client-go's hostname_uuid."""
    parts = [socket.gethostname()] + ([instance] if instance else []) + [uuid.uuid4().hex[:8]]
    return "_".join(parts)


def _jitter(period: float) -> float:
    return period + random.random() * JITTER_FACTOR * period


class LeaderElector:
    """Runs the election for one identity on `namespace/name`; `run(lead)` runs `lead()` while leading."""

    def __init__(self, client, name: str, namespace: str = "kube-system", identity: str | None = None,
                 config: LeaderElectionConfig = LeaderElectionConfig(), *, events=None,
                 release_on_cancel: bool = True, clock: Clock = time.monotonic, wall: Clock = time.time):
        config.validate()
        self.client, self.name, self.namespace = client, name, namespace
        self.identity = identity or default_identity()
        self.config, self.events, self.release_on_cancel = config, events, release_on_cancel
        self.state = ElectionState(self.identity, config)
        self._clock, self._wall = clock, wall
        self._lease: coordination_pb2.Lease | None = None
        self._leading = False
        self.transitions_seen = 0
        """How many times this process became leader (for metrics)."""
        self.on_change: list[Callable[[bool], object]] = []
        """Called with True when this process starts leading, False when it stops (health follows it)."""

    def _set_leading(self, value: bool) -> None:
        if value != self._leading:
            self._leading = value
            for fn in self.on_change:
                fn(value)

    def is_leader(self) -> bool:
        """True while this process may act as the leader; checks the renew deadline on every call."""
        return self._leading and self.state.leading(self._clock())

    @property
    def holder(self) -> str:
        """The holder identity in the last Lease record seen ("" if none or unknown)."""
        return self.state.observed.holder_identity if self.state.observed else ""

    async def run(self, lead: Callable[[], Awaitable[None]]) -> None:
        """Acquire, lead until the lease is lost, then rejoin as candidate; forever, until cancelled.

        If `lead()` returns, the lease is released and `run` returns.
        """
        while True:
            await self._acquire()
            if await self._lead(lead):
                return

    async def _acquire(self) -> None:
        log.info("attempting to acquire leader lease lease=%s/%s identity=%s", self.namespace, self.name,
                 self.identity)
        while True:
            if await self.try_acquire_or_renew():
                if self.state.leading(self._clock()):
                    break
                # The write went through only after the renew deadline (it hung in a partition or an
                # outage): renew at once rather than lead for no time at all, stop, and acquire again.
                continue
            await asyncio.sleep(_jitter(self.config.retry_period))
        self._set_leading(True)
        self.transitions_seen += 1
        log.info("successfully acquired lease lease=%s/%s identity=%s", self.namespace, self.name, self.identity)
        self._record_event("became leader")

    async def _lead(self, lead: Callable[[], Awaitable[None]]) -> bool:
        """Lead until the lease is lost (False) or `lead()` returns (True)."""
        try:
            async with asyncio.TaskGroup() as tg:
                leading = tg.create_task(lead(), name=f"leading:{self.name}")
                renewing = tg.create_task(self._renew_until_lost(), name=f"renew:{self.name}")
                done, _ = await asyncio.wait([leading, renewing], return_when=asyncio.FIRST_COMPLETED)
                self._set_leading(False)
                finished = leading in done
                leading.cancel()  # lost: stop acting (and wait for it) before anyone may take over
                renewing.cancel()
        except asyncio.CancelledError:
            if self.release_on_cancel:
                await self._release()
            self._record_event("stopped leading")
            raise
        finally:
            self._set_leading(False)
        if finished:
            await self._release()
        else:
            log.warning("failed to renew lease, stopped leading lease=%s/%s identity=%s", self.namespace,
                        self.name, self.identity)
        self._record_event("stopped leading")
        return finished

    async def _renew_until_lost(self) -> None:
        cfg = self.config
        while True:
            await asyncio.sleep(cfg.retry_period)
            while True:
                deadline = self.state.last_renew + cfg.renew_deadline
                remaining = deadline - self._clock()
                if remaining <= 0:  # also the case for a leader resumed after SIGSTOP: no more tries
                    return
                try:
                    async with asyncio.timeout(remaining):
                        if await self.try_acquire_or_renew():
                            break
                except TimeoutError:
                    return
                await asyncio.sleep(min(cfg.retry_period, max(0.0, deadline - self._clock())))

    async def try_acquire_or_renew(self) -> bool:
        """One attempt (client-go tryAcquireOrRenew): renew fast if we hold it, else read and decide."""
        started = self._clock()
        record = self.state.fast_renew(started, self._wall())
        if record is not None and self._lease is not None:
            if await self._write(record, started, create=False):
                return True
        try:
            lease = await self.client.get("Lease", self.name, self.namespace)
        except ApiError as e:
            if not is_not_found(e):
                log.warning("error retrieving lease lease=%s/%s error=%s", self.namespace, self.name, e)
                return False
            lease = None
        # The renew deadline counts from this write, not from the read: the client retries a read
        # through an API server outage (up to its retry deadline), and a lease acquired right after
        # one must not look already overdue, or the new leader stops at once and acquires again.
        started = self._clock()
        self._lease = lease
        current = LeaseRecord.from_lease(lease) if lease is not None else None
        record = self.state.decide(current, started, self._wall())
        if record is None:
            log.debug("lease is held and has not yet expired lease=%s/%s holder=%s", self.namespace, self.name,
                      current.holder_identity)
            return False
        return await self._write(record, started, create=lease is None)

    async def _write(self, record: LeaseRecord, started: float, create: bool) -> bool:
        lease = coordination_pb2.Lease()
        if create:
            lease.metadata.name, lease.metadata.namespace = self.name, self.namespace
        else:
            lease.CopyFrom(self._lease)
        record.apply_to(lease)
        try:
            self._lease = await (self.client.create(lease) if create else self.client.update(lease))
        except ApiError as e:
            log.info("lease write failed lease=%s/%s reason=%s", self.namespace, self.name, e.reason)
            return False
        self.state.written(record, started, self._clock())
        return True

    async def _release(self) -> None:
        if not self.state.holds() or self._lease is None:
            return
        try:
            async with asyncio.timeout(self.config.retry_period):
                released = await self._write(self.state.release_record(self._wall()), self._clock(), create=False)
        except TimeoutError:
            released = False
        if released:
            log.info("released lease lease=%s/%s identity=%s", self.namespace, self.name, self.identity)
        else:
            log.warning("could not release lease lease=%s/%s", self.namespace, self.name)

    def _record_event(self, what: str) -> None:
        if self.events is not None and self._lease is not None:
            self.events.event(self._lease, "Normal", "LeaderElection", f"{self.identity} {what}")
