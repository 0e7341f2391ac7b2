"""The side effects of a pod worker: starting, watching, probing and stopping its containers, its events,
and tearing the pod down (stop, clean up, confirm the deletion). `PodWorker` decides when.
"""
from __future__ import annotations

import abc
import asyncio
import logging
import shutil
import time
from collections.abc import Coroutine

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_not_found, is_precondition_failed
from kubelab.events import object_reference
from services.kubelet.backoff import format_delay
from services.kubelet.containers import ContainerSlot, prune_runs
from services.kubelet.decisions import is_sidecar
from services.kubelet.envvars import EnvError
from services.kubelet.hooks import run_hook
from services.kubelet.images import NoCommand
from services.kubelet.podcontext import PodContext
from services.kubelet.podsetup import MountError, PodRecord, new_run_spec
from services.kubelet.prober import ContainerProber
from services.kubelet.runtime.runtime import Mount, StartFailed
from services.kubelet.volumes import VolumeSource

__all__ = ["PodLifecycle", "MIN_FORCE_GRACE"]

log = logging.getLogger(__name__)

#: Seconds a force-deleted pod's containers get between SIGTERM and SIGKILL (the kubelet's minimum).
MIN_FORCE_GRACE = 2


class DeadlineWatch:
    """When the containers being stopped are to be killed (time.monotonic()); `changed` is set when that
    comes sooner: a second delete with a shorter grace period, or a force delete (the kubelet's pod
    workers cancel the running kill and kill again with the shorter period, counted from then)."""

    def __init__(self, at: float):
        self.at = at
        self.changed = asyncio.Event()

    def shorten(self, grace: float) -> bool:
        at = time.monotonic() + grace
        if at >= self.at:
            return False
        self.at = at
        self.changed.set()
        return True


