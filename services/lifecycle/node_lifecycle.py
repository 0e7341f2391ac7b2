"""The node lifecycle controller (k/k `pkg/controller/nodelifecycle`) and the taint-eviction controller
(`pkg/controller/tainteviction`), small.

`NodeLifecycle` (keys: Node names; a Lease in kube-node-lease wakes its node): every `monitor_period`
a node whose heartbeat is older than the grace period (counted at the earliest from the start of this
replica's leadership term) gets its conditions marked Unknown (update_status);
then its managed taints are set from its Ready condition (update): `unreachable` / `not-ready`, NoExecute
and NoSchedule, removed once the node reports Ready True again.

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
from kubelab.errors import ApiError
from kubelab.events import NORMAL
from kubelab.informer import BY_NODE, InformerFactory
from services.lifecycle import node_lifecycle_decisions as nld

__all__ = ["NodeLifecycle", "TaintEviction", "LEASE_NAMESPACE"]

log = logging.getLogger(__name__)

LEASE_NAMESPACE = "kube-node-lease"


class NodeLifecycle:
    def __init__(self, client, informers: InformerFactory, *, monitor_period: float = 5.0, grace: float = 50.0,
                 startup_grace: float = 60.0, clock: Callable[[], float] = time.time):
        self.client, self.clock = client, clock
        self.monitor_period, self.grace, self.startup_grace = monitor_period, grace, startup_grace
        self.nodes = informers.informer("Node")
        self.leases = informers.informer("Lease", LEASE_NAMESPACE)
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
        return [("Lease", node_of)]

    async def reconcile(self, name: str) -> Result | None:
        node = self.nodes.get(name)
        if node is None:
            return None
        try:
            await self._sync(node)
        except ApiError as e:
            if e.reason not in ("Conflict", "NotFound"):
                raise
            log.debug("node changed meanwhile, looking again node=%s error=%s", name, e)
            return Result(requeue=True)
        return Result(requeue_after=self.monitor_period)

    async def _sync(self, node: Message) -> None:
        name = node.metadata.name
        now = self.clock()
        marked, _ = nld.node_health(node, self.leases.get(f"{LEASE_NAMESPACE}/{name}"), now, self.grace,
                                    self.startup_grace, self.watching_since)
        if marked is not None:
            log.info("node stopped posting status, marking conditions Unknown node=%s", name)
            node = await self.client.update_status(marked)
        tainted = nld.with_taints(node, now)
        if tainted is not None:
            log.info("setting node taints node=%s taints=%s", name,
                     ",".join(f"{t.key}:{t.effect}" for t in tainted.spec.taints) or "-")
            await self.client.update(tainted)


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
            if e.reason != "NotFound" and e.code.name != "FAILED_PRECONDITION":
                raise
        return None
