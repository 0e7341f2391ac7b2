"""Informer events -> the scheduler's cache, its queue, and the cluster events that requeue pods
(upstream eventhandlers.go). Handlers only sort objects into place; they never call the API.

- pods bound to a node (and not finished) live in the cache; unbound pods that name this scheduler
  live in the queue; a pod that becomes bound leaves the queue and confirms its assumption;
- a node added, or changed in what scheduling looks at (allocatable, labels, taints, unschedulable,
  condition statuses, not heartbeats), a bound pod deleted or finished, a PV, claim or class added or
  changed: a ClusterEvent for the queue;
- a claim changing, or a PV naming a claim, wakes the PreBind waits on that claim.
"""
from __future__ import annotations

from collections.abc import Callable

from kubelab.api.v1 import core_pb2
from kubelab.informer import Registration, SharedInformer
from services.scheduler.cache import SchedulerCache
from services.scheduler.framework import ActionType, ClusterEvent
from services.scheduler.queue import SchedulingQueue
from services.scheduler.volumecache import VolumeCache

__all__ = ["EventHandlers", "node_update_action", "TERMINAL_PHASES"]

TERMINAL_PHASES = ("Succeeded", "Failed")
_POD_DELETE = ClusterEvent("Pod", ActionType.DELETE)


def node_update_action(old: core_pb2.Node, new: core_pb2.Node) -> ActionType:
    """What changed that scheduling cares about; 0 for a heartbeat."""
    action = ActionType(0)
    if dict(old.status.allocatable) != dict(new.status.allocatable):
        action |= ActionType.UPDATE_NODE_ALLOCATABLE
    if dict(old.metadata.labels) != dict(new.metadata.labels):
        action |= ActionType.UPDATE_NODE_LABEL
    if list(old.spec.taints) != list(new.spec.taints) or old.spec.unschedulable != new.spec.unschedulable:
        action |= ActionType.UPDATE_NODE_TAINT
    if {c.type: c.status for c in old.status.conditions} != {c.type: c.status for c in new.status.conditions}:
        action |= ActionType.UPDATE_NODE_CONDITION
    return action


class EventHandlers:
    def __init__(self, cache: SchedulerCache, queue: SchedulingQueue, volumes: VolumeCache,
                 responsible: Callable[[core_pb2.Pod], bool]):
        self.cache, self.queue, self.volumes, self.responsible = cache, queue, volumes, responsible
        self.registrations: list[Registration] = []

    def register(self, nodes: SharedInformer, pods: SharedInformer, pvs: SharedInformer, pvcs: SharedInformer,
                 classes: SharedInformer) -> None:
        """Nodes first, so that replayed pods land on known nodes."""
        self.registrations = [
            nodes.add_event_handler(on_add=self.add_node, on_update=self.update_node, on_delete=self.delete_node),
            pods.add_event_handler(on_add=self.add_pod, on_update=self.update_pod, on_delete=self.delete_pod),
            pvs.add_event_handler(on_add=self.pv_event(ActionType.ADD), on_update=self.pv_update,
                                  on_delete=self.pv_event(0)),
            pvcs.add_event_handler(on_add=self.pvc_event(ActionType.ADD), on_update=self.pvc_update,
                                   on_delete=self.pvc_event(0)),
            classes.add_event_handler(on_add=lambda sc: self._move("StorageClass", ActionType.ADD),
                                      on_update=lambda old, new: self._move("StorageClass", ActionType.UPDATE_OTHER)),
        ]

    def unregister(self) -> None:
        for reg in self.registrations:
            reg.remove()
        self.registrations = []

    def _move(self, resource: str, action: ActionType) -> None:
        if action:
            self.queue.move_all_on_event(ClusterEvent(resource, action))

    # --- nodes ---------------------------------------------------------------------------------------

    def add_node(self, node: core_pb2.Node) -> None:
        self.cache.set_node(node)
        self._move("Node", ActionType.ADD)

    def update_node(self, old: core_pb2.Node, new: core_pb2.Node) -> None:
        self.cache.set_node(new)
        self._move("Node", node_update_action(old, new))

    def delete_node(self, node: core_pb2.Node) -> None:
        self.cache.remove_node(node.metadata.name)

    # --- pods ----------------------------------------------------------------------------------------

    def _wanted(self, pod: core_pb2.Pod) -> bool:
        return self.responsible(pod) and pod.status.phase not in TERMINAL_PHASES

    def add_pod(self, pod: core_pb2.Pod) -> None:
        if pod.spec.node_name:
            if pod.status.phase not in TERMINAL_PHASES:
                self.queue.delete(pod.metadata.uid)
                self.cache.add_pod(pod)
        elif self._wanted(pod):
            self.queue.add(pod)

    def update_pod(self, old: core_pb2.Pod, new: core_pb2.Pod) -> None:
        uid = new.metadata.uid
        if new.spec.node_name:
            self.queue.delete(uid)
            if new.status.phase in TERMINAL_PHASES:
                if self.cache.has_pod(uid):
                    self.cache.remove_pod(uid)
                    self.queue.move_all_on_event(_POD_DELETE)
            else:
                self.cache.update_pod(new)
        elif self.cache.is_assumed(uid):
            return  # its bind is under way
        elif self._wanted(new):
            self.queue.update(new)
        else:
            self.queue.delete(uid)

    def delete_pod(self, pod: core_pb2.Pod) -> None:
        uid = pod.metadata.uid
        self.queue.delete(uid)
        if pod.spec.node_name and self.cache.has_pod(uid):
            self.cache.remove_pod(uid)
            self.queue.move_all_on_event(_POD_DELETE)

    # --- storage -------------------------------------------------------------------------------------

    def _notify_pv(self, pv: core_pb2.PersistentVolume) -> None:
        ref = pv.spec.claim_ref
        if pv.spec.HasField("claim_ref") and ref.name:
            self.volumes.notify(f"{ref.namespace}/{ref.name}")

    def pv_event(self, action: ActionType):
        def handle(pv: core_pb2.PersistentVolume) -> None:
            self._notify_pv(pv)
            self._move("PersistentVolume", action)
        return handle

    def pv_update(self, old: core_pb2.PersistentVolume, new: core_pb2.PersistentVolume) -> None:
        self._notify_pv(old)
        self._notify_pv(new)
        self._move("PersistentVolume", ActionType.UPDATE_OTHER)

    def pvc_event(self, action: ActionType):
        def handle(pvc: core_pb2.PersistentVolumeClaim) -> None:
            self.volumes.notify(f"{pvc.metadata.namespace}/{pvc.metadata.name}")
            self._move("PersistentVolumeClaim", action)
        return handle

    def pvc_update(self, old, new: core_pb2.PersistentVolumeClaim) -> None:
        self.pvc_event(ActionType.UPDATE_OTHER)(new)
