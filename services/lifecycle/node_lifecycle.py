"""The node lifecycle controller (k/k `pkg/controller/nodelifecycle`) and the taint-eviction controller
(`pkg/controller/tainteviction`), small.

`NodeLifecycle` (keys: Node names; a Lease in kube-node-lease wakes its node, and so does a pod on it
that reports Ready while the node is not): every `monitor_period` a node whose heartbeat is older than the
grace period (counted at the earliest from the start of this replica's leadership term) gets its
conditions marked Unknown (update_status; Node event `NodeNotReady` when Ready was True);
then its managed taints are set from its Ready condition (update): `unreachable` / `not-ready`, NoExecute
and NoSchedule, removed once the node reports Ready True again. While its Ready is not True, every pod
bound to it gets its Ready condition False (update_status; pod event `NodeNotReady`), as k/k
monitorNodeHealth and processPod do with MarkPodsNotReady; its kubelet sets them Ready again once back.

`TaintEviction` (keys: pods; a Node change wakes the pods bound to it): a pod on a node with a NoExecute
taint it does not tolerate is deleted gracefully at once, one tolerating it for a while once its
tolerationSeconds (counted from the taint's timeAdded) have passed; event `TaintManagerEviction`.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.controller import Result
from kubelab.errors import ApiError, is_conflict, is_not_found, is_precondition_failed
from kubelab.events import NORMAL, WARNING
from kubelab.informer import BY_NODE, InformerFactory
from services.lifecycle import node_lifecycle_decisions as nld

__all__ = ["NodeLifecycle", "TaintEviction", "LEASE_NAMESPACE"]

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-node-lease"


class NodeLifecycle:
    def __init__(self, client, informers: InformerFactory, events, *, monitor_period: float = 5.0,
                 grace: float = 50.0, startup_grace: float = 60.0, clock: Callable[[], float] = time.time):
        self.client, self.events, self.clock = client, events, clock
        self.monitor_period, self.grace, self.startup_grace = monitor_period, grace, startup_grace
        self.nodes = informers.informer("Node")
        self.leases = informers.informer("Lease", LEASE_NAMESPACE)
        self.pods = informers.informer("Pod")
        self.watching_since = clock()
        """When this replica last began to lead: no node's grace period starts earlier (see `lead`)."""

    async def lead(self) -> None:
        """A runnable of each leadership term. The term begins after the API server came back (a leader
        stops at its renew deadline while the API cannot be reached), so heartbeats that could not be
        written meanwhile do not make every node look dead at once."""
        self.watching_since = self.clock()

    def watches(self) -> list[tuple[str, Callable[[Message], list[str]]]]:
        def node_of(lease: Message) -> list[str]:
            return [lease.metadata.name] if lease.metadata.namespace == LEASE_NAMESPACE else []

        def not_ready_node_of(pod: Message) -> list[str]:
            # Only a pod there is something to do for: the pod updates our own writes cause wake nothing.
            if nld.ready_status(pod) in ("", "False") or not pod.spec.node_name:
                return []
            node = self.nodes.get(pod.spec.node_name)
            return [pod.spec.node_name] if node is not None and nld.ready_status(node) not in ("", "True") else []
        return [("Lease", node_of), ("Pod", not_ready_node_of)]

    async def reconcile(self, name: str) -> Result | None:
        node = self.nodes.get(name)
        if node is None:
            return None
        try:
            node = await self._sync(node)
            pods_done = await self._mark_pods_not_ready(node)
        except ApiError as e:
            if not (is_conflict(e) or is_not_found(e)):
                raise
            log.debug("node changed meanwhile, looking again node=%s error=%s", name, e)
            return Result(requeue=True)
        if not pods_done:
            return Result(requeue=True)
        return Result(requeue_after=self.monitor_period)

    async def _sync(self, node: Message) -> Message:
        """Conditions and taints; returns the Node as last written (or read)."""
        name = node.metadata.name
        now = self.clock()
        marked, _ = nld.node_health(node, self.leases.get(f"{LEASE_NAMESPACE}/{name}"), now, self.grace,
                                    self.startup_grace, self.watching_since)
        if marked is not None:
            log.info("node stopped posting status, marking conditions Unknown node=%s", name)
            was = nld.ready_status(node)
            node = await self.client.update_status(marked)
            if was == "True":  # k/k RecordNodeStatusChange: once, on the change this controller observes
                self.events.event(node, NORMAL, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
        tainted = nld.with_taints(node, now)
        if tainted is not None:
            log.info("setting node taints node=%s taints=%s", name,
                     ",".join(f"{t.key}:{t.effect}" for t in tainted.spec.taints) or "-")
            node = await self.client.update(tainted)
        return node

    async def _mark_pods_not_ready(self, node: Message) -> bool:
        """Ready False on every pod bound to a node whose Ready is not True (one without a Ready condition
        yet is left alone until `node_health` adds it as Unknown); False: some pod changed meanwhile."""
        name = node.metadata.name
        if nld.ready_status(node) in ("", "True"):
            return True
        done = True
        for pod in self.pods.by_index(BY_NODE, name):
            marked = nld.pod_not_ready(pod, self.clock())
            if marked is None:
                continue
            m = marked.metadata
            try:
                await self.client.update_status(marked)
            except ApiError as e:
                if is_conflict(e):
                    log.debug("pod changed meanwhile, looking again pod=%s/%s node=%s", m.namespace, m.name, name)
                    done = False
                    continue
                if not is_not_found(e):
                    raise
                continue
            log.info("node is not ready, marking pod NotReady pod=%s/%s node=%s", m.namespace, m.name, name)
            self.events.event(marked, WARNING, "NodeNotReady", "Node is not ready")
        return done


class TaintEviction:
    def __init__(self, client, informers: InformerFactory, events, clock: Callable[[], float] = time.time):
        self.client, self.events, self.clock = client, events, clock
        self.nodes = informers.informer("Node")
        self.pods = informers.informer("Pod")

    def watches(self) -> list[tuple[str, Callable[[Message], list[str]]]]:
        def pods_on(node: Message) -> list[str]:
            if not any(t.effect == nld.NO_EXECUTE for t in node.spec.taints):
                return []
            return [f"{p.metadata.namespace}/{p.metadata.name}"
                    for p in self.pods.by_index(BY_NODE, node.metadata.name)]
        return [("Node", pods_on)]

    async def reconcile(self, key: str) -> Result | None:
        pod = self.pods.get(key)
        if pod is None or not pod.spec.node_name:
            return None
        decision = nld.eviction(pod, self.nodes.get(pod.spec.node_name), self.clock())
        if decision.after is not None:
            return Result(requeue_after=decision.after)
        if not decision.delete:
            return None
        m = pod.metadata
        log.info("evicting pod pod=%s/%s node=%s", m.namespace, m.name, pod.spec.node_name)
        self.events.event(pod, NORMAL, "TaintManagerEviction", f"Marking for deletion Pod {m.namespace}/{m.name}")
        try:
            await self.client.delete("Pod", m.name, m.namespace, uid=m.uid)
        except ApiError as e:
            if not (is_not_found(e) or is_precondition_failed(e)):
                raise
        return None
