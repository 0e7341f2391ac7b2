"""Choosing a node for one pod: PreFilter, Filter over (enough of) the nodes, Score, pick the best
(upstream schedule_one.go: schedulePod, findNodesThatFitPod, numFeasibleNodesToFind, selectHost).

Pure: given the framework, the cycle state, the pod and the nodes, it returns a node name or raises
FitError / NoNodesAvailable / SchedulingError. With many nodes only a share of them is searched for
feasible ones (`percentage_of_nodes_to_score`, adaptive by default), starting where the previous
pod's search stopped, so every node gets its turn.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2
from services.scheduler.fiterror import Diagnosis, FitError, NoNodesAvailable
from services.scheduler.framework import Code, CycleState, Framework, Status
from services.scheduler.nodeinfo import NodeInfo

__all__ = ["ScheduleResult", "SchedulingError", "schedule_pod", "num_feasible_nodes_to_find", "select_host",
           "find_nodes_that_fit"]

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


class SchedulingError(Exception):
    """A plugin failed (Code.ERROR): not the pod's fault, retried with backoff."""


@dataclass(frozen=True)
class ScheduleResult:
    node: str
    evaluated: int
    feasible: int
    next_start: int


def num_feasible_nodes_to_find(num_all: int, percentage: int = 0) -> int:
    """How many feasible nodes are enough: all below 100 nodes; else an adaptive share (50% minus one
    point per 125 nodes, at least 5%), never fewer than 100."""
    if num_all < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all
    pct = percentage
    if pct <= 0:
        pct = max(50 - num_all // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    if pct >= 100:
        return num_all
    return max(num_all * pct // 100, MIN_FEASIBLE_NODES_TO_FIND)


def find_nodes_that_fit(fwk: Framework, state: CycleState, pod: core_pb2.Pod, nodes: list[NodeInfo],
                        start: int, to_find: int, diagnosis: Diagnosis) -> tuple[list[NodeInfo], int]:
    """Feasible nodes (up to `to_find`) and how many nodes were looked at; rejections go to `diagnosis`."""
    filters = fwk.filters_for(state)
    run = fwk.run_filters
    feasible: list[NodeInfo] = []
    n = len(nodes)
    processed = 0
    for i in range(n):
        node = nodes[(start + i) % n]
        processed += 1
        st = run(filters, state, pod, node) if filters else None
        if st is None or st.code == Code.SUCCESS:
            feasible.append(node)
            if len(feasible) >= to_find:
                break
        elif st.code == Code.ERROR:
            raise SchedulingError(f'running "{st.plugin}" filter plugin: {st.message}')
        else:
            diagnosis.node_statuses[node.name] = st
            diagnosis.unschedulable_plugins.add(st.plugin)
    return feasible, processed


def select_host(scores: dict[str, int], rng: random.Random) -> str:
    """The highest total; ties broken uniformly at random (reservoir sampling, as upstream)."""
    best, best_score, ties = "", -1, 0
    for name, score in scores.items():
        if score > best_score:
            best, best_score, ties = name, score, 1
        elif score == best_score:
            ties += 1
            if rng.randrange(ties) == 0:
                best = name
    return best


def schedule_pod(fwk: Framework, state: CycleState, pod: core_pb2.Pod, nodes: list[NodeInfo], *, start: int = 0,
                 percentage: int = 0, rng: random.Random | None = None) -> ScheduleResult:
    if not nodes:
        raise NoNodesAvailable()
    st = fwk.run_pre_filter(state, pod)
    if not st.success:
        if st.code == Code.ERROR:
            raise SchedulingError(st.message)
        d = Diagnosis(absent=st, unschedulable_plugins={st.plugin}, pre_filter_msg=st.message)
        raise FitError(len(nodes), d)
    diagnosis = Diagnosis(absent=Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE))
    to_find = num_feasible_nodes_to_find(len(nodes), percentage)
    feasible, processed = find_nodes_that_fit(fwk, state, pod, nodes, start, to_find, diagnosis)
    next_start = (start + processed) % len(nodes)
    if not feasible:
        raise FitError(len(nodes), diagnosis)
    if len(feasible) == 1:
        return ScheduleResult(feasible[0].name, processed, 1, next_start)
    scores = fwk.run_score(state, pod, feasible)
    return ScheduleResult(select_host(scores, rng or random.Random()), processed, len(feasible), next_start)
