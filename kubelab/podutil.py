"""Pod predicates more than one component needs (k/k `pkg/api/v1/pod/util.go`): the Ready condition and
terminal phases. Pure; nothing here reads a clock or the API."""
from __future__ import annotations

from kubelab.api.v1 import core_pb2

__all__ = ["ready_condition", "is_pod_ready", "is_pod_terminal"]


def ready_condition(pod: core_pb2.Pod) -> core_pb2.PodCondition | None:
    """The pod's `Ready` condition (GetPodReadyCondition), None when it has none."""
    return next((c for c in pod.status.conditions if c.type == "Ready"), None)


def is_pod_ready(pod: core_pb2.Pod) -> bool:
    """IsPodReady: the Ready condition is True (whatever the phase)."""
    cond = ready_condition(pod)
    return cond is not None and cond.status == "True"


def is_pod_terminal(pod: core_pb2.Pod) -> bool:
    """IsPodTerminal: Succeeded or Failed, the pod will not run again."""
    return pod.status.phase in ("Succeeded", "Failed")
