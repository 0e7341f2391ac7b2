"""NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods, unless they tolerate the
`node.kubernetes.io/unschedulable:NoSchedule` taint (plugins/nodeunschedulable)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from services.scheduler.framework import SUCCESS, ActionType, ClusterEvent, CycleState, Status
from services.scheduler.nodeinfo import NodeInfo, Taint
from services.scheduler.plugins.taint_toleration import pod_tolerations, tolerates

__all__ = ["NodeUnschedulable", "REASON", "UNSCHEDULABLE_TAINT"]

NAME = "NodeUnschedulable"
REASON = "node(s) were unschedulable"
UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")
_REJECT = Status.unresolvable(REASON)


class NodeUnschedulable:
    name = NAME

    def filter(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> Status:
        if not node.unschedulable or tolerates(pod_tolerations(state, pod), UNSCHEDULABLE_TAINT):
            return SUCCESS
        return _REJECT

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_TAINT)]
