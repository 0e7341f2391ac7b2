"""The controller loop: informers -> handlers that map objects to keys -> work queue -> workers ->
`reconcile(key)` -> outcome. controller-runtime's shape in asyncio terms:

    class Reconciler(Protocol):
        async def reconcile(self, key: str) -> Result | None: ...

    ctrl = Controller("replicaset", reconciler, factory, for_kind="ReplicaSet", owns=["Pod"], workers=5)
    async with asyncio.TaskGroup() as tg:
        factory.start(tg)
        tg.create_task(ctrl.run())

Handlers never act: they compute keys (the object's own key for `for_kind`, its controller owner's key
for `owns`, any keys a `watches` mapper returns, updates filtered by its optional `changed(old, new)`)
and enqueue them; reconcile reads the informers' caches and converges, so a missed or repeated event
changes nothing.

Outcomes: `None` or `Result()` -> done (the key's backoff is forgotten); `Result(requeue_after=s)` ->
done, again in s seconds; `Result(requeue=True)` -> again with rate-limited backoff; `TerminalError` ->
logged and forgotten; any other exception -> logged, retried with rate-limited backoff.

`can_act` (the leader elector's `is_leader`) is asked before every reconcile: a key that comes up
while it is false is put back, not reconciled (see kubelab.leaderelection about paused leaders).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.informer import InformerFactory, ResourceEventHandler, key_of
from kubelab.workqueue import WorkQueue

__all__ = ["Controller", "Reconciler", "Result", "TerminalError", "ControllerMetrics", "controller_owner_key",
           "Mapper", "Changed"]

log = logging.getLogger(__name__)

Mapper = Callable[[Message], Iterable[str]]
Changed = Callable[[Message, Message], bool]
"""(old, new) -> whether an update matters to a `watches` mapper's keys (adds and deletes always do)."""


@dataclass(frozen=True)
class Result:
    requeue_after: float | None = None
    """Reconcile the key again after this many seconds (polling without sleeping in reconcile)."""
    requeue: bool = False
    """Reconcile again with the rate limiter's backoff."""


class TerminalError(Exception):
    """A failure that retrying cannot fix (invalid spec, ...): logged, not retried."""


class Reconciler(Protocol):
    async def reconcile(self, key: str) -> Result | None: ...


class ControllerMetrics(Protocol):
    """Where outcomes go; kubelab.process provides a Prometheus one."""

    def observe_reconcile(self, controller: str, result: str, seconds: float) -> None: ...


def controller_owner_key(obj: Message, owner_kind: str) -> str | None:
    """`namespace/name` of the object's controller owner if it is of `owner_kind`."""
    for ref in obj.metadata.owner_references:
        if ref.controller and ref.kind == owner_kind:
            ns = obj.metadata.namespace
            return f"{ns}/{ref.name}" if ns else ref.name
    return None


class Controller:
    def __init__(self, name: str, reconciler: Reconciler, factory: InformerFactory, *, for_kind: str,
                 owns: Iterable[str] = (), watches: Iterable[tuple[str, Mapper] | tuple[str, Mapper, Changed]] = (),
                 namespace: str = "",
                 workers: int = 1, can_act: Callable[[], bool] = lambda: True,
                 metrics: ControllerMetrics | None = None,
                 new_queue: Callable[[str], WorkQueue[str]] = WorkQueue):
        self.name, self.reconciler, self.factory = name, reconciler, factory
        self.for_kind = registry.lookup(for_kind).kind
        self.namespace, self.workers, self.can_act, self.metrics = namespace, workers, can_act, metrics
        self._new_queue = new_queue
        self.queue: WorkQueue[str] = new_queue(name)
        self.informer = factory.informer(self.for_kind, namespace)
        # Informers are requested now, so that they run (and a standby's caches stay warm) before
        # this controller does.
        sources = [(self.for_kind, lambda o: [key_of(o)])] + [(kind, self._owner_mapper()) for kind in owns]
        self._sources = [(factory.informer(kind, namespace), mapper, changed[0] if changed else None)
                         for kind, mapper, *changed in sources + list(watches)]
        self.reconciles = 0

    def _owner_mapper(self) -> Mapper:
        def owner(obj: Message) -> list[str]:
            key = controller_owner_key(obj, self.for_kind)
            return [key] if key else []
        return owner

    def _handler(self, mapper: Mapper, changed: Changed | None) -> ResourceEventHandler:
        def enqueue(obj: Message) -> None:
            for key in mapper(obj):
                self.queue.add(key)

        def update(old: Message, new: Message) -> None:
            if changed is not None and not changed(old, new):
                return  # an update the reconciler has no use for
            # An owner change (adoption, orphaning) concerns both owners; a label change both the
            # selectors that matched before and those that match now.
            enqueue(new)
            if list(old.metadata.owner_references) != list(new.metadata.owner_references) or \
                    dict(old.metadata.labels) != dict(new.metadata.labels):
                enqueue(old)
        return ResourceEventHandler(enqueue, update, enqueue)

    async def run(self) -> None:
        """Wait for the caches, then run the workers until `shut_down()` or cancellation."""
        if self.queue.shutting_down:  # run again (leading again after a lost lease)
            self.queue = self._new_queue(self.name)
        registrations = []
        try:
            for inf, mapper, changed in self._sources:
                registrations.append(inf.add_event_handler(self._handler(mapper, changed)))
            await asyncio.gather(*(inf.wait_for_cache_sync() for inf, _, _ in self._sources))
            if self.queue.shutting_down:
                return
            log.info("controller started controller=%s workers=%d", self.name, self.workers)
            async with asyncio.TaskGroup() as tg:
                for i in range(self.workers):
                    tg.create_task(self._worker(), name=f"{self.name}-worker-{i}")
        finally:
            for reg in registrations:
                reg.remove()
            self.queue.shut_down()
            log.info("controller stopped controller=%s", self.name)

    def shut_down(self) -> None:
        """Stop handing out keys; workers finish the key in hand, then `run` returns."""
        self.queue.shut_down()

    async def _worker(self) -> None:
        async for key in self.queue:
            try:
                await self._process(key)
            finally:
                self.queue.done(key)

    async def _process(self, key: str) -> None:
        if not self.can_act():
            self.queue.add_after(key, 0.5)  # not leading (any more): do not act
            return
        started = time.monotonic()
        try:
            result = await self.reconciler.reconcile(key) or Result()
        except TerminalError as e:
            outcome = "terminal_error"
            log.error("reconcile failed, not retrying controller=%s key=%s error=%s", self.name, key, e)
            self.queue.forget(key)
        except Exception as e:
            outcome = "error"
            log.warning("reconcile failed, retrying controller=%s key=%s requeues=%d error=%r", self.name, key,
                        self.queue.num_requeues(key), e, exc_info=log.isEnabledFor(logging.DEBUG))
            self.queue.add_rate_limited(key)
        else:
            outcome = "success"
            if result.requeue_after is not None:
                outcome = "requeue_after"
                self.queue.forget(key)
                self.queue.add_after(key, result.requeue_after)
            elif result.requeue:
                outcome = "requeue"
                self.queue.add_rate_limited(key)
            else:
                self.queue.forget(key)
        self.reconciles += 1
        if self.metrics is not None:
            self.metrics.observe_reconcile(self.name, outcome, time.monotonic() - started)
