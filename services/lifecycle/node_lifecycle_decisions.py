"""The node lifecycle decisions, pure functions of the snapshot and the clock (no I/O).

- `node_health`: is the node's heartbeat (its Lease's renewTime, or the Ready condition's
  lastHeartbeatTime, whichever is newer) older than the grace period? Then every condition goes
  `Unknown` (reason `NodeStatusUnknown`, message `Kubelet stopped posting node status.`), as
  k/k `node_lifecycle_controller.go` tryUpdateNodeHealth does.
- `desired_taints`: the NoExecute (and NoSchedule) taints the Ready condition calls for:
  `node.kubernetes.io/unreachable` when Unknown, `node.kubernetes.io/not-ready` when False, none when True.
- `pod_not_ready`: a pod on a node whose Ready condition is not True gets its own Ready condition set to
  False, lastTransitionTime now (whole seconds), reason and message kept, as k/k `controller_utils.go`
  MarkPodsNotReady does with utilpod.UpdatePodCondition; containerStatuses[].ready are left alone.
- `eviction`: what the taint-eviction controller does with a pod on a node with NoExecute taints:
  delete now, delete in N seconds, or nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from kubelab.api.v1 import core_pb2
from kubelab.meta import copy_of

__all__ = ["UNREACHABLE", "NOT_READY", "MANAGED_TAINTS", "UNKNOWN_REASON", "UNKNOWN_MESSAGE", "NEVER_REASON",
           "NEVER_MESSAGE", "DEFAULT_CONDITIONS", "ready_status", "heartbeat", "node_health", "desired_taints",
           "with_taints", "pod_not_ready", "tolerates", "Eviction", "eviction"]

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"
NO_EXECUTE, NO_SCHEDULE = "NoExecute", "NoSchedule"
MANAGED_TAINTS = tuple((k, e) for k in (UNREACHABLE, NOT_READY) for e in (NO_EXECUTE, NO_SCHEDULE))
UNKNOWN_REASON, UNKNOWN_MESSAGE = "NodeStatusUnknown", "Kubelet stopped posting node status."
NEVER_REASON, NEVER_MESSAGE = "NodeStatusNeverUpdated", "Kubelet never posted node status."
DEFAULT_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
"""Conditions the controller adds as Unknown when a node never reported them (as upstream)."""


def _seconds(ts) -> float:
    return ts.seconds + ts.nanos / 1e9


def _stamp(ts, t: float) -> None:
    ts.seconds, ts.nanos = int(t), int((t - int(t)) * 1e9)


def _ready(obj: Message):
    return next((c for c in obj.status.conditions if c.type == "Ready"), None)


def ready_status(obj: Message) -> str:
    """The status of a Node's or Pod's Ready condition ("True", "False", "Unknown"); "" when it has none."""
    ready = _ready(obj)
    return ready.status if ready is not None else ""


def heartbeat(node: Message, lease: Message | None) -> float | None:
    """The newest of the Lease's renewTime and Ready's lastHeartbeatTime; None: never heard from."""
    times = []
    if lease is not None and lease.spec.HasField("renew_time"):
        times.append(_seconds(lease.spec.renew_time))
    ready = _ready(node)
    if ready is not None and ready.HasField("last_heartbeat_time"):
        times.append(_seconds(ready.last_heartbeat_time))
    return max(times) if times else None


def node_health(node: Message, lease: Message | None, now: float, grace: float,
                startup_grace: float, watching_since: float = 0.0) -> tuple[Message | None, float]:
    """(the Node with its conditions marked Unknown, or None when nothing changes; seconds until the next
    look is due). A node that never reported Ready gets `startup_grace` from its creation.

    `watching_since`: when the controller began to watch (its leadership term). The grace never starts
    before it: while the API server or Redis was down nobody could heartbeat and nobody could see a
    heartbeat, and a node is not silent because we were deaf (k/k starts each node's probeTimestamp
    when the controller first observes it)."""
    hb = heartbeat(node, lease)
    since = hb if hb is not None else _seconds(node.metadata.creation_timestamp)
    limit = startup_grace if _ready(node) is None else grace
    left = max(since, watching_since) + limit - now
    if left > 0:
        return None, left
    out = copy_of(node)
    changed = False
    present = {c.type for c in out.status.conditions}
    for ctype in DEFAULT_CONDITIONS:
        if ctype not in present:
            c = out.status.conditions.add(type=ctype, status="Unknown", reason=NEVER_REASON, message=NEVER_MESSAGE)
            _stamp(c.last_transition_time, now)
            changed = True
    for c in out.status.conditions:
        if c.status != "Unknown":
            c.status, c.reason, c.message = "Unknown", UNKNOWN_REASON, UNKNOWN_MESSAGE
            _stamp(c.last_transition_time, now)
            changed = True
    return (out if changed else None), 0.0


def desired_taints(node: Message) -> set[tuple[str, str]]:
    """(key, effect) of the managed taints the node's Ready condition calls for."""
    ready = _ready(node)
    if ready is None or ready.status == "True":
        return set()
    key = UNREACHABLE if ready.status == "Unknown" else NOT_READY
    return {(key, NO_EXECUTE), (key, NO_SCHEDULE)}


