"""Pod predicates more than one component needs (k/k `pkg/api/v1/pod/util.go`): conditions, Ready,
available (Ready for minReadySeconds), terminal phases; and the pod's QoS class (`pkg/apis/core/helper/qos`
`ComputePodQOS`), which the API server sets on create, the kubelet keeps and `describe` prints. Pure; the
clock is passed in (epoch seconds).
"""
from __future__ import annotations

import functools
from fractions import Fraction

from kubelab.api.v1 import core_pb2
from kubelab.quantity import parse_quantity

__all__ = ["qos_class", "get_pod_condition", "ready_condition", "is_pod_ready", "pod_ready_since", "is_pod_available",
           "is_pod_terminal"]


def get_pod_condition(pod: core_pb2.Pod, condition_type: str) -> core_pb2.PodCondition | None:
    """GetPodCondition: the pod's condition of this type, None when it has none."""
    return next((c for c in pod.status.conditions if c.type == condition_type), None)


def ready_condition(pod: core_pb2.Pod) -> core_pb2.PodCondition | None:
    """The pod's `Ready` condition (GetPodReadyCondition), None when it has none."""
    return get_pod_condition(pod, "Ready")


def is_pod_ready(pod: core_pb2.Pod) -> bool:
    """IsPodReady: the Ready condition is True (whatever the phase)."""
    cond = ready_condition(pod)
    return cond is not None and cond.status == "True"


def pod_ready_since(pod: core_pb2.Pod) -> float | None:
    """When a ready pod became Ready (the condition's lastTransitionTime, epoch seconds); 0.0 when that
    is unset (Go's zero time); None when the pod is not Ready."""
    cond = ready_condition(pod)
    if cond is None or cond.status != "True":
        return None
    t = cond.last_transition_time
    return t.seconds + t.nanos / 1e9


def is_pod_available(pod: core_pb2.Pod, min_ready_seconds: int, now: float) -> bool:
    """IsPodAvailable: Ready, and with minReadySeconds > 0 Ready for longer than that (a pod whose Ready
    transition time is unknown is not available then)."""
    since = pod_ready_since(pod)
    if since is None:
        return False
    return min_ready_seconds == 0 or (since > 0 and since + min_ready_seconds < now)


def is_pod_terminal(pod: core_pb2.Pod) -> bool:
    """IsPodTerminal: Succeeded or Failed, the pod will not run again."""
    return pod.status.phase in ("Succeeded", "Failed")


QOS_RESOURCES = ("cpu", "memory")
"""The compute resources a QoS class is decided on (qos.isSupportedQoSComputeResource)."""


def qos_class(spec: core_pb2.PodSpec) -> str:
    """BestEffort, Burstable or Guaranteed (ComputePodQOS): the sums of the cpu and memory requests and
    limits above zero over the containers and init containers; Guaranteed when every container limits
    both and each request sum equals its limit sum (as quantities: "1" is "1000m"), BestEffort when there
    is none at all. A quantity that does not parse counts as absent (validation refuses such pods)."""
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for c in [*spec.containers, *spec.init_containers]:
        limited = 0
        for given, total in ((c.resources.requests, requests), (c.resources.limits, limits)):
            if not given:
                continue
            for name in QOS_RESOURCES:
                value = _positive(given.get(name))
                if value is not None:
                    prior = total.get(name)
                    total[name] = value if prior is None else prior + value
                    limited += total is limits
        guaranteed = guaranteed and limited == len(QOS_RESOURCES)
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(limits.get(name) == value for name, value in requests.items()) \
            and len(requests) == len(limits):
        return "Guaranteed"
    return "Burstable"


@functools.lru_cache(maxsize=1024)  # every pod's create asks this of the same few strings
def _positive(text: str | None) -> Fraction | None:
    if not text:
        return None
    try:
        value = parse_quantity(text)
    except ValueError:
        return None
    return value if value > 0 else None
