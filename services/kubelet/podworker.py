"""One worker per pod (by uid): a level-triggered loop that makes the node match the pod.

Each pass of `sync` reads the latest pod object and what the runtime has, and acts: wait for the node's
pod network (NetworkNotReady), set up the pod (IP, network namespace, hosts files, volumes), stop
containers whose liveness or startup probe failed, run the init containers one by one, start or restart
(after back-off) the containers, and publish the status. Updates of the pod, a container's exit and a
probe's change only wake the loop; nothing acts on the event itself. On deletion (deletionTimestamp, or
the pod gone from the API: force-deleted) the worker stops every container (SIGTERM, grace, SIGKILL),
removes the pod's directories and logs, and confirms the deletion to the API server with grace period 0.
"""
from __future__ import annotations

import asyncio
import logging
import time

from kubelab.api.v1 import core_pb2
from services.kubelet.containers import ContainerSlot, load_runs
from services.kubelet.decisions import is_sidecar, next_init_step, should_restart
from services.kubelet.hostpath import HostPathError
from services.kubelet.ipam import PoolExhausted
from services.kubelet.mountwait import MountWait
from services.kubelet.podcontext import PodContext
from services.kubelet.podlifecycle import PodLifecycle
from services.kubelet.podnetwork import IpError
from services.kubelet.podsetup import PodRecord, load_pod_record, save_pod_record, spec_hash, write_pod_files
from services.kubelet.podstatus import build_pod_status
from services.kubelet.volumes import VolumeContext, VolumeProblem, VolumeSource, resolve_volume, set_up

__all__ = ["PodWorker"]

log = logging.getLogger(__name__)

RESYNC = 30.0
VOLUME_RETRY = 2.0


