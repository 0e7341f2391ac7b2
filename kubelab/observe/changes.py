"""What an object says happened to it: timeline entries from Kubernetes JSON, with no I/O.

`past(obj)` reads what an object keeps of its own history (creationTimestamp, conditions'
lastTransitionTime, taints' timeAdded, deletionTimestamp minus the grace period, a Lease's
acquireTime); `diff(old, new, now)` names what changed between two versions a watch delivered. The
actor is the component that makes such a change in Kubernetes (the scheduler binds, the kubelet
reports Ready, the node controller marks a silent node Unknown and taints it).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterator

from kubelab.observe.entries import Entry, is_whole_second, object_ref, parse_time

__all__ = ["past", "diff", "event_entry", "OWNER_ACTORS"]

#: Who creates objects owned by a controller of each kind.
OWNER_ACTORS = {"ReplicaSet": "replicaset-controller", "Deployment": "deployment-controller",
                "StatefulSet": "statefulset-controller"}
NODE_LEASE_NAMESPACE = "kube-node-lease"


def _entry(obj: dict, stamp: str | None, actor: str, what: str, offset: float = 0.0) -> Entry | None:
    """An entry at timestamp stamp (+ offset seconds); one in whole seconds sorts at the second's end."""
    when = parse_time(stamp)
    if when is None:
        return None
    kind, ns, name = object_ref(obj)
    whole = is_whole_second(stamp)
    return Entry(when + offset + (0.999 if whole else 0.0), actor or "-", kind, ns, name, what, "object", whole)


def _creator(obj: dict) -> str:
    for ref in obj.get("metadata", {}).get("ownerReferences", []):
        if ref.get("controller"):
            return OWNER_ACTORS.get(ref.get("kind", ""), "-")
    if obj.get("kind") == "Node":
        return f"kubelet/{obj['metadata'].get('name')}"
    if obj.get("kind") == "PersistentVolume":
        return obj["metadata"].get("annotations", {}).get("pv.kubernetes.io/provisioned-by", "-")
    return "-"


def _condition(obj: dict, ctype: str) -> dict:
    for c in obj.get("status", {}).get("conditions", []):
        if c.get("type") == ctype:
            return c
    return {}


def _kubelet(obj: dict) -> str:
    node = obj.get("spec", {}).get("nodeName") if obj.get("kind") == "Pod" else obj["metadata"].get("name")
    return f"kubelet/{node}" if node else "kubelet"


def _ready_what(obj: dict, c: dict) -> tuple[str, str]:
    """(actor, text) for a Ready condition: True/False from the kubelet, Unknown from the node controller."""
    status = c.get("status", "")
    if status == "True":
        return _kubelet(obj), "Ready"
    why = ": ".join(x for x in (c.get("reason", ""), c.get("message", "")) if x)
    text = f"NotReady ({why})" if why else "NotReady"
    if status == "Unknown" or c.get("reason") == "NodeNotReady" or obj.get("kind") == "Pod" and \
            c.get("message") == "Node is not ready":
        return "node-controller", text
    return _kubelet(obj), text


def _deletion(obj: dict) -> Entry | None:
    meta = obj["metadata"]
    grace = int(meta.get("deletionGracePeriodSeconds", 0) or 0)
    if obj.get("kind") == "Pod":
        note = f" (grace {grace}s)"
    elif meta.get("finalizers"):
        note = f" (finalizers: {','.join(meta['finalizers'])})"
    else:
        note = ""
    return _entry(obj, meta.get("deletionTimestamp"), "-", "Terminating" + note, offset=-grace)


def _pod_past(obj: dict) -> Iterator[Entry | None]:
    sched = _condition(obj, "PodScheduled")
    if sched.get("status") == "True":
        yield _entry(obj, sched.get("lastTransitionTime"), "default-scheduler",
                     f"scheduled to {obj.get('spec', {}).get('nodeName', '?')}")
    ready = _condition(obj, "Ready")
    if ready and (ready.get("status") == "True" or ready.get("reason") not in (None, "", "PodCompleted")):
        actor, text = _ready_what(obj, ready)
        yield _entry(obj, ready.get("lastTransitionTime"), actor, text)


