"""Why a pod fits nowhere, worded as kube-scheduler words it (framework/types.go: Diagnosis, FitError).

    0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.
    preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling,
    2 No preemption victims found for incoming pod.

(one line). The histogram counts each reason once per node, sorted as strings; a PreFilter rejection
replaces the histogram by its own message (`0/3 nodes are available: pod has unbound immediate
PersistentVolumeClaims.`); PostFilter (preemption) appends its own sentence.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from services.scheduler.framework import Status

__all__ = ["Diagnosis", "FitError", "NoNodesAvailable", "fit_message"]


@dataclass
class Diagnosis:
    node_statuses: dict[str, Status] = field(default_factory=dict)
    """Nodes a Filter rejected, with the rejecting status."""
    absent: Status | None = None
    """The status of every node not in `node_statuses` (a PreFilter rejection applies to all)."""
    unschedulable_plugins: set[str] = field(default_factory=set)
    pre_filter_msg: str = ""
    post_filter_msg: str = ""


def fit_message(num_all_nodes: int, d: Diagnosis) -> str:
    msg = f"0/{num_all_nodes} nodes are available:"
    if d.pre_filter_msg:
        msg += f" {d.pre_filter_msg}."
    else:
        reasons: Counter[str] = Counter()
        for st in d.node_statuses.values():
            reasons.update(st.reasons)
        if len(d.node_statuses) < num_all_nodes and d.absent is not None:
            for r in d.absent.reasons:
                reasons[r] += num_all_nodes - len(d.node_statuses)
        histogram = sorted(f"{n} {r}" for r, n in reasons.items())
        if histogram:
            msg += " " + ", ".join(histogram) + "."
    if d.post_filter_msg:
        msg += " " + d.post_filter_msg
    return msg


class FitError(Exception):
    """No node passed the filters."""

    def __init__(self, num_all_nodes: int, diagnosis: Diagnosis):
        super().__init__()
        self.num_all_nodes, self.diagnosis = num_all_nodes, diagnosis

    def __str__(self) -> str:
        return fit_message(self.num_all_nodes, self.diagnosis)


class NoNodesAvailable(Exception):
    def __str__(self) -> str:
        return "no nodes available to schedule pods"
