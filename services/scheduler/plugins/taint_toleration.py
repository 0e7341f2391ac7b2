"""TaintToleration: a node's NoSchedule/NoExecute taints keep off pods that do not tolerate them;
untolerated PreferNoSchedule taints lower a node's score (plugins/tainttoleration)."""
from __future__ import annotations

from dataclasses import dataclass

from kubelab.api.v1 import core_pb2
from services.scheduler.framework import (SKIP, SUCCESS, ActionType, ClusterEvent, CycleState, Status,
                                          default_normalize_score)
from services.scheduler.nodeinfo import NodeInfo, Taint

__all__ = ["TaintToleration", "Toleration", "pod_tolerations", "tolerates", "REASON"]

NAME = "TaintToleration"
REASON = "node(s) had untolerated taint(s)"
_REJECT = Status.unresolvable(REASON)
_STATE_KEY = "tolerations"


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str
    operator: str
    value: str
    effect: str

    def tolerates(self, taint: Taint) -> bool:
        """core/v1 Toleration.ToleratesTaint: an empty effect or key matches any; Exists ignores the value."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator in ("", "Equal"):
            return self.value == taint.value
        return self.operator == "Exists"


def pod_tolerations(state: CycleState, pod: core_pb2.Pod) -> tuple[Toleration, ...]:
    """The pod's tolerations, parsed once per scheduling cycle."""
    tols = state.read(_STATE_KEY)
    if tols is None:
        tols = tuple(Toleration(t.key, t.operator, t.value, t.effect) for t in pod.spec.tolerations)
        state.write(_STATE_KEY, tols)
    return tols


def tolerates(tolerations: tuple[Toleration, ...], taint: Taint) -> bool:
    return any(t.tolerates(taint) for t in tolerations)


class TaintToleration:
    name = NAME
    weight = 3

    def filter(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> Status:
        if not node.taints:
            return SUCCESS
        tols = pod_tolerations(state, pod)
        for taint in node.taints:
            if taint.effect in ("NoSchedule", "NoExecute") and not tolerates(tols, taint):
                return _REJECT
        return SUCCESS

    def pre_score(self, state: CycleState, pod: core_pb2.Pod, nodes: list[NodeInfo]) -> Status:
        """Nothing to tell apart when no node has a PreferNoSchedule taint."""
        if any(t.effect == "PreferNoSchedule" for n in nodes for t in n.taints):
            return SUCCESS
        return SKIP

    def score(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> int:
        """How many PreferNoSchedule taints the pod does not tolerate (fewer is better)."""
        if not node.taints:
            return 0
        tols = tuple(t for t in pod_tolerations(state, pod) if t.effect in ("", "PreferNoSchedule"))
        return sum(1 for t in node.taints if t.effect == "PreferNoSchedule" and not tolerates(tols, t))

    def normalize(self, state: CycleState, pod: core_pb2.Pod, scores: dict[str, int]) -> None:
        default_normalize_score(scores, reverse=True)

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT)]