class PodLifecycle(abc.ABC):
    def __init__(self, ctx: PodContext, pod: core_pb2.Pod):
        self.ctx, self.pod = ctx, pod
        self.uid = pod.metadata.uid
        self.key = f"{pod.metadata.namespace}/{pod.metadata.name}"
        self.gone = False
        self.stopped = False
        self.finished = False
        self.errors = 0
        self.record: PodRecord | None = None
        self.netns = ""
        """The pod's network namespace once set up ("" for hostNetwork pods)."""
        self.sources: dict[str, VolumeSource] = {}
        self.tg: asyncio.TaskGroup | None = None
        self.init_slots = [ContainerSlot(c, init=True, waiting_reason="PodInitializing")
                           for c in pod.spec.init_containers]
        self.slots = [ContainerSlot(c) for c in pod.spec.containers]
        self.kill_deadline: DeadlineWatch | None = None
        """Set while the pod's containers are being stopped for its deletion."""

    def shorten_grace(self) -> None:
        """A newer pod (or its force deletion) may bring the running termination's SIGKILL forward."""
        if self.kill_deadline is None or self.stopped:
            return
        if self.gone:
            grace = MIN_FORCE_GRACE
        elif self.pod.metadata.HasField("deletion_grace_period_seconds"):
            grace = self.pod.metadata.deletion_grace_period_seconds
        else:
            return
        if self.kill_deadline.shorten(grace):
            log.info("grace period shortened pod=%s uid=%s grace=%s", self.key, self.uid, grace)

    @abc.abstractmethod
    def wake(self) -> None:
        """Run the pod's next sync soon (PodWorker schedules it)."""

    @property
    def pod_ip(self) -> str:
        return self.record.pod_ip if self.record else ""

    def all_slots(self) -> list[ContainerSlot]:
        return self.init_slots + self.slots

    def slot(self, name: str) -> ContainerSlot:
        return next(s for s in self.all_slots() if s.name == name)

    def event(self, type_: str, reason: str, message: str, slot: ContainerSlot | None = None) -> None:
        ref = object_reference(self.pod)
        if slot is not None:
            ref.field_path = f"spec.{'initContainers' if slot.init else 'containers'}{{{slot.name}}}"
        self.ctx.events.event(ref, type_, reason, message)

    def _task(self, coro: Coroutine, name: str) -> asyncio.Task:
        async def guarded():
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("task failed pod=%s task=%s", self.key, name)
        return self.tg.create_task(guarded(), name=name)

    # --- starting ---------------------------------------------------------------------------------

    async def start_or_back_off(self, slot: ContainerSlot, pod_files: list[Mount]) -> float | None:
        """Start the container, unless it is in CrashLoopBackOff: then how long it still waits."""
        cur = slot.current
        if cur is not None and cur.exit is not None:
            key, now = f"{self.uid}/{slot.name}", time.time()
            finished = cur.exit.finished_at or now
            remaining = self.ctx.backoff.remaining(key, finished, now)
            if remaining > 0:
                if slot.waiting_reason != "CrashLoopBackOff":
                    self.event("Warning", "BackOff", f"Back-off restarting failed container {slot.name} in pod "
                               f"{self.pod.metadata.name}_{self.pod.metadata.namespace}({self.uid})", slot)
                slot.waiting_reason = "CrashLoopBackOff"
                slot.waiting_message = (f"back-off {format_delay(self.ctx.backoff.get(key))} restarting failed "
                                        f"container={slot.name} pod={self.pod.metadata.name}_"
                                        f"{self.pod.metadata.namespace}({self.uid})")
                return remaining
            self.ctx.backoff.next(key, finished)
        await self.start(slot, pod_files)
        return None

    async def start(self, slot: ContainerSlot, pod_files: list[Mount]) -> None:
        attempt, ctx = slot.attempts, self.ctx
        warnings: list[str] = []
        try:
            spec = new_run_spec(self.pod, slot.spec, attempt, pod_ip=self.pod_ip, host_ip=ctx.host_ip,
                                allocatable=ctx.allocatable, python_dir=ctx.python_dir, sources=self.sources,
                                pod_files=pod_files, builtin_dir=ctx.builtin_dir, lookups=ctx.lookups,
                                warnings=warnings, netns=self.netns)
        except EnvError as e:
            return self._cannot_create(slot, "CreateContainerConfigError", str(e))
        except (NoCommand, MountError) as e:
            return self._cannot_create(slot, "CreateContainerError", str(e))
        for warning in warnings:
            self.event("Warning", "InvalidEnvironmentVariableNames", warning)
        self.event("Normal", "Pulled", f'Container image "{slot.spec.image}" already present on machine', slot)
        ns, name = self.pod.metadata.namespace, self.pod.metadata.name
        try:
            rec = await ctx.runtime.start(spec, ctx.paths.run_dir(self.uid, slot.name, attempt),
                                          ctx.paths.log_file(ns, name, self.uid, slot.name, attempt))
        except StartFailed as e:
            return self._cannot_create(slot, "RunContainerError", str(e))
        slot.previous, slot.current = slot.current, rec
        slot.reason_before_start = (slot.waiting_reason or "ContainerCreating", slot.waiting_message)
        slot.waiting_reason, slot.waiting_message = "", ""
        prune_runs(ctx.paths.container_dir(self.uid, slot.name), attempt - 1)
        if rec.exit is not None and rec.exit.reason == "StartError":
            self.event("Warning", "Failed", f'Error: failed to start container "{slot.name}": {rec.exit.message}',
                       slot)
        else:
            self.event("Normal", "Created", f"Created container {slot.name}", slot)
            self.event("Normal", "Started", f"Started container {slot.name}", slot)
        self.watch(slot)
        if rec.running and slot.spec.lifecycle.HasField("post_start"):
            await self._post_start(slot)

    async def _post_start(self, slot: ContainerSlot) -> None:
        error = await run_hook(slot.spec.lifecycle.post_start, slot.spec, self.pod_ip, slot.current,
                               self.ctx.runtime, float(self._grace()))
        if error is None:
            return
        self.event("Warning", "FailedPostStartHook", f'PostStartHook failed for container "{slot.name}": {error}',
                   slot)
        self.event("Normal", "Killing", f"FailedPostStartHook: stopping container {slot.name}", slot)
        await self.stop(slot, self._grace())

    def _cannot_create(self, slot: ContainerSlot, reason: str, message: str) -> None:
        if slot.waiting_reason != reason or slot.waiting_message != message:
            log.warning("cannot create container pod=%s container=%s reason=%s error=%s", self.key, slot.name,
                        reason, message)
        slot.waiting_reason, slot.waiting_message = reason, message
        self.event("Warning", "Failed", f"Error: {message}", slot)

    def watch(self, slot: ContainerSlot) -> None:
        """Wake the worker when the current run ends; probe it meanwhile."""
        rec = slot.current
        slot.watcher = self._task(self._watch_run(slot, rec), f"watch:{self.key}:{slot.name}:{rec.attempt}")
        if not slot.init or is_sidecar(slot.spec):
            prober = ContainerProber(self.key, slot.spec, rec, self.pod_ip, self.ctx.runtime, self.wake,
                                     lambda kind, out: self.event("Warning", "Unhealthy",
                                                                  f"{kind.value} probe failed: {out}", slot))
            slot.prober = prober
            if prober.probes:
                slot.probing = self._task(prober.run(), f"probe:{self.key}:{slot.name}:{rec.attempt}")

    async def _watch_run(self, slot: ContainerSlot, rec) -> None:
        await self.ctx.runtime.wait(rec)
        ex = rec.exit
        log.info("container exited pod=%s container=%s attempt=%d exit_code=%s reason=%s", self.key, slot.name,
                 rec.attempt, ex.exit_code if ex else "?", (ex.reason if ex else "") or "-")
        if slot.current is rec:
            slot.stop_probing()
        self.wake()

    # --- stopping ---------------------------------------------------------------------------------

    def _grace(self, probe: core_pb2.Probe | None = None) -> int:
        if probe is not None and probe.HasField("termination_grace_period_seconds"):
            return probe.termination_grace_period_seconds
        spec = self.pod.spec
        return spec.termination_grace_period_seconds if spec.HasField("termination_grace_period_seconds") else 30

    async def stop(self, slot: ContainerSlot, grace: float, deadline: DeadlineWatch | None = None) -> None:
        rec = slot.current
        slot.stop_probing()
        if rec is None or not rec.running:
            return
        log.info("stopping container pod=%s container=%s grace=%s", self.key, slot.name, grace)
        if slot.spec.lifecycle.HasField("pre_stop") and grace > 0:
            began = time.monotonic()
            error = await run_hook(slot.spec.lifecycle.pre_stop, slot.spec, self.pod_ip, rec, self.ctx.runtime,
                                   grace)
            if error is not None:
                self.event("Warning", "FailedPreStopHook", f'PreStopHook failed for container "{slot.name}": '
                           f"{error}", slot)
            grace = max(MIN_FORCE_GRACE, grace - (time.monotonic() - began))
        await self.ctx.runtime.stop(rec, grace, deadline)

    async def kill_unhealthy(self) -> None:
        """Stop containers whose liveness or startup probe failed (the sync then restarts them)."""
        for slot in self.all_slots():
            bad = slot.prober.unhealthy() if slot.running and slot.prober else None
            if bad is None:
                continue
            kind, _ = bad
            probe = slot.spec.startup_probe if kind.value == "Startup" else slot.spec.liveness_probe
            self.event("Normal", "Killing",
                       f"Container {slot.name} failed {kind.value.lower()} probe, will be restarted", slot)
            await self.stop(slot, self._grace(probe))

    async def terminate(self) -> float | None:
        """Stop everything, clean up, confirm the deletion; a delay when the confirmation must be retried."""
        if not self.stopped:
            if self.gone:
                grace = MIN_FORCE_GRACE
            elif self.pod.metadata.HasField("deletion_grace_period_seconds"):
                grace = self.pod.metadata.deletion_grace_period_seconds
            else:
                grace = self._grace()
            running = [s for s in self.slots if s.running]
            for slot in running:
                self.event("Normal", "Killing", f"Stopping container {slot.name}", slot)
            self.kill_deadline = deadline = DeadlineWatch(time.monotonic() + grace)
            await asyncio.gather(*(self.stop(s, grace, deadline) for s in running))
            await asyncio.gather(*(self.stop(s, grace, deadline) for s in self.init_slots if s.running))
            for slot in self.all_slots():
                slot.cancel_tasks()
            await self.delete_network()
            self.clean_up()
            self.stopped = True
            log.info("pod stopped pod=%s uid=%s grace=%s force=%s", self.key, self.uid, grace, self.gone)
        if self.gone or await self.confirm_deletion():
            self.finished = True
            return None
        self.errors += 1
        return min(0.5 * 2 ** self.errors, 10.0)

    async def delete_network(self) -> None:
        """CNI DEL once the containers are gone (a pod that never got a network has nothing to delete)."""
        net = self.ctx.network
        if net is not None and not self.pod.spec.host_network:
            await asyncio.to_thread(net.del_pod, self.uid, self.pod_ip)
            self.netns = ""

    def clean_up(self) -> None:
        """Remove the pod's directories (emptyDirs, records) and logs; forget its IP and back-offs."""
        ctx, m = self.ctx, self.pod.metadata
        shutil.rmtree(ctx.paths.pod_dir(self.uid), ignore_errors=True)
        shutil.rmtree(ctx.paths.log_dir(m.namespace, m.name, self.uid), ignore_errors=True)
        if ctx.ipam is not None:
            ctx.ipam.release(self.uid)
        ctx.backoff.forget_prefix(self.uid + "/")
        ctx.status.forget(self.uid)

    async def confirm_deletion(self) -> bool:
        m = self.pod.metadata
        try:
            await self.ctx.client.delete("Pod", m.name, m.namespace, grace_period_seconds=0, uid=self.uid)
        except ApiError as e:
            if is_not_found(e) or is_precondition_failed(e):
                return True
            log.warning("cannot confirm pod deletion pod=%s error=%s", self.key, e)
            return False
        log.info("pod deleted pod=%s uid=%s", self.key, self.uid)
        return True
