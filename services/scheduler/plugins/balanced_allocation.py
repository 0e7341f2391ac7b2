"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in equal
proportions with the pod on them (plugins/noderesources/balanced_allocation.go)."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from services.scheduler.framework import MAX_NODE_SCORE, CycleState
from services.scheduler.nodeinfo import NodeInfo
from services.scheduler.plugins.node_resources_fit import pod_info

__all__ = ["BalancedAllocation", "balanced_score"]

NAME = "NodeResourcesBalancedAllocation"


def balanced_score(requested: list[tuple[int, int]]) -> int:
    """(requested, allocatable) per resource -> 100 * (1 - standard deviation of the fractions)."""
    fractions = [min(r / a, 1.0) for r, a in requested if a > 0]
    if len(fractions) < 2:
        return MAX_NODE_SCORE
    if len(fractions) == 2:
        std = abs(fractions[0] - fractions[1]) / 2
    else:
        mean = sum(fractions) / len(fractions)
        std = (sum((f - mean) ** 2 for f in fractions) / len(fractions)) ** 0.5
    return int((1 - std) * MAX_NODE_SCORE)


class BalancedAllocation:
    name = NAME
    weight = 1

    def score(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> int:
        pi = pod_info(state, pod)
        if node.alloc_cpu > 0 and node.alloc_memory > 0:  # the common case, inline: it runs per node
            cpu = min((node.cpu + pi.cpu) / node.alloc_cpu, 1.0)
            mem = min((node.memory + pi.memory) / node.alloc_memory, 1.0)
            return int((1 - abs(cpu - mem) / 2) * MAX_NODE_SCORE)
        return balanced_score([(node.cpu + pi.cpu, node.alloc_cpu), (node.memory + pi.memory, node.alloc_memory)])
