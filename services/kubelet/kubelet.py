"""One node's kubelet: informers of its pods (spec.nodeName), of the Nodes, of the storage objects, of
ConfigMaps, Secrets and Services, one worker per pod, the node agent, the status manager, the node's pod
network and the orphan sweep.

The pod network comes up once the Node has its podCIDR (allocated by the node lifecycle controller, or
written at registration from --pod-cidr): the bridge, the IP pool (recorded pods keep their addresses),
the logs/exec server on the node's address, a sweep of namespaces of pods gone; then the workers, which
waited meanwhile, are woken. With --host-gw, routes to the other nodes' pod ranges follow the Nodes.

Handlers only hand the latest pod to its worker (created on first sight, keyed by uid) or tell it
the pod is gone; PVC, PV and VolumeAttachment changes wake the workers still waiting for volumes;
a ConfigMap or Secret change wakes the workers of the pods that read it (a container waiting for a
key starts, projected files are rewritten). Services are only read (their environment variables).
The orphan sweep (after the first list, then periodically) stops the containers and removes the
directories of pods the API no longer has: pods force-deleted while this kubelet was down.
"""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError
from kubelab.events import EventRecorder
from kubelab.informer import SharedInformer
from services.kubelet import builtin
from services.kubelet.backoff import Backoff
from services.kubelet.config import KubeletConfig
from services.kubelet.containers import load_runs
from services.kubelet.ipam import Ipam
from services.kubelet.node import NodeAgent, NodeIdentity, default_capacity
from services.kubelet.paths import NodePaths
from services.kubelet.podcontext import PodContext
from services.kubelet.podrefs import referenced_objects
from services.kubelet.podnetwork import NETWORK_NOT_READY, HostGwRoutes, IpError, NodeNetwork
from services.kubelet.podsetup import load_pod_record
from services.kubelet.podworker import PodWorker
from services.kubelet.runtime.runtime import ContainerRuntime
from services.kubelet.statusmanager import StatusManager

__all__ = ["Kubelet", "InformerLookups"]

log = logging.getLogger(__name__)


class InformerLookups:
    """VolumeLookups and EnvLookups over the process's shared informers."""

    def __init__(self, pvcs: SharedInformer, pvs: SharedInformer, attachments: SharedInformer,
                 config_maps: SharedInformer | None = None, secrets: SharedInformer | None = None,
                 services: SharedInformer | None = None):
        self.pvcs, self.pvs, self.attachments = pvcs, pvs, attachments
        self.config_maps, self.secrets, self.service_informer = config_maps, secrets, services

    def config_map(self, namespace: str, name: str):
        return self.config_maps.get(f"{namespace}/{name}") if self.config_maps else None

    def secret(self, namespace: str, name: str):
        return self.secrets.get(f"{namespace}/{name}") if self.secrets else None

    def services(self) -> list:
        return self.service_informer.list() if self.service_informer else []

    def pvc(self, namespace: str, name: str):
        return self.pvcs.get(f"{namespace}/{name}")

    def pv(self, name: str):
        return self.pvs.get(name)

    def attachment(self, name: str):
        return self.attachments.get(name)


