"""A pod's status as the kubelet reports it, from what its worker observed. Pure.

Container states: waiting (ContainerCreating, PodInitializing, CrashLoopBackOff, CreateContainerError,
CreateContainerConfigError), running (startedAt), terminated (exit code, reason Completed or Error
or StartError/ContainerStatusUnknown, times); lastState keeps the previous termination.
Conditions: PodScheduled, Initialized, ContainersReady, Ready; lastTransitionTime only moves when a
condition's status changes. Fields the kubelet does not own (other conditions, nominatedNodeName)
are kept from the current status.
"""
from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp

from kubelab.api.v1 import core_pb2
from kubelab.podutil import qos_class
from services.kubelet.decisions import get_phase, is_sidecar

__all__ = ["Terminated", "ContainerView", "container_status", "build_pod_status",
           "KUBELET_CONDITIONS"]

KUBELET_CONDITIONS = ("PodScheduled", "Initialized", "ContainersReady", "Ready")


def _ts(t: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(t * 1e9))
    return ts


def _secs(t: float) -> Timestamp:
    """Kubernetes' times have whole seconds (metav1.Time)."""
    ts = Timestamp()
    ts.FromSeconds(int(t))
    return ts


@dataclass(frozen=True)
class Terminated:
    exit_code: int
    reason: str = ""
    message: str = ""
    signal: int = 0
    started_at: float = 0.0
    finished_at: float = 0.0
    container_id: str = ""

    @property
    def shown_reason(self) -> str:
        return self.reason or ("Completed" if self.exit_code == 0 else "Error")


@dataclass(frozen=True)
class ContainerView:
    name: str
    image: str
    image_id: str = ""
    state: str = "waiting"
    """waiting, running or terminated."""
    reason: str = "ContainerCreating"
    """The waiting reason."""
    message: str = ""
    started_at: float = 0.0
    terminated: Terminated | None = None
    last: Terminated | None = None
    restart_count: int = 0
    ready: bool = False
    started: bool = False
    container_id: str = ""


def _terminated(t: Terminated) -> core_pb2.ContainerStateTerminated:
    out = core_pb2.ContainerStateTerminated(exit_code=t.exit_code, signal=t.signal, reason=t.shown_reason,
                                            message=t.message)
    if t.container_id:
        out.container_id = "kubelab://" + t.container_id
    if t.started_at:
        out.started_at.CopyFrom(_secs(t.started_at))
    if t.finished_at:
        out.finished_at.CopyFrom(_secs(t.finished_at))
    return out


def container_status(v: ContainerView) -> core_pb2.ContainerStatus:
    cs = core_pb2.ContainerStatus(name=v.name, image=v.image, image_id=v.image_id, restart_count=v.restart_count,
                                  ready=v.ready, started=v.started)
    if v.container_id:
        cs.container_id = "kubelab://" + v.container_id
    if v.state == "running":
        cs.state.running.started_at.CopyFrom(_secs(v.started_at))
    elif v.state == "terminated" and v.terminated is not None:
        cs.state.terminated.CopyFrom(_terminated(v.terminated))
    else:
        cs.state.waiting.reason = v.reason
        if v.message:
            cs.state.waiting.message = v.message
    if v.last is not None:
        cs.last_state.terminated.CopyFrom(_terminated(v.last))
    return cs


def _names(views: list[ContainerView], pred) -> str:
    return "[" + " ".join(v.name for v in views if pred(v)) + "]"


def _conditions(spec: core_pb2.PodSpec, phase: str, init_views: list[ContainerView],
                views: list[ContainerView]) -> dict[str, tuple[str, str, str]]:
    out: dict[str, tuple[str, str, str]] = {"PodScheduled": ("True", "", "")}
    sidecars = {c.name for c in spec.init_containers if is_sidecar(c)}
    incomplete = [v for v in init_views if v.name not in sidecars and not (
        v.state == "terminated" and v.terminated and v.terminated.exit_code == 0)]
    incomplete += [v for v in init_views if v.name in sidecars and not v.started]
    if phase == "Succeeded" or not incomplete:
        out["Initialized"] = ("True", "", "")
    else:
        out["Initialized"] = ("False", "ContainersNotInitialized",
                              f"containers with incomplete status: {_names(incomplete, lambda v: True)}")
    unready = [v for v in views if not v.ready] + [v for v in init_views if v.name in sidecars and not v.ready]
    if phase in ("Succeeded", "Failed"):
        ready = ("False", "PodCompleted", "")
    elif unready:
        ready = ("False", "ContainersNotReady", f"containers with unready status: {_names(unready, lambda v: True)}")
    else:
        ready = ("True", "", "")
    out["ContainersReady"] = out["Ready"] = ready
    return out


def _readiness_gate_problem(spec: core_pb2.PodSpec, existing: dict) -> str:
    """Why a readiness gate holds Ready back ('' when none does)."""
    for gate in (g.condition_type for g in spec.readiness_gates):
        cond = existing.get(gate)
        if cond is None:
            return f'corresponding condition of pod readiness gate "{gate}" does not exist.'
        if cond.status != "True":
            return f'the status of pod readiness gate "{gate}" is not "True", but {cond.status}'
    return ""


def build_pod_status(pod: core_pb2.Pod, init_views: list[ContainerView], views: list[ContainerView], *,
                     pod_ip: str, host_ip: str, start_time: float, now: float,
                     terminal_on_stop: bool = False) -> core_pb2.PodStatus:
    old = pod.status
    status = core_pb2.PodStatus()
    status.init_container_statuses.extend(container_status(v) for v in init_views)
    status.container_statuses.extend(container_status(v) for v in views)
    status.phase = get_phase(pod.spec, list(status.init_container_statuses), list(status.container_statuses),
                             terminal_on_stop)
    wanted = _conditions(pod.spec, status.phase, init_views, views)
    existing = {c.type: c for c in old.conditions}
    if wanted["Ready"][0] == "True":
        problem = _readiness_gate_problem(pod.spec, existing)
        if problem:
            wanted["Ready"] = ("False", "ReadinessGatesNotReady", problem)
    for ctype in KUBELET_CONDITIONS:
        cond_status, reason, message = wanted[ctype]
        prev = existing.get(ctype)
        if ctype == "PodScheduled" and prev is not None:
            status.conditions.append(prev)
            continue
        cond = status.conditions.add(type=ctype, status=cond_status, reason=reason, message=message)
        if prev is not None and prev.status == cond_status:
            cond.last_transition_time.CopyFrom(prev.last_transition_time)
        else:
            cond.last_transition_time.CopyFrom(_secs(now))
    for c in old.conditions:
        if c.type not in KUBELET_CONDITIONS:
            status.conditions.append(c)
    status.host_ip = host_ip
    status.host_ips.add(ip=host_ip)
    if pod_ip:
        status.pod_ip = pod_ip
        status.pod_ips.add(ip=pod_ip)
    if start_time:
        status.start_time.CopyFrom(_secs(start_time))
    status.qos_class = old.qos_class or qos_class(pod.spec)
    status.nominated_node_name = old.nominated_node_name
    return status
