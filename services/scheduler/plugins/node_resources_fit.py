"""NodeResourcesFit: the pod's cpu, memory and pod-count requests must fit in what the node's
allocatable leaves after the pods bound or assumed there; scoring prefers the least allocated node
(plugins/noderesources: fit.go, least_allocated.go, with the default LeastAllocated strategy)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from services.scheduler.framework import MAX_NODE_SCORE, SUCCESS, ActionType, ClusterEvent, CycleState, Status
from services.scheduler.nodeinfo import NodeInfo, PodInfo, new_pod_info

__all__ = ["NodeResourcesFit", "POD_INFO_KEY", "pod_info", "insufficient_resources", "least_requested_score"]

NAME = "NodeResourcesFit"
POD_INFO_KEY = "PodInfo"


def pod_info(state: CycleState, pod: core_pb2.Pod) -> PodInfo:
    """The pod's parsed requests; the scheduler stores them in the cycle state before PreFilter."""
    pi = state.data.get(POD_INFO_KEY)
    if pi is None:
        pi = new_pod_info(pod)
        state.write(POD_INFO_KEY, pi)
    return pi


def insufficient_resources(pi: PodInfo, node: NodeInfo) -> list[str]:
    reasons = []
    if len(node.pods) + 1 > node.alloc_pods:
        reasons.append("Too many pods")
    if pi.cpu > 0 and pi.cpu > node.alloc_cpu - node.cpu:
        reasons.append("Insufficient cpu")
    if pi.memory > 0 and pi.memory > node.alloc_memory - node.memory:
        reasons.append("Insufficient memory")
    return reasons


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


class NodeResourcesFit:
    name = NAME
    weight = 1

    def pre_filter(self, state: CycleState, pod: core_pb2.Pod) -> Status:
        pod_info(state, pod)
        return SUCCESS

    def filter(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> Status:
        reasons = insufficient_resources(pod_info(state, pod), node)
        return Status.unschedulable(*reasons) if reasons else SUCCESS

    def score(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> int:
        pi = pod_info(state, pod)
        cpu = least_requested_score(node.non0_cpu + pi.non0_cpu, node.alloc_cpu)
        mem = least_requested_score(node.non0_memory + pi.non0_memory, node.alloc_memory)
        return (cpu + mem) // 2

    def events_to_register(self) -> list[ClusterEvent]:
        return [ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_ALLOCATABLE),
                ClusterEvent("Pod", ActionType.DELETE)]