def _node_past(obj: dict) -> Iterator[Entry | None]:
    ready = _condition(obj, "Ready")
    if ready:
        actor, text = _ready_what(obj, ready)
        yield _entry(obj, ready.get("lastTransitionTime"), actor, text)
    for t in obj.get("spec", {}).get("taints", []):
        yield _entry(obj, t.get("timeAdded"), "node-controller",
                     f"taint {t.get('key')}:{t.get('effect')} added")


def _lease_past(obj: dict) -> Iterator[Entry | None]:
    spec = obj.get("spec", {})
    holder = spec.get("holderIdentity", "")
    if holder:
        yield _entry(obj, spec.get("acquireTime"), holder,
                     f"leader: {holder} (transitions {spec.get('leaseTransitions', 0)})")


def _va_past(obj: dict) -> Iterator[Entry | None]:
    spec = obj.get("spec", {})
    state = "attached" if obj.get("status", {}).get("attached") else "not attached yet"
    yield _entry(obj, obj["metadata"].get("creationTimestamp"), "attachdetach-controller",
                 f"attach {spec.get('source', {}).get('persistentVolumeName', '?')} to {spec.get('nodeName')}"
                 f" requested (now {state})")


_PAST: dict[str, Callable[[dict], Iterator[Entry | None]]] = {
    "Pod": _pod_past, "Node": _node_past, "Lease": _lease_past, "VolumeAttachment": _va_past}


def past(obj: dict) -> list[Entry]:
    """What obj's own timestamps say happened to it, oldest first."""
    kind, ns, _ = object_ref(obj)
    if kind == "Lease" and ns == NODE_LEASE_NAMESPACE:
        return []  # a node's heartbeat, one holder forever: noise on a timeline
    found: list[Entry | None] = []
    if kind not in ("VolumeAttachment", "Lease"):
        found.append(_entry(obj, obj["metadata"].get("creationTimestamp"), _creator(obj), "created"))
    found.extend(_PAST.get(kind, lambda o: iter(()))(obj))
    found.append(_deletion(obj))
    return sorted((e for e in found if e is not None), key=lambda e: e.sort_key)


def event_entry(ev: dict) -> Entry | None:
    """An Event as a line, at its first occurrence (what it reports began then), from its source."""
    count = int(ev.get("count", 1) or 1)
    stamps = [ev.get("firstTimestamp") if count > 1 else None, ev.get("lastTimestamp"), ev.get("eventTime"),
              ev.get("metadata", {}).get("creationTimestamp")]
    stamp = next((s for s in stamps if parse_time(s) is not None), None)
    if stamp is None:
        return None
    src = ev.get("source", {})
    actor = src.get("component") or ev.get("reportingComponent") or "-"
    if actor == "kubelet" and src.get("host"):
        actor = f"kubelet/{src['host']}"
    inv = ev.get("involvedObject", {})
    repeat = ""
    if count > 1:
        last = parse_time(ev.get("lastTimestamp"))
        until = f" until {dt.datetime.fromtimestamp(last).strftime('%H:%M:%S')}" if last else ""
        repeat = f" (x{count}{until})"
    what = f"{ev.get('type', 'Normal')} {ev.get('reason', '')}: {ev.get('message', '').strip()}{repeat}"
    whole = is_whole_second(stamp)
    return Entry(parse_time(stamp) + (0.999 if whole else 0.0), actor, inv.get("kind", ""), inv.get("namespace", ""),
                 inv.get("name", ""), what, "event", whole)


# ---- live changes ------------------------------------------------------------------------------------

def _get(obj: dict | None, *path: str):
    cur = obj or {}
    for p in path:
        cur = cur.get(p, {}) if isinstance(cur, dict) else {}
    return cur if cur != {} else None


def _changed(old: dict, new: dict, *path: str) -> bool:
    return _get(old, *path) != _get(new, *path)


