"""DefaultPreemption (PostFilter): when a pod fits nowhere, look for nodes where evicting pods of
lower priority would make room (plugins/defaultpreemption, framework/preemption).

Only nodes rejected as Unschedulable are considered (UnschedulableAndUnresolvable ones: "Preemption
is not helpful for scheduling"). On each, every lower-priority pod is a potential victim; if the pod
fits with all of them gone, victims are reprieved from the most important down while it still fits.
The node needing the least important victims wins; they are evicted (`state` carries the decision
for the scheduler, which deletes them and sets status.nominatedNodeName). Without candidates the
result is the message kube-scheduler appends to FailedScheduling:

    preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod,
    2 Preemption is not helpful for scheduling.

Not modelled: PodDisruptionBudgets, and filters that would need PreFilter extensions to see a victim
leave (a ReadWriteOncePod claim held by a victim still counts as held).
"""
from __future__ import annotations

from collections.abc import Callable

from kubelab.api.v1 import core_pb2
from services.scheduler.fiterror import Diagnosis, fit_message
from services.scheduler.framework import SUCCESS, Code, CycleState, Status
from services.scheduler.nodeinfo import NodeInfo, PodInfo

__all__ = ["DefaultPreemption", "VICTIMS_KEY", "pod_priority"]

NAME = "DefaultPreemption"
VICTIMS_KEY = "PreemptionVictims"
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


def pod_priority(pod: core_pb2.Pod) -> int:
    return pod.spec.priority if pod.spec.HasField("priority") else 0


def _without(node: NodeInfo, victims: list[PodInfo]) -> NodeInfo:
    clone = NodeInfo(node.name, node.node, node.labels, node.taints, node.unschedulable, node.alloc_cpu,
                     node.alloc_memory, node.alloc_pods)
    gone = {v.uid for v in victims}
    for uid, pi in node.pods.items():
        if uid not in gone:
            clone.add_pod(pi)
    return clone


class DefaultPreemption:
    name = NAME

    def __init__(self, node_infos: Callable[[], list[NodeInfo]], run_filters: Callable[..., Status]):
        """`run_filters(state, pod, node)`: the profile's filters as the scheduling cycle ran them."""
        self.node_infos, self.run_filters = node_infos, run_filters

    def post_filter(self, state: CycleState, pod: core_pb2.Pod, diagnosis: Diagnosis) -> Status:
        if pod.spec.HasField("preemption_policy") and pod.spec.preemption_policy == "Never":
            return Status.unschedulable("preemption: not eligible due to preemptionPolicy=Never.")
        nodes = self.node_infos()
        absent_code = diagnosis.absent.code if diagnosis.absent is not None else Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        statuses: dict[str, Status] = {}
        best: tuple[tuple[int, int, int], str, list[PodInfo]] | None = None
        for node in nodes:
            st = diagnosis.node_statuses.get(node.name)
            if (st.code if st is not None else absent_code) != Code.UNSCHEDULABLE:
                continue
            victims, status = self.select_victims(state, pod, node)
            if not status.success:
                statuses[node.name] = status
                continue
            rank = (max((pod_priority(v.pod) for v in victims), default=0),
                    sum(pod_priority(v.pod) for v in victims), len(victims))
            if best is None or rank < best[0]:
                best = (rank, node.name, victims)
        if best is None:
            d = Diagnosis(node_statuses=statuses, absent=Status.unresolvable(NOT_HELPFUL))
            return Status.unschedulable("preemption: " + fit_message(len(nodes), d))
        state.write(VICTIMS_KEY, (best[1], [v.pod for v in best[2]]))
        return SUCCESS

    def select_victims(self, state: CycleState, pod: core_pb2.Pod, node: NodeInfo) -> tuple[list[PodInfo], Status]:
        prio = pod_priority(pod)
        potential = [pi for pi in node.pods.values() if pod_priority(pi.pod) < prio]
        if not potential:
            return [], Status.unresolvable(NO_VICTIMS)
        st = self.run_filters(state, pod, _without(node, potential))
        if not st.success:
            return [], st
        # Reprieve the most important first (higher priority, then the one started earlier).
        potential.sort(key=lambda pi: (-pod_priority(pi.pod), pi.pod.status.start_time.seconds))
        victims = list(potential)
        for pi in potential:
            trial = [v for v in victims if v.uid != pi.uid]
            if self.run_filters(state, pod, _without(node, trial)).success:
                victims = trial
        return victims, SUCCESS