def with_taints(node: Message, now: float) -> Message | None:
    """The Node with exactly the managed taints `desired_taints` asks for (others kept), or None if it has them."""
    want = desired_taints(node)
    have = {(t.key, t.effect) for t in node.spec.taints if (t.key, t.effect) in MANAGED_TAINTS}
    if want == have:
        return None
    out = copy_of(node)
    kept = [t for t in out.spec.taints if (t.key, t.effect) not in MANAGED_TAINTS or (t.key, t.effect) in want]
    added = []
    for key, effect in sorted(want - have):
        t = core_pb2.Taint(key=key, effect=effect)
        if effect == NO_EXECUTE:
            _stamp(t.time_added, now)
        added.append(t)
    del out.spec.taints[:]
    out.spec.taints.extend(list(kept) + added)
    return out


def pod_not_ready(pod: Message, now: float) -> Message | None:
    """The Pod with its Ready condition False since `now`, or None when it has none or it is False already.

    Called for the pods of a node whose Ready is not True: nothing on that node can vouch for them.
    Terminating and finished pods are not skipped (nor are they upstream)."""
    ready = _ready(pod)
    if ready is None or ready.status == "False":
        return None
    out = copy_of(pod)
    ready = _ready(out)
    ready.status = "False"
    _stamp(ready.last_transition_time, int(now))  # whole seconds, as the kubelet stamps pod conditions
    return out


def tolerates(tol: Message, taint: Message) -> bool:
    """core/v1 Toleration.ToleratesTaint."""
    if tol.effect and tol.effect != taint.effect:
        return False
    if tol.key and tol.key != taint.key:
        return False
    if tol.operator == "Exists":
        return True
    if tol.operator in ("", "Equal"):
        return bool(tol.key) and tol.value == taint.value
    return False


@dataclass(frozen=True)
class Eviction:
    delete: bool = False
    after: float | None = None
    """Seconds until the pod is due (delete is False); None: nothing to do."""


def eviction(pod: Message, node: Message | None, now: float) -> Eviction:
    """The taint-eviction decision for a pod bound to `node` (k/k `taint_eviction.go` processPodOnNode).

    A NoExecute taint the pod does not tolerate: delete now. All tolerated: delete at the earliest
    taint's timeAdded plus the smallest tolerationSeconds among the tolerations used (none: never).
    """
    if node is None or pod.metadata.HasField("deletion_timestamp") or pod.status.phase in ("Succeeded", "Failed"):
        return Eviction()
    taints = [t for t in node.spec.taints if t.effect == NO_EXECUTE]
    if not taints:
        return Eviction()
    used = []
    for taint in taints:
        matching = [tol for tol in pod.spec.tolerations if tolerates(tol, taint)]
        if not matching:
            return Eviction(delete=True)
        used += matching
    bounded = [max(tol.toleration_seconds, 0) for tol in used if tol.HasField("toleration_seconds")]
    if not bounded:
        return Eviction()
    added = [_seconds(t.time_added) for t in taints if t.HasField("time_added")]
    start = min(added) if added else now
    left = start + min(bounded) - now
    return Eviction(delete=True) if left <= 0 else Eviction(after=left)
