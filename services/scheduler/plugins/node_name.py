"""NodeName: a pod that names its node (spec.nodeName) fits only there (plugins/nodename)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from services.scheduler.framework import SKIP, SUCCESS, ActionType, ClusterEvent, CycleState, Status
from services.scheduler.nodeinfo import NodeInfo

__all__ = ["NodeName", "REASON"]

NAME = "NodeName"
REASON = "node(s) didn't match the requested node name"
_REJECT = Status.unresolvable(REASON)


class NodeName:
    name = NAME

    def pre_filter(self, state: CycleState, pod: core_pb2.Pod) -> Status:
        return SUCCESS if pod.spec.node_name else SKIP

    def filter(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> Status:
        return SUCCESS if pod.spec.node_name == node.name else _REJECT

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", ActionType.ADD)]
