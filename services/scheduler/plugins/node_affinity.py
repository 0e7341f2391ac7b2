"""NodeAffinity: spec.nodeSelector and required node affinity restrict the nodes; preferred terms
add their weights to a node's score (plugins/nodeaffinity)."""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.api.v1 import core_pb2
from kubelab.nodeaffinity import CompiledSelector, compile_node_selector
from services.scheduler.framework import (SKIP, SUCCESS, ActionType, ClusterEvent, CycleState, Status,
                                          default_normalize_score)
from services.scheduler.nodeinfo import NodeInfo

__all__ = ["NodeAffinity", "REASON"]

NAME = "NodeAffinity"
REASON = "node(s) didn't match Pod's node affinity/selector"
_REJECT = Status.unresolvable(REASON)
_STATE_KEY = "PreFilterNodeAffinity"
_SCORE_KEY = "PreScoreNodeAffinity"


@dataclass(frozen=True, slots=True)
class _Required:
    node_selector: tuple[tuple[str, str], ...]
    affinity: CompiledSelector | None

    def matches(self, node: NodeInfo) -> bool:
        labels = node.labels
        for k, v in self.node_selector:
            if labels.get(k) != v:
                return False
        return self.affinity is None or self.affinity.matches(labels, node.name)


def _node_affinity(pod: core_pb2.Pod) -> core_pb2.NodeAffinity | None:
    spec = pod.spec
    if spec.HasField("affinity") and spec.affinity.HasField("node_affinity"):
        return spec.affinity.node_affinity
    return None


def required_node_affinity(pod: core_pb2.Pod) -> _Required | None:
    """What a node must satisfy, or None when the pod sets neither nodeSelector nor required affinity."""
    na = _node_affinity(pod)
    required = None
    if na is not None and na.HasField("required_during_scheduling_ignored_during_execution"):
        required = compile_node_selector(na.required_during_scheduling_ignored_during_execution)
    if not pod.spec.node_selector and required is None:
        return None
    return _Required(tuple(pod.spec.node_selector.items()), required)


class NodeAffinity:
    name = NAME
    weight = 2

    def pre_filter(self, state: CycleState, pod: core_pb2.Pod) -> Status:
        req = required_node_affinity(pod)
        if req is None:
            return SKIP
        state.write(_STATE_KEY, req)
        return SUCCESS

    def filter(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> Status:
        req: _Required | None = state.read(_STATE_KEY)
        if req is None:
            req = required_node_affinity(pod)
            if req is None:
                return SUCCESS
        return SUCCESS if req.matches(node) else _REJECT

    def _preferred(self, state: CycleState, pod: core_pb2.Pod) -> list[tuple[int, CompiledSelector]]:
        terms = state.read(_SCORE_KEY)
        if terms is None:
            na = _node_affinity(pod)
            terms = []
            if na is not None:
                for t in na.preferred_during_scheduling_ignored_during_execution:
                    if t.weight:
                        sel = core_pb2.NodeSelector(node_selector_terms=[t.preference])
                        terms.append((t.weight, compile_node_selector(sel)))
            state.write(_SCORE_KEY, terms)
        return terms

    def pre_score(self, state: CycleState, pod: core_pb2.Pod, nodes: list[NodeInfo]) -> Status:
        return SUCCESS if self._preferred(state, pod) else SKIP

    def score(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> int:
        return sum(w for w, sel in self._preferred(state, pod) if sel.matches(node.labels, node.name))

    def normalize(self, state: CycleState, pod: core_pb2.Pod, scores: dict[str, int]) -> None:
        default_normalize_score(scores)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL)]
