"""The scheduler's cache: nodes and the pods on them, including pods *assumed* on a node.

A pod is assumed the moment the scheduling cycle picks its node, before any API call, so the next
pod already sees the place taken (two pods never take the last free place on a node). The assumption
ends when the informer shows the pod bound (`add_pod` confirms it), when binding fails (`forget_pod`),
or, once binding has finished, when it expires (`cleanup_expired`): a bind that succeeded but whose
watch event never arrives cannot leak capacity forever (upstream internal/cache/cache.go).

Nothing here is persisted: a scheduler that dies between assume and bind leaves nothing behind, and
the API server's Bind (atomic, once only) decides whether a bind after a restart or by another
replica happens at all.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2
from services.scheduler.nodeinfo import NodeInfo, PodInfo, new_pod_info

__all__ = ["SchedulerCache", "ASSUMED_POD_TTL"]

log = logging.getLogger(__name__)

ASSUMED_POD_TTL = 15 * 60.0
"""Seconds an assumed pod whose bind has finished may wait for its watch event (upstream's value)."""


@dataclass(slots=True)
class _PodState:
    info: PodInfo
    node: str
    assumed: bool = False
    deadline: float | None = None


class SchedulerCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic, ttl: float = ASSUMED_POD_TTL):
        self.clock, self.ttl = clock, ttl
        self.nodes: dict[str, NodeInfo] = {}
        self._pods: dict[str, _PodState] = {}
        self.claim_users: Counter[str] = Counter()
        """`namespace/claim` -> number of bound or assumed pods using it (for ReadWriteOncePod)."""

    # --- nodes ---------------------------------------------------------------------------------------

    def set_node(self, node: core_pb2.Node) -> NodeInfo:
        ni = self.nodes.get(node.metadata.name)
        if ni is None:
            ni = self.nodes[node.metadata.name] = NodeInfo(node.metadata.name)
        ni.set_node(node)
        return ni

    def remove_node(self, name: str) -> None:
        ni = self.nodes.get(name)
        if ni is None:
            return
        if ni.pods:  # keep the pods' accounting until they are gone too
            ni.node = None
        else:
            del self.nodes[name]

    def node_infos(self) -> list[NodeInfo]:
        """Nodes that exist (a deleted node may linger while its pods are still known)."""
        return [ni for ni in self.nodes.values() if ni.node is not None]

    # --- pods ----------------------------------------------------------------------------------------

    def _node_info(self, name: str) -> NodeInfo:
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo(name)
        return ni

    def _add(self, info: PodInfo, node: str, assumed: bool) -> None:
        self._node_info(node).add_pod(info)
        self._pods[info.uid] = _PodState(info, node, assumed)
        self.claim_users.update(info.claims)

    def _remove(self, uid: str) -> _PodState | None:
        ps = self._pods.pop(uid, None)
        if ps is None:
            return None
        ni = self.nodes.get(ps.node)
        if ni is not None:
            ni.remove_pod(uid)
            if ni.node is None and not ni.pods:
                del self.nodes[ps.node]
        self.claim_users.subtract(ps.info.claims)
        for c in ps.info.claims:
            if self.claim_users[c] <= 0:
                del self.claim_users[c]
        return ps

    def assume_pod(self, info: PodInfo, node: str) -> None:
        if info.uid in self._pods:
            raise ValueError(f"pod {info.key} is in the cache, so can't be assumed")
        self._add(info, node, assumed=True)

    def finish_binding(self, uid: str) -> None:
        ps = self._pods.get(uid)
        if ps is not None and ps.assumed:
            ps.deadline = self.clock() + self.ttl

    def forget_pod(self, uid: str) -> None:
        ps = self._pods.get(uid)
        if ps is not None and ps.assumed:
            self._remove(uid)

    def is_assumed(self, uid: str) -> bool:
        ps = self._pods.get(uid)
        return ps is not None and ps.assumed

    def has_pod(self, uid: str) -> bool:
        return uid in self._pods

    def add_pod(self, pod: core_pb2.Pod) -> None:
        """A pod the API shows bound to a node: confirms an assumption, or is simply counted."""
        old = self._remove(pod.metadata.uid)  # an assumed copy, possibly on another node
        if old is not None and old.assumed:
            info = old.info  # same spec: its requests were parsed when it was assumed
            info.pod = pod
        else:
            info = new_pod_info(pod)
        self._add(info, pod.spec.node_name, assumed=False)

    def update_pod(self, pod: core_pb2.Pod) -> None:
        self.add_pod(pod)

    def remove_pod(self, uid: str) -> None:
        self._remove(uid)

    def cleanup_expired(self) -> list[str]:
        """Forget assumed pods whose bind finished more than `ttl` ago; their keys."""
        now = self.clock()
        expired = [uid for uid, ps in self._pods.items()
                   if ps.assumed and ps.deadline is not None and now >= ps.deadline]
        keys = []
        for uid in expired:
            ps = self._remove(uid)
            log.warning("assumed pod expired pod=%s node=%s", ps.info.key, ps.node)
            keys.append(ps.info.key)
        return keys

    def pod_count(self) -> int:
        return len(self._pods)
