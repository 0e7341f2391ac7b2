"""The scheduler's engine: one scheduling loop, many binding cycles (upstream schedule_one.go).

    pop a pod -> scheduling cycle (synchronous: PreFilter, Filter, Score, assume, Reserve)
              -> binding cycle (a task: PreBind, Bind), while the loop goes on with the next pod.

The scheduling cycle never awaits, so the cache cannot change under it; an assumed pod counts on its
node from that moment. A failed binding cycle undoes the reservation and forgets the assumption. A pod
that fits nowhere gets a FailedScheduling event and PodScheduled=False (reason Unschedulable, or
SchedulerError when the scheduler itself failed), and waits in the queue for a cluster event.

`run()` is one leadership term: the cache and the queue are rebuilt from the informers each time.
"""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2
from kubelab.events import NORMAL, WARNING, EventRecorder
from kubelab.informer import InformerFactory
from services.scheduler.algorithm import SchedulingError, schedule_pod
from services.scheduler.cache import SchedulerCache
from services.scheduler.eventhandlers import EventHandlers
from services.scheduler.fiterror import FitError, NoNodesAvailable
from services.scheduler.framework import ActionType, ClusterEvent, CycleState, Framework, Status
from services.scheduler.nodeinfo import new_pod_info
from services.scheduler.plugins import new_default_framework
from services.scheduler.plugins.default_preemption import VICTIMS_KEY
from services.scheduler.plugins.node_resources_fit import POD_INFO_KEY
from services.scheduler.queue import QueuedPodInfo, SchedulingQueue
from services.scheduler.status import StatusWriter
from services.scheduler.volumecache import VolumeCache

__all__ = ["Scheduler", "SchedulerOptions"]

log = logging.getLogger(__name__)

UNSCHEDULABLE, SCHEDULER_ERROR = "Unschedulable", "SchedulerError"
_FORGOTTEN = ClusterEvent("Pod", ActionType.DELETE)  # a forgotten assumption frees room like a deletion
NO_NODES = "NoNodes"
"""The rejector recorded when there is no node at all: only a node being added can help."""


@dataclass(frozen=True)
class SchedulerOptions:
    scheduler_name: str = "default-scheduler"
    bind_timeout: float = 600.0
    percentage_of_nodes_to_score: int = 0
    pod_initial_backoff: float = 1.0
    pod_max_backoff: float = 10.0