class PodWorker(PodLifecycle):
    def __init__(self, ctx: PodContext, pod: core_pb2.Pod):
        super().__init__(ctx, pod)
        self._wake = asyncio.Event()
        self._wake.set()
        self.terminal = False
        """The pod has Succeeded or Failed: it no longer counts against --max-pods."""
        self.volumes_pending = False
        """Some volume is not ready: storage objects' changes wake this worker."""
        self._mount_wait = MountWait(ctx.attach_mount_timeout)

    # --- what the kubelet calls -----------------------------------------------------------------

    def update(self, pod: core_pb2.Pod) -> None:
        self.pod = pod
        self.shorten_grace()  # the sync may be busy stopping containers: this reaches it there
        self.wake()

    def deleted(self) -> None:
        """The pod is gone from the API (confirmed, or force-deleted)."""
        self.gone = True
        self.shorten_grace()
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as tg:
                self.tg = tg
                self._adopt()
                delay = 0.0
                while not self.finished:
                    try:
                        async with asyncio.timeout(delay):  # not wait_for, which can swallow a cancel (3.11)
                            await self._wake.wait()
                    except TimeoutError:
                        pass
                    self._wake.clear()
                    delay = await self._sync_safely()
                    log.debug("pod synced pod=%s next_sync_in=%.2f", self.key, delay)
                for slot in self.all_slots():
                    slot.cancel_tasks()
        finally:
            log.info("pod worker stopped pod=%s uid=%s", self.key, self.uid)

    async def _sync_safely(self) -> float:
        try:
            delay = await self.sync()
            self.errors = 0
            return RESYNC if delay is None else max(0.05, delay)
        except Exception as e:
            self.errors += 1
            log.exception("pod sync failed pod=%s error=%r", self.key, e)
            return min(0.5 * 2 ** self.errors, 30.0)

    # --- adopting runs after a kubelet restart ----------------------------------------------------

    def _adopt(self) -> None:
        self.record = load_pod_record(self.ctx.paths, self.uid)
        if self.record is not None and self.record.pod_ip and self.ctx.ipam is not None:
            self.ctx.ipam.reserve(self.uid, self.record.pod_ip)
        for slot in self.all_slots():
            slot.current, slot.previous = load_runs(self.ctx.paths.container_dir(self.uid, slot.name))
            if slot.current is not None:
                log.info("found container run pod=%s container=%s attempt=%d running=%s", self.key, slot.name,
                         slot.current.attempt, slot.current.running)
                if slot.running:
                    self.watch(slot)

    # --- the sync ---------------------------------------------------------------------------------

    async def sync(self) -> float | None:
        """One pass; returns when to come back (None: only when woken or after RESYNC)."""
        pod = self.pod
        if self.gone or pod.metadata.HasField("deletion_timestamp"):
            delay = await self.terminate()
            return delay
        self._refresh_specs()
        if self.ctx.network is None:
            return self._wait_for_network()
        if not self._ensure_record():
            return VOLUME_RETRY
        if not await self._ensure_network():
            return VOLUME_RETRY
        pod_files = write_pod_files(self.ctx.paths, pod, self.pod_ip, self.ctx.cluster_dns, self.ctx.cluster_domain)
        problems = self._set_up_volumes()
        self.volumes_pending = bool(problems)
        for reason, message in self._mount_wait.events(problems, time.monotonic()):
            self.event("Warning", reason, message)
        if problems:
            self.publish()
            return VOLUME_RETRY
        await self.kill_unhealthy()
        delays = await self._run_containers(pod_files)
        delays.append(self.publish())
        delays = [d for d in delays if d is not None]
        return min(delays) if delays else None

    async def _run_containers(self, pod_files) -> list[float | None]:
        policy = self.pod.spec.restart_policy or "Always"
        observed = {s.name: s.observed() for s in self.init_slots}
        step = next_init_step(list(self.pod.spec.init_containers), observed, policy)
        delays: list[float | None] = []
        if step.action in ("start", "restart"):
            delays.append(await self.start_or_back_off(self.slot(step.name), pod_files))
        for slot in self.init_slots:  # sidecars that stopped after initialization
            if step.action == "done" and is_sidecar(slot.spec) and not slot.running:
                delays.append(await self.start_or_back_off(slot, pod_files))
        if step.action != "done":
            for slot in self.slots:
                if slot.current is None and slot.waiting_reason == "ContainerCreating":
                    slot.waiting_reason = "PodInitializing"
            return delays
        for slot in self.slots:
            if slot.running and slot.current.spec_hash not in ("", spec_hash(slot.spec)):
                self.event("Normal", "Killing", f"Container {slot.name} definition changed, will be restarted", slot)
                await self.stop(slot, self._grace())
                await self.start(slot, pod_files)
                continue
            if slot.running:
                continue
            if slot.attempts == 0 or should_restart(policy, slot.exit_code):
                delays.append(await self.start_or_back_off(slot, pod_files))
        return delays

    def _refresh_specs(self) -> None:
        """Take the latest container definitions (a pod's images may change)."""
        specs = {c.name: c for c in list(self.pod.spec.init_containers) + list(self.pod.spec.containers)}
        for slot in self.all_slots():
            slot.spec = specs.get(slot.name, slot.spec)

    def _ensure_record(self) -> bool:
        if self.record is not None:
            return True
        pod = self.pod
        try:
            ip = self.ctx.host_ip if pod.spec.host_network else self.ctx.ipam.allocate(self.uid)
        except PoolExhausted as e:
            self.event("Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {e}")
            return False
        self.record = PodRecord(self.uid, pod.metadata.namespace, pod.metadata.name, ip, time.time())
        save_pod_record(self.ctx.paths, self.record)
        log.info("pod admitted pod=%s uid=%s pod_ip=%s", self.key, self.uid, ip)
        return True

    def _wait_for_network(self) -> None:
        """No pod runs before the node has its pod network (the kubelet wakes every worker then)."""
        if self.record is None and not self._reported.get("network"):
            message = f"network is not ready: {self.ctx.network_error}"
            self.event("Warning", "NetworkNotReady", message)
            self._reported["network"] = (message, time.monotonic())
            self.publish()
        return None

    async def _ensure_network(self) -> bool:
        """CNI ADD (idempotent): the pod's namespace, veth and address; False, with an event, on failure."""
        if self.pod.spec.host_network:
            return True
        try:
            self.netns = await asyncio.to_thread(self.ctx.network.add_pod, self.uid, self.pod_ip)
            return True
        except IpError as e:
            log.warning("cannot set up the pod network pod=%s error=%s", self.key, e)
            self.event("Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {e}")
            self.publish()
            return False

    def _set_up_volumes(self) -> list[VolumeProblem]:
        ctx = VolumeContext(self.ctx.paths, self.ctx.cluster_dir, self.ctx.node_name, self.ctx.lookups,
                            self.ctx.allocatable)
        problems: list[VolumeProblem] = []
        sources: dict[str, VolumeSource] = {}
        for vol in self.pod.spec.volumes:
            mounted = self.sources.get(vol.name)
            if mounted is not None and mounted.payload is None:  # set up once; a mounted volume stays as it is
                sources[vol.name] = mounted
                continue
            res = resolve_volume(self.pod, vol, ctx)  # projected files: rewritten when their objects changed
            if isinstance(res, VolumeProblem):
                if mounted is not None:  # the object went away: the containers keep the last files
                    log.warning("cannot update volume pod=%s volume=%s error=%s", self.key, vol.name, res.message)
                    sources[vol.name] = mounted
                    continue
                problems.append(res)
                continue
            try:
                set_up(res)
            except HostPathError as e:
                problems.append(VolumeProblem(vol.name, "FailedMount",
                                              f'MountVolume.SetUp failed for volume "{vol.name}" : {e}'))
                continue
            sources[vol.name] = res
        self.sources = sources
        return problems

    def publish(self) -> float | None:
        """Hand the status to the status manager; seconds until a started run is relisted (then publish
        again), if one waits for that."""
        policy = self.pod.spec.restart_policy or "Always"
        init_done = next_init_step(list(self.pod.spec.init_containers),
                                   {s.name: s.observed() for s in self.init_slots}, policy).action == "done"

        def restarting(slot: ContainerSlot) -> bool:
            if slot.current is None or slot.running:
                return False
            if slot.init:
                return is_sidecar(slot.spec) or (slot.exit_code != 0 and policy != "Never")
            return init_done and should_restart(policy, slot.exit_code)

        now = time.time()
        status = build_pod_status(self.pod, [s.view(restarting(s), now) for s in self.init_slots],
                                  [s.view(restarting(s), now) for s in self.slots], pod_ip=self.pod_ip,
                                  host_ip=self.ctx.host_ip, start_time=self.record.start_time if self.record else 0,
                                  now=now)
        self.terminal = status.phase in ("Succeeded", "Failed")
        self.ctx.status.set_status(self.uid, self.key, status)
        relists = [d for d in (s.seen_running_in(now) for s in self.all_slots()) if d]
        return min(relists) if relists else None
