"""`--hollow N`: one process registers N nodes (`<node-name>-1` ... `-N`) and runs their pods without
processes, as Kubernetes' kubemark and KWOK do, for scale tests and benchmarks.

Each hollow node registers, heartbeats and reports status like a real one (label
kubelab.io/hollow=true). A pod bound to one becomes Running and Ready at once: its init containers
Completed, its containers running and ready, an IP from the node's own range 10.<i/256>.<i%256>.0/24.
A pod being deleted is confirmed at once. Pods are reconciled through the shared controller loop.
"""
from __future__ import annotations

import logging
import random
import time

from kubelab.api.v1 import core_pb2
from kubelab.controller import Controller, Result
from kubelab.errors import ApiError, is_not_found, is_precondition_failed
from kubelab.events import EventRecorder
from services.kubelet import images
from services.kubelet.config import KubeletConfig
from services.kubelet.ipam import Ipam
from services.kubelet.node import NodeAgent, NodeIdentity, default_capacity
from services.kubelet.podstatus import ContainerView, Terminated, build_pod_status
from services.kubelet.statusmanager import StatusManager

__all__ = ["HollowNodes", "hollow_pod_cidr"]

log = logging.getLogger(__name__)


def hollow_pod_cidr(i: int) -> str:
    return f"10.{(i // 256) % 256}.{i % 256}.0/24"


def hollow_views(pod: core_pb2.Pod, started: float) -> tuple[list[ContainerView], list[ContainerView]]:
    def base(c):
        return dict(name=c.name, image=c.image, image_id=images.image_id(c.image))
    init = [ContainerView(**base(c), state="terminated", started=False,
                          terminated=Terminated(0, started_at=started, finished_at=started))
            for c in pod.spec.init_containers]
    running = [ContainerView(**base(c), state="running", started_at=started, ready=True, started=True)
               for c in pod.spec.containers]
    return init, running


class HollowNodes:
    def __init__(self, proc, cfg: KubeletConfig, port: int):
        self.proc, self.cfg = proc, cfg
        self.events = EventRecorder(proc.client, "kubelet", host=cfg.node_name)
        self.pods = proc.informers.informer("Pod")
        self.status = StatusManager(proc.client, self.pods.get)
        capacity = default_capacity(cfg.cpu, cfg.memory, cfg.max_pods, cfg.root_dir or "/")
        self.nodes: dict[str, tuple[NodeIdentity, Ipam]] = {}
        self.agents: list[NodeAgent] = []
        for i in range(1, cfg.hollow + 1):
            ident = NodeIdentity(f"{cfg.node_name}-{i}", hollow_pod_cidr(i), cfg.node_ip, port, capacity, hollow=True)
            self.nodes[ident.name] = (ident, Ipam(ident.pod_cidr))
            self.agents.append(NodeAgent(proc.client, self.events, ident, heartbeat_interval=cfg.heartbeat_interval,
                                         report_frequency=cfg.node_status_report_frequency,
                                         start_delay=random.uniform(0, cfg.heartbeat_interval)))
        self._pods: dict[str, tuple[str, str, float]] = {}
        """key -> (uid, node, start time) of the pods this process runs."""

    def add_to(self, proc) -> None:
        proc.add_runnable("events", self.events.run, leader_only=False)
        proc.add_runnable("status", self.status.run, leader_only=False)
        for agent in self.agents:
            proc.add_runnable(f"node:{agent.ident.name}", agent.run, leader_only=False)
        proc.add_controller(Controller("hollow-pods", self, proc.informers, for_kind="Pod", workers=4))

    def has_pod(self, namespace: str, name: str) -> bool:
        return f"{namespace or 'default'}/{name}" in self._pods

    def _forget(self, key: str) -> None:
        uid, node, _ = self._pods.pop(key)
        self.nodes[node][1].release(uid)
        self.status.forget(uid)

    async def reconcile(self, key: str) -> Result | None:
        pod = self.pods.get(key)
        known = self._pods.get(key)
        if known is not None and (pod is None or pod.metadata.uid != known[0]):
            self._forget(key)
        if pod is None or pod.spec.node_name not in self.nodes:
            return None
        ident, ipam = self.nodes[pod.spec.node_name]
        uid = pod.metadata.uid
        began = pod.status.start_time.seconds if pod.status.HasField("start_time") else time.time()
        started = self._pods.setdefault(key, (uid, ident.name, began))[2]
        if pod.metadata.HasField("deletion_timestamp"):
            try:
                await self.proc.client.delete("Pod", pod.metadata.name, pod.metadata.namespace,
                                              grace_period_seconds=0, uid=uid)
            except ApiError as e:
                if not (is_not_found(e) or is_precondition_failed(e)):
                    raise
            self._forget(key)
            return None
        if pod.status.phase in ("Succeeded", "Failed"):
            return None
        if not (pod.status.pod_ip and ipam.reserve(uid, pod.status.pod_ip)):
            ipam.allocate(uid)
        init, running = hollow_views(pod, started)
        status = build_pod_status(pod, init, running, pod_ip=ipam.get(uid), host_ip=ident.address,
                                  start_time=started, now=time.time())
        self.status.set_status(uid, key, status)
        return None