class Scheduler:
    def __init__(self, client, informers: InformerFactory, options: SchedulerOptions = SchedulerOptions(),
                 rng: random.Random | None = None, stopping: asyncio.Event | None = None):
        """`stopping`: set on SIGTERM; the loop stops taking pods and lets binding cycles finish.

        Events are reported as coming from the scheduler's name (`default-scheduler`), as kube-scheduler
        reports them per profile, by a recorder of its own that runs while this scheduler leads."""
        self.client, self.informers, self.options = client, informers, options
        self.stopping = stopping
        self.rng = rng or random.Random()
        self.nodes, self.pods = informers.informer("Node"), informers.informer("Pod")
        self.pvs, self.pvcs = informers.informer("PersistentVolume"), informers.informer("PersistentVolumeClaim")
        self.classes = informers.informer("StorageClass")
        self.events = EventRecorder(client, options.scheduler_name)
        self.status = StatusWriter(client, self.events)
        self.scheduled = self.failed = 0
        self.cache: SchedulerCache | None = None
        self.queue: SchedulingQueue | None = None
        self.framework: Framework | None = None
        self._next_start = 0
        self._pre_binding: set[asyncio.Task] = set()
        """Binding cycles in PreBind (maybe waiting for volumes): cancelled at shutdown, nothing lost."""

    def responsible(self, pod: core_pb2.Pod) -> bool:
        return (pod.spec.scheduler_name or "default-scheduler") == self.options.scheduler_name

    async def run(self) -> None:
        """Schedule until cancelled (leadership lost, shutdown)."""
        await self.informers.wait_for_cache_sync()
        cache = self.cache = SchedulerCache()
        volumes = VolumeCache(self.pvcs, self.pvs, self.classes)
        fwk = self.framework = new_default_framework(cache, volumes, self.client, self.options.bind_timeout)
        events = {**fwk.events_to_register(), NO_NODES: [ClusterEvent("Node", ActionType.ADD)]}
        queue = self.queue = SchedulingQueue(events, initial_backoff=self.options.pod_initial_backoff,
                                             max_backoff=self.options.pod_max_backoff)
        handlers = EventHandlers(cache, queue, volumes, self.responsible)
        handlers.register(self.nodes, self.pods, self.pvs, self.pvcs, self.classes)
        log.info("scheduler started scheduler_name=%s nodes=%d pending=%d", self.options.scheduler_name,
                 len(cache.node_infos()), len(queue))
        try:
            async with asyncio.TaskGroup() as tg:
                recorder = tg.create_task(self.events.run(), name="events")
                expire = tg.create_task(self._expire_assumed(cache), name="expire-assumed")
                if self.stopping is not None:
                    tg.create_task(self._close_on_stop(queue), name="stop")
                while (qpi := await queue.pop()) is not None:
                    self.schedule_one(qpi, tg)
                    await asyncio.sleep(0)  # let informer events and binding cycles in between pods
                expire.cancel()
                recorder.cancel()
            await self.events.flush()
        finally:
            handlers.unregister()
            queue.close()
            log.info("scheduler stopped scheduled=%d failed=%d", self.scheduled, self.failed)

    async def _close_on_stop(self, queue: SchedulingQueue) -> None:
        await self.stopping.wait()
        queue.close()
        for task in list(self._pre_binding):
            task.cancel()

    async def _expire_assumed(self, cache: SchedulerCache) -> None:
        while True:
            await asyncio.sleep(1.0)
            if cache.cleanup_expired():
                self.queue.move_all_on_event(_FORGOTTEN)

    # --- scheduling cycle ----------------------------------------------------------------------------

    def schedule_one(self, qpi: QueuedPodInfo, tg: asyncio.TaskGroup) -> None:
        pod, cache, queue, fwk = qpi.pod, self.cache, self.queue, self.framework
        if pod.metadata.HasField("deletion_timestamp") or pod.spec.node_name or cache.has_pod(pod.metadata.uid):
            queue.done(pod.metadata.uid)
            return
        cycle = queue.scheduling_cycle
        state = CycleState()
        info = new_pod_info(pod)
        state.write(POD_INFO_KEY, info)
        try:
            result = schedule_pod(fwk, state, pod, cache.node_infos(), start=self._next_start,
                                  percentage=self.options.percentage_of_nodes_to_score, rng=self.rng)
        except FitError as e:
            post = fwk.run_post_filter(state, pod, e.diagnosis)
            nominated = ""
            if post.success and state.read(VICTIMS_KEY):
                nominated, victims = state.read(VICTIMS_KEY)
                tg.create_task(self.status.evict(pod, nominated, victims))
            elif post.reasons:
                e.diagnosis.post_filter_msg = post.message
            qpi.unschedulable_plugins = set(e.diagnosis.unschedulable_plugins)
            self.handle_failure(qpi, cycle, UNSCHEDULABLE, str(e), tg, nominated)
            return
        except NoNodesAvailable as e:
            qpi.unschedulable_plugins = {NO_NODES}
            self.handle_failure(qpi, cycle, UNSCHEDULABLE, str(e), tg)
            return
        except SchedulingError as e:
            self.handle_failure(qpi, cycle, SCHEDULER_ERROR, str(e), tg)
            return
        self._next_start = result.next_start
        node = result.node
        cache.assume_pod(info, node)
        st = fwk.run_reserve(state, pod, node)
        if not st.success:
            fwk.run_unreserve(state, pod, node)
            cache.forget_pod(info.uid)
            qpi.unschedulable_plugins = {st.plugin} if st.rejected else set()
            self.handle_failure(qpi, cycle, UNSCHEDULABLE if st.rejected else SCHEDULER_ERROR, st.message, tg)
            return
        tg.create_task(self.binding_cycle(qpi, state, node, cycle, tg), name=f"bind:{qpi.key}")

    # --- binding cycle -------------------------------------------------------------------------------

    async def binding_cycle(self, qpi: QueuedPodInfo, state: CycleState, node: str, cycle: int,
                            tg: asyncio.TaskGroup) -> None:
        pod, fwk = qpi.pod, self.framework
        task = asyncio.current_task()
        try:
            self._pre_binding.add(task)
            try:
                st = await fwk.run_pre_bind(state, pod, node)
            finally:
                self._pre_binding.discard(task)
            if st.success:
                st = await fwk.run_bind(state, pod, node)
        except Exception as e:  # a bug must not take the scheduling loop down with it
            log.exception("binding cycle failed pod=%s node=%s", qpi.key, node)
            st = Status.error(f"binding cycle: {e!r}")
        if not st.success:
            fwk.run_unreserve(state, pod, node)
            self.cache.forget_pod(pod.metadata.uid)
            self.queue.move_all_on_event(_FORGOTTEN)
            self.handle_failure(qpi, cycle, SCHEDULER_ERROR, st.message, tg)
            return
        self.cache.finish_binding(pod.metadata.uid)
        self.queue.done(pod.metadata.uid)
        self.scheduled += 1
        self.status.event(pod, NORMAL, "Scheduled",
                          f"Successfully assigned {pod.metadata.namespace}/{pod.metadata.name} to {node}")
        log.debug("bound pod=%s node=%s attempts=%d", qpi.key, node, qpi.attempts)

    # --- failures ------------------------------------------------------------------------------------

    def handle_failure(self, qpi: QueuedPodInfo, cycle: int, reason: str, message: str, tg: asyncio.TaskGroup,
                       nominated: str = "") -> None:
        self.failed += 1
        latest = self.pods.get(qpi.key)
        if latest is None or latest.metadata.uid != qpi.uid or latest.spec.node_name:
            self.queue.done(qpi.uid)  # gone, or bound meanwhile (by another scheduler)
            return
        qpi.pod = latest
        self.queue.add_unschedulable(qpi, cycle, error=reason != UNSCHEDULABLE)
        log.info("unable to schedule pod=%s reason=%s attempts=%d message=%r", qpi.key, reason, qpi.attempts, message)
        self.status.event(latest, WARNING, "FailedScheduling", message)
        tg.create_task(self.status.update_pod_scheduled(latest, reason, message, nominated))