class Kubelet:
    def __init__(self, proc, cfg: KubeletConfig, serve: Callable[[str], Awaitable[int]]):
        self.proc, self.cfg, self.serve = proc, cfg, serve
        """serve(address): start the logs/exec server on the node's address; its port."""
        self.paths = NodePaths(Path(cfg.root_dir))
        factory = proc.informers
        self.pods = factory.informer("Pod", field_selector=f"spec.nodeName={cfg.node_name}")
        self.nodes = factory.informer("Node")
        self.storage = [factory.informer(k) for k in ("PersistentVolumeClaim", "PersistentVolume",
                                                        "VolumeAttachment")]
        # What pods' environments and projected volumes read (all namespaces: a small cluster's worth).
        self.objects = [factory.informer(k) for k in ("ConfigMap", "Secret")]
        self.services = factory.informer("Service")
        self.events = EventRecorder(proc.client, "kubelet", host=cfg.node_name)
        self.status = StatusManager(proc.client, self.pods.get)
        self.runtime = ContainerRuntime()
        capacity = default_capacity(cfg.cpu, cfg.memory, cfg.max_pods, cfg.root_dir)
        self.ident = NodeIdentity(cfg.node_name, cfg.pod_cidr, "", 0, capacity, network_error=NETWORK_NOT_READY)
        self.ctx = PodContext(
            node_name=cfg.node_name, host_ip="", paths=self.paths, cluster_dir=Path(cfg.cluster_dir),
            runtime=self.runtime, ipam=None, network_error=NETWORK_NOT_READY, events=self.events, status=self.status,
            lookups=InformerLookups(*self.storage, *self.objects, self.services), client=proc.client,
            backoff=Backoff.scaled(cfg.backoff_scale),
            allocatable=capacity, python_dir=os.path.dirname(sys.executable), builtin_dir=self.paths.builtin,
            cluster_dns=cfg.cluster_dns, cluster_domain=cfg.cluster_domain,
            attach_mount_timeout=cfg.attach_mount_timeout)
        self.agent = NodeAgent(proc.client, self.events, self.ident, heartbeat_interval=cfg.heartbeat_interval,
                               report_frequency=cfg.node_status_report_frequency,
                               volumes_in_use=self.volumes_in_use)
        self.workers: dict[str, PodWorker] = {}
        self._tg: asyncio.TaskGroup | None = None

    def volumes_in_use(self) -> list[str]:
        return sorted({s.unique_name for w in self.workers.values() for s in w.sources.values() if s.unique_name})

    async def run(self) -> None:
        """Until the process stops; containers keep running after it (a restarted kubelet adopts them)."""
        builtin.install(self.paths.builtin)
        self.paths.pods.mkdir(parents=True, exist_ok=True)
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                tg.create_task(self.events.run(), name="events")
                tg.create_task(self.status.run(), name="status")
                tg.create_task(self.agent.run(), name="node")
                await self.pods.wait_for_cache_sync()
                for inf in self.storage + self.objects + [self.services]:
                    await inf.wait_for_cache_sync()
                self.pods.add_event_handler(on_add=self._on_pod, on_update=lambda old, new: self._on_pod(new),
                                            on_delete=self._on_pod_deleted)
                for inf in self.storage:
                    inf.add_event_handler(on_add=self._on_storage, on_update=lambda old, new: self._on_storage(new),
                                          on_delete=self._on_storage)
                for inf in self.objects:
                    inf.add_event_handler(on_add=self._on_object, on_update=lambda old, new: self._on_object(new),
                                          on_delete=self._on_object)
                tg.create_task(self._bring_up_network(), name="network")
                tg.create_task(self._sweep_orphans(), name="orphans")
                log.info("kubelet running node=%s pods=%d", self.cfg.node_name, len(self.workers))
                await self.proc.stopping.wait()
                raise _Stopping
        except* _Stopping:
            pass
        finally:
            await self.events.flush()
            log.info("kubelet stopped, containers keep running node=%s", self.cfg.node_name)

    async def _bring_up_network(self) -> None:
        await self.agent.registered.wait()
        changed = asyncio.Event()
        self.nodes.add_event_handler(on_add=lambda n: changed.set(), on_update=lambda old, new: changed.set(),
                                     on_delete=lambda n: changed.set())
        await self.nodes.wait_for_cache_sync()
        while not (cidr := self._pod_cidr()):
            log.info("waiting for the node's podCIDR node=%s", self.cfg.node_name)
            await changed.wait()
            changed.clear()
        if self.cfg.pod_cidr and cidr != self.cfg.pod_cidr:
            log.warning("the Node has a podCIDR of its own, using it node=%s pod_cidr=%s flag=%s",
                        self.cfg.node_name, cidr, self.cfg.pod_cidr)
        net = NodeNetwork(self.cfg.cluster_id, self.cfg.node_name, cidr)
        delay = 1.0
        while True:
            try:
                await asyncio.to_thread(net.ensure_bridge)
                break
            except (IpError, OSError) as e:
                log.error("cannot set up the node's pod network, retrying node=%s error=%s", self.cfg.node_name, e)
                self.ctx.network_error = f"{NETWORK_NOT_READY}: {e}"
                self.agent.ident = replace(self.agent.ident, network_error=self.ctx.network_error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        address = self.cfg.node_ip or net.gateway
        port = await self.serve(address)
        ipam = Ipam(cidr)
        for uid in self._recorded_uids():  # pods this node already runs keep their addresses
            rec = load_pod_record(self.paths, uid)
            if rec is not None and rec.pod_ip and rec.pod_ip != address:
                ipam.reserve(rec.uid, rec.pod_ip)
        swept = await asyncio.to_thread(net.sweep, set(self._recorded_uids()))
        self.ctx.ipam, self.ctx.host_ip, self.ctx.network, self.ctx.network_error = ipam, address, net, ""
        self.agent.ident = replace(self.agent.ident, pod_cidr=cidr, address=address, port=port, network_error="")
        log.info("pod network up node=%s pod_cidr=%s address=%s swept_namespaces=%d", self.cfg.node_name, cidr,
                 address, len(swept))
        try:
            await self.agent.update_status(force=True)
        except ApiError as e:
            log.warning("node status not written, the heartbeat will node=%s error=%s", self.cfg.node_name, e)
        for worker in self.workers.values():
            worker.wake()
        if self.cfg.host_gw:
            await self._follow_routes(changed)

    def _pod_cidr(self) -> str:
        node = self.nodes.get(self.cfg.node_name)
        return node.spec.pod_cidr if node is not None else ""

    def _recorded_uids(self) -> list[str]:
        try:
            return [p.name for p in self.paths.pods.iterdir() if p.is_dir()]
        except FileNotFoundError:
            return []

    async def _follow_routes(self, changed: asyncio.Event) -> None:
        routes = HostGwRoutes(self.cfg.node_name, self.cfg.cluster_id)
        while True:
            nodes = [(n.metadata.name, n.spec.pod_cidr,
                      next((a.address for a in n.status.addresses if a.type == "InternalIP"), ""))
                     for n in self.nodes.list()]
            try:
                await asyncio.to_thread(routes.sync, nodes)
            except IpError as e:
                log.error("cannot route to other nodes' pods node=%s error=%s", self.cfg.node_name, e)
            await changed.wait()
            changed.clear()

    def _on_pod(self, pod: core_pb2.Pod) -> None:
        uid = pod.metadata.uid
        worker = self.workers.get(uid)
        if worker is not None:
            worker.update(pod)
            return
        if pod.status.phase in ("Succeeded", "Failed") and load_pod_record(self.paths, uid) is None:
            return  # finished (or refused) before this node ran it: never run it again
        if not pod.metadata.HasField("deletion_timestamp") and not self._admit(pod):
            return
        worker = self.workers[uid] = PodWorker(self.ctx, pod)
        self._tg.create_task(self._run_worker(worker), name=f"pod:{worker.key}")

    def _admit(self, pod: core_pb2.Pod) -> bool:
        """Refuse a pod beyond --max-pods as the kubelet does: phase Failed, reason OutOfpods."""
        used = sum(1 for w in self.workers.values() if not w.terminal)
        if used < self.cfg.max_pods or load_pod_record(self.paths, pod.metadata.uid) is not None:
            return True
        message = (f"Pod Node didn't have enough resource: pods, requested: 1, used: {used}, "
                   f"capacity: {self.cfg.max_pods}")
        log.warning("pod refused pod=%s/%s reason=OutOfpods used=%d", pod.metadata.namespace, pod.metadata.name,
                    used)
        self.events.event(pod, "Warning", "OutOfpods", message)
        status = core_pb2.PodStatus(phase="Failed", reason="OutOfpods", message=message)
        status.conditions.extend(c for c in pod.status.conditions if c.type == "PodScheduled")
        self.status.set_status(pod.metadata.uid, f"{pod.metadata.namespace}/{pod.metadata.name}", status)
        return False

    async def _run_worker(self, worker: PodWorker) -> None:
        try:
            await worker.run()
        except Exception:
            log.exception("pod worker failed pod=%s", worker.key)
        finally:
            if self.workers.get(worker.uid) is worker:
                del self.workers[worker.uid]

    def _on_pod_deleted(self, pod: core_pb2.Pod) -> None:
        worker = self.workers.get(pod.metadata.uid)
        if worker is not None:
            worker.deleted()

    def _on_storage(self, _obj) -> None:
        for worker in self.workers.values():
            if worker.volumes_pending:
                worker.wake()

    def _on_object(self, obj) -> None:
        """A ConfigMap or Secret changed: wake the pods that read it."""
        ref = (type(obj).__name__, obj.metadata.name)
        for worker in self.workers.values():
            if worker.pod.metadata.namespace == obj.metadata.namespace and ref in referenced_objects(worker.pod):
                worker.wake()

    async def _sweep_orphans(self) -> None:
        while True:
            try:
                await self.clean_up_orphans()
            except Exception:
                log.exception("orphan sweep failed node=%s", self.cfg.node_name)
            await asyncio.sleep(self.cfg.orphan_cleanup_interval)

    async def clean_up_orphans(self) -> None:
        known = set(self.workers) | {p.metadata.uid for p in self.pods.list()}
        try:
            uids = [p.name for p in self.paths.pods.iterdir() if p.is_dir()]
        except FileNotFoundError:
            return
        for uid in uids:
            if uid in known:
                continue
            rec = load_pod_record(self.paths, uid)
            key = rec.key if rec else "?"
            containers = self.paths.pod_dir(uid) / "containers"
            runs = [load_runs(d)[0] for d in containers.iterdir()] if containers.is_dir() else []
            running = [r for r in runs if r is not None and r.running]
            log.info("cleaning up orphaned pod pod=%s uid=%s running_containers=%d", key, uid, len(running))
            await asyncio.gather(*(self.runtime.stop(r, 0) for r in running))
            if self.ctx.network is not None:
                await asyncio.to_thread(self.ctx.network.del_pod, uid, rec.pod_ip if rec else "")
            if rec is not None:
                shutil.rmtree(self.paths.log_dir(rec.namespace, rec.name, uid), ignore_errors=True)
            shutil.rmtree(self.paths.pod_dir(uid), ignore_errors=True)  # last: its absence means done
            if self.ctx.ipam is not None:
                self.ctx.ipam.release(uid)


class _Stopping(Exception):
    """Ends the kubelet's task group on SIGTERM."""