def _pod_diff(old: dict, new: dict) -> Iterator[tuple[str, str]]:
    if not _get(old, "spec", "nodeName") and _get(new, "spec", "nodeName"):
        yield "default-scheduler", f"scheduled to {new['spec']['nodeName']}"
    if _changed(old, new, "status", "phase") and _get(new, "status", "phase"):
        yield _kubelet(new), f"phase {new['status']['phase']}"
    if _condition(old, "Ready").get("status") != _condition(new, "Ready").get("status") and _condition(new, "Ready"):
        yield _ready_what(new, _condition(new, "Ready"))


def _node_diff(old: dict, new: dict) -> Iterator[tuple[str, str]]:
    if _condition(old, "Ready").get("status") != _condition(new, "Ready").get("status") and _condition(new, "Ready"):
        yield _ready_what(new, _condition(new, "Ready"))
    before = {(t.get("key"), t.get("effect")) for t in _get(old, "spec", "taints") or []}
    after = {(t.get("key"), t.get("effect")) for t in _get(new, "spec", "taints") or []}
    for key, effect in sorted(after - before):
        yield "node-controller", f"taint {key}:{effect} added"
    for key, effect in sorted(before - after):
        yield "node-controller", f"taint {key}:{effect} removed"
    if not _get(old, "spec", "unschedulable") and _get(new, "spec", "unschedulable"):
        yield "-", "cordoned"


def _claim_diff(old: dict, new: dict) -> Iterator[tuple[str, str]]:
    if _changed(old, new, "status", "phase") and _get(new, "status", "phase"):
        target = _get(new, "spec", "volumeName") or _get(new, "spec", "claimRef", "name") or ""
        suffix = f" to {target}" if new["status"]["phase"] == "Bound" and target else ""
        yield "persistentvolume-controller", f"{new['status']['phase']}{suffix}"


def _va_diff(old: dict, new: dict) -> Iterator[tuple[str, str]]:
    if bool(_get(old, "status", "attached")) != bool(_get(new, "status", "attached")):
        pv = _get(new, "spec", "source", "persistentVolumeName")
        verb = "attached to" if _get(new, "status", "attached") else "detached from"
        yield "attachdetach-controller", f"{pv} {verb} {_get(new, 'spec', 'nodeName')}"


def _lease_diff(old: dict, new: dict) -> Iterator[tuple[str, str]]:
    if _changed(old, new, "spec", "holderIdentity"):
        holder = _get(new, "spec", "holderIdentity") or ""
        was = _get(old, "spec", "holderIdentity") or "nobody"
        yield holder or "-", f"leader: {holder or 'nobody (released)'} (was {was})"


def _workload_diff(old: dict, new: dict) -> Iterator[tuple[str, str]]:
    if _changed(old, new, "spec", "replicas"):
        yield "-", f"scaled to {_get(new, 'spec', 'replicas') or 0}"


_DIFF = {"Pod": _pod_diff, "Node": _node_diff, "PersistentVolumeClaim": _claim_diff,
         "PersistentVolume": _claim_diff, "VolumeAttachment": _va_diff, "Lease": _lease_diff,
         "Deployment": _workload_diff, "ReplicaSet": _workload_diff, "StatefulSet": _workload_diff}


def diff(old: dict | None, new: dict | None, now: float) -> list[Entry]:
    """What a watch event changed: created, deleted, or each notable field of new against old."""
    obj = new or old
    if obj is None:
        return []
    kind, ns, name = object_ref(obj)
    if kind == "Lease" and ns == NODE_LEASE_NAMESPACE:
        return []
    if new is None:
        return [Entry(now, "-", kind, ns, name, "deleted", "watch")]
    out = []
    if old is None:
        out.append(Entry(now, _creator(new), kind, ns, name, "created", "watch"))
        old = {}
    if not _get(old, "metadata", "deletionTimestamp") and _get(new, "metadata", "deletionTimestamp"):
        d = _deletion(new)
        out.append(Entry(now, "-", kind, ns, name, d.what if d else "Terminating", "watch"))
    for actor, what in _DIFF.get(kind, lambda o, n: iter(()))(old, new):
        out.append(Entry(now, actor, kind, ns, name, what, "watch"))
    return out
