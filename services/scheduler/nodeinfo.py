"""What the scheduler knows about a node and the pods on it, in plain Python numbers.

`PodInfo` is computed once per pod version (requests parsed from quantity strings, claim keys);
`NodeInfo` keeps the node's allocatable resources, labels and taints and the running sums of the
requests of the pods bound or assumed on it, so a Filter is a few integer comparisons
(upstream `framework/types.go`: NodeInfo, PodInfo, Resource, calculateResource).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from kubelab.api.v1 import core_pb2
from kubelab.quantity import QuantityError, to_bytes, to_millis

__all__ = ["PodInfo", "NodeInfo", "Taint", "new_pod_info", "pod_requests", "pod_claim_names",
           "DEFAULT_MILLI_CPU_REQUEST", "DEFAULT_MEMORY_REQUEST"]

# Non-zero defaults for pods that request nothing, so scoring does not pile them on one node
# (upstream pkg/scheduler/util/pod_resources.go).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(slots=True)
class PodInfo:
    pod: core_pb2.Pod
    key: str
    uid: str
    cpu: int = 0
    memory: int = 0
    non0_cpu: int = 0
    non0_memory: int = 0
    claims: tuple[str, ...] = ()
    """`namespace/claim` of every PersistentVolumeClaim the pod mounts (ephemeral ones included)."""


@functools.lru_cache(maxsize=4096)
def _quantity(fn, value: str) -> int:
    """Parsed once per distinct string: pods of one template repeat the same few quantities."""
    try:
        return fn(value)
    except QuantityError:
        return 0  # validated by the API server; never fail scheduling on it


def _container_requests(c: core_pb2.Container) -> tuple[int, int, int, int]:
    req = c.resources.requests
    cpu = _quantity(to_millis, req["cpu"]) if "cpu" in req else 0
    mem = _quantity(to_bytes, req["memory"]) if "memory" in req else 0
    return (cpu, mem, cpu if "cpu" in req else DEFAULT_MILLI_CPU_REQUEST,
            mem if "memory" in req else DEFAULT_MEMORY_REQUEST)


def pod_requests(pod: core_pb2.Pod) -> tuple[int, int, int, int]:
    """(cpu millis, memory bytes, non-zero cpu, non-zero memory), as resourcehelper.PodRequests adds
    them: app containers and sidecars (restartable init containers) sum; an ordinary init container
    runs alone (beside the sidecars started before it), so the pod needs the maximum of the two."""
    total = [0, 0, 0, 0]
    for c in pod.spec.containers:
        for i, v in enumerate(_container_requests(c)):
            total[i] += v
    sidecars, init_max = [0, 0, 0, 0], [0, 0, 0, 0]
    for c in pod.spec.init_containers:
        r = _container_requests(c)
        if c.HasField("restart_policy") and c.restart_policy == "Always":
            for i in range(4):
                total[i] += r[i]
                sidecars[i] += r[i]
            need = sidecars
        else:
            need = [r[i] + sidecars[i] for i in range(4)]
        init_max = [max(a, b) for a, b in zip(init_max, need)]
    return tuple(max(a, b) for a, b in zip(total, init_max))  # type: ignore[return-value]


def pod_claim_names(pod: core_pb2.Pod) -> list[str]:
    """Names of the claims a pod uses; a generic ephemeral volume's claim is `<pod>-<volume>`."""
    names = []
    for v in pod.spec.volumes:
        if v.HasField("persistent_volume_claim") and v.persistent_volume_claim.claim_name:
            names.append(v.persistent_volume_claim.claim_name)
        elif v.HasField("ephemeral"):
            names.append(f"{pod.metadata.name}-{v.name}")
    return names


def new_pod_info(pod: core_pb2.Pod) -> PodInfo:
    ns = pod.metadata.namespace
    cpu, mem, ncpu, nmem = pod_requests(pod)
    return PodInfo(pod, f"{ns}/{pod.metadata.name}", pod.metadata.uid, cpu, mem, ncpu, nmem,
                   tuple(f"{ns}/{c}" for c in pod_claim_names(pod)))


@dataclass(slots=True)
class NodeInfo:
    name: str
    node: core_pb2.Node | None = None
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    unschedulable: bool = False
    alloc_cpu: int = 0
    alloc_memory: int = 0
    alloc_pods: int = 0
    cpu: int = 0
    memory: int = 0
    non0_cpu: int = 0
    non0_memory: int = 0
    pods: dict[str, PodInfo] = field(default_factory=dict)
    """uid -> PodInfo of every pod bound to or assumed on this node."""

    def set_node(self, node: core_pb2.Node) -> None:
        self.node = node
        self.labels = dict(node.metadata.labels)
        self.taints = tuple(Taint(t.key, t.value, t.effect) for t in node.spec.taints)
        self.unschedulable = node.spec.unschedulable
        alloc = node.status.allocatable
        self.alloc_cpu = _quantity(to_millis, alloc["cpu"]) if "cpu" in alloc else 0
        self.alloc_memory = _quantity(to_bytes, alloc["memory"]) if "memory" in alloc else 0
        self.alloc_pods = _quantity(to_bytes, alloc["pods"]) if "pods" in alloc else 0

    def add_pod(self, pi: PodInfo) -> None:
        self.pods[pi.uid] = pi
        self._update(pi, 1)

    def remove_pod(self, uid: str) -> PodInfo | None:
        pi = self.pods.pop(uid, None)
        if pi is not None:
            self._update(pi, -1)
        return pi

    def _update(self, pi: PodInfo, sign: int) -> None:
        self.cpu += sign * pi.cpu
        self.memory += sign * pi.memory
        self.non0_cpu += sign * pi.non0_cpu
        self.non0_memory += sign * pi.non0_memory
