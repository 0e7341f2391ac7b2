"""`kubelab check`: a recorded history against the promises kubelab's controllers make. Pure.

The history is replayed in file order (kubelab.observe.history); each checker sees every change with
the cluster state just before and after it, and reports each violation once, with the records that
show it. The invariants, and the upstream mechanism that keeps each:

- `statefulset-identity`: at most one running pod per StatefulSet identity (k/k statefulset controller
  creates a pod only once the old one is gone; the API forgets a pod only when its kubelet confirmed
  it stopped, or on a force delete). A pod deleted while its node was not Ready is counted as still
  running on that node until the node is Ready again (its kubelet then kills what it no longer owns).
- `claim-volume`: a claim's volume never changes once bound, and no volume is bound to two claims
  (k/k pv_controller's two-phase bind).
- `rwo-attach`: a ReadWriteOnce volume is attached to at most one node at a time (attach/detach
  controller's Multi-Attach check).
- `deployment-surge`: the sum of a Deployment's ReplicaSets' replicas never exceeds its replicas plus
  maxSurge (k/k deployment `rolling.go`); while a new spec is not yet observed, the larger of the old
  and new bounds applies.
- `lease-single-leader`: a Lease changes holder only when released or expired: a new holder's
  acquireTime is not before the old holder's renewTime + leaseDurationSeconds (client-go leaderelection).
- `no-lost-writes`: an object the API acknowledged (a write of the recorder's own, or one any watch
  delivered) is still there at the end or was deleted through the API; a relist that lacks an object
  and comes from an older resourceVersion than the object's last one means the store went back in time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

from kubelab.observe.entries import parse_time
from kubelab.observe.history import WATCH_TYPES, Record, display_key

__all__ = ["Violation", "check", "INVARIANTS"]

INVARIANTS = ("statefulset-identity", "claim-volume", "rwo-attach", "deployment-surge", "lease-single-leader",
              "no-lost-writes")


@dataclass(frozen=True)
class Violation:
    invariant: str
    message: str
    evidence: tuple[Record, ...]


def _key(obj: dict) -> str:
    meta = obj.get("metadata", {})
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _uid(obj: dict) -> str:
    return obj.get("metadata", {}).get("uid", "")


def _owner(obj: dict, kind: str) -> dict | None:
    for ref in obj.get("metadata", {}).get("ownerReferences", []):
        if ref.get("controller") and ref.get("kind") == kind:
            return ref
    return None


def _node_ready(node: dict | None) -> bool:
    for c in (node or {}).get("status", {}).get("conditions", []):
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


@dataclass
class State:
    """The objects as the history has them so far, and the record that last changed each."""

    objects: dict[str, dict[str, dict]] = field(default_factory=dict)
    last: dict[tuple[str, str], Record] = field(default_factory=dict)

    def of(self, kind: str) -> dict[str, dict]:
        return self.objects.setdefault(kind, {})


class StatefulSetIdentity:
    name = "statefulset-identity"

    def __init__(self):
        self.running: dict[str, dict[str, tuple[str, tuple[Record, ...]]]] = {}  # identity -> uid -> (node, records)
        self.reported: set[frozenset] = set()

    def on(self, rec: Record, old: dict | None, new: dict | None, st: State) -> list[Violation]:
        if rec.kind == "Node" and new is not None and _node_ready(new):
            node = new["metadata"]["name"]
            for pods in self.running.values():
                for uid in [u for u, (n, rs) in pods.items() if n == node and rs[-1].type == "DELETED"]:
                    del pods[uid]
            return []
        obj = new or old
        if rec.kind != "Pod" or obj is None or _owner(obj, "StatefulSet") is None:
            return []
        ident, uid = _key(obj), _uid(obj)
        pods = self.running.setdefault(ident, {})
        node = obj.get("spec", {}).get("nodeName", "")
        if new is None:
            if uid in pods and _node_ready(st.of("Node").get(f"/{node}")):
                del pods[uid]
            elif uid in pods:
                pods[uid] = (node, pods[uid][1] + (rec,))  # deleted; nobody confirmed its containers stopped
            return []
        phase = new.get("status", {}).get("phase")
        if phase == "Running":
            pods.setdefault(uid, (node, (rec,)))
        elif phase in ("Succeeded", "Failed"):
            pods.pop(uid, None)
        if len(pods) < 2 or frozenset(pods) in self.reported:
            return []
        self.reported.add(frozenset(pods))
        where = ", ".join(f"uid {u[:8]} on {n}" for u, (n, _) in pods.items())
        return [Violation(self.name, f"pod {ident}: {len(pods)} pods running for one identity ({where})",
                          tuple(sorted({r for _, rs in pods.values() for r in rs} | {rec}, key=lambda r: r.index)))]


class ClaimVolume:
    name = "claim-volume"

    def __init__(self):
        self.reported: set[tuple] = set()

    def on(self, rec: Record, old: dict | None, new: dict | None, st: State) -> list[Violation]:
        if rec.kind != "PersistentVolumeClaim" or new is None:
            return []
        out = []
        before, after = (old or {}).get("spec", {}).get("volumeName"), new.get("spec", {}).get("volumeName")
        if old is not None and _uid(old) == _uid(new) and before and after != before:
            out.append(Violation(self.name, f"claim {_key(new)} was bound to {before}, now to {after or 'nothing'}",
                                 (st.last.get(("PersistentVolumeClaim", _key(new)), rec), rec)))
        if new.get("status", {}).get("phase") == "Bound" and after:
            claims = sorted(k for k, c in st.of("PersistentVolumeClaim").items()
                            if c.get("spec", {}).get("volumeName") == after
                            and c.get("status", {}).get("phase") == "Bound")
            if len(claims) > 1 and (after, tuple(claims)) not in self.reported:
                self.reported.add((after, tuple(claims)))
                evidence = tuple(st.last[("PersistentVolumeClaim", k)] for k in claims
                                 if ("PersistentVolumeClaim", k) in st.last)
                out.append(Violation(self.name, f"volume {after} is bound to {len(claims)} claims: "
                                     f"{', '.join(claims)}", evidence))
        return out


class RwoAttach:
    name = "rwo-attach"

    def __init__(self):
        self.reported: set[tuple] = set()

    def on(self, rec: Record, old: dict | None, new: dict | None, st: State) -> list[Violation]:
        if rec.kind != "VolumeAttachment" or new is None or not new.get("status", {}).get("attached"):
            return []
        pv = new.get("spec", {}).get("source", {}).get("persistentVolumeName", "")
        modes = st.of("PersistentVolume").get(f"/{pv}", {}).get("spec", {}).get("accessModes", ["ReadWriteOnce"])
        if "ReadWriteMany" in modes or "ReadOnlyMany" in modes:
            return []
        attached = {k: va for k, va in st.of("VolumeAttachment").items()
                    if va.get("status", {}).get("attached")
                    and va.get("spec", {}).get("source", {}).get("persistentVolumeName") == pv}
        nodes = sorted({va.get("spec", {}).get("nodeName", "") for va in attached.values()})
        if len(nodes) < 2 or (pv, tuple(nodes)) in self.reported:
            return []
        self.reported.add((pv, tuple(nodes)))
        return [Violation(self.name, f"volume {pv} ({','.join(modes)}) is attached to {len(nodes)} nodes at once: "
                          f"{', '.join(nodes)}", tuple(st.last[("VolumeAttachment", k)] for k in attached))]


def _max_surge(dep: dict) -> int:
    spec = dep.get("spec", {})
    replicas = int(spec.get("replicas", 1))
    strategy = spec.get("strategy", {})
    if strategy.get("type") == "Recreate":
        return replicas
    surge = strategy.get("rollingUpdate", {}).get("maxSurge", "25%")
    if isinstance(surge, str) and surge.endswith("%"):
        return replicas + math.ceil(replicas * int(surge[:-1]) / 100)
    return replicas + int(surge)


class DeploymentSurge:
    name = "deployment-surge"

    def __init__(self):
        self.bound: dict[str, int] = {}  # deployment uid -> the bound in force
        self.reported: set[tuple] = set()

    def on(self, rec: Record, old: dict | None, new: dict | None, st: State) -> list[Violation]:
        if rec.kind == "Deployment" and new is not None:
            current = _max_surge(new)
            settled = new.get("status", {}).get("observedGeneration", 0) >= new["metadata"].get("generation", 0)
            previous = self.bound.get(_uid(new), current)
            self.bound[_uid(new)] = current if settled else max(previous, current)
            dep = new
        elif rec.kind == "ReplicaSet" and new is not None and _owner(new, "Deployment"):
            ref = _owner(new, "Deployment")
            dep = next((d for d in st.of("Deployment").values() if _uid(d) == ref.get("uid")), None)
        else:
            return []
        if dep is None or _uid(dep) not in self.bound:
            return []
        owned = {k: rs for k, rs in st.of("ReplicaSet").items()
                 if (_owner(rs, "Deployment") or {}).get("uid") == _uid(dep)}
        total = sum(int(rs.get("spec", {}).get("replicas", 0)) for rs in owned.values())
        limit = self.bound[_uid(dep)]
        if total <= limit or (_uid(dep), total) in self.reported:
            return []
        self.reported.add((_uid(dep), total))
        evidence = tuple(st.last[("ReplicaSet", k)] for k in owned) + (st.last[("Deployment", _key(dep))],)
        return [Violation(self.name, f"deployment {_key(dep)}: its ReplicaSets want {total} replicas, more than "
                          f"replicas + maxSurge = {limit}", evidence)]


class LeaseSingleLeader:
    name = "lease-single-leader"

    def on(self, rec: Record, old: dict | None, new: dict | None, st: State) -> list[Violation]:
        if rec.kind != "Lease" or old is None or new is None:
            return []
        a, b = old.get("spec", {}), new.get("spec", {})
        was, now = a.get("holderIdentity", ""), b.get("holderIdentity", "")
        if not was or not now or was == now:
            return []
        renewed, acquired = parse_time(a.get("renewTime")), parse_time(b.get("acquireTime"))
        duration = float(a.get("leaseDurationSeconds", 0) or 0)
        if renewed is None or acquired is None or acquired >= renewed + duration:
            return []
        return [Violation(self.name, f"lease {_key(new)}: {now} acquired it at {b.get('acquireTime')} while {was} "
                          f"held it until {a.get('renewTime')} + {duration:g}s: two leaders for "
                          f"{renewed + duration - acquired:.1f}s", (st.last[("Lease", _key(new))], rec))]


class NoLostWrites:
    name = "no-lost-writes"

    def __init__(self):
        self.acked: dict[tuple[str, str], Record] = {}
        self.deleted: set[tuple[str, str]] = set()

    def on_ack(self, rec: Record) -> None:
        d = rec.data
        self.acked[(rec.kind, f"{d.get('namespace', '')}/{d.get('name', '')}")] = rec

    def on_snapshot(self, rec: Record, st: State, final: bool) -> list[Violation]:
        present = {_key(o) for o in rec.data.get("objects", [])}
        rv = int(rec.data.get("rv") or 0)
        out = []
        for key, obj in list(st.of(rec.kind).items()):
            last = st.last.get((rec.kind, key))
            if key in present or last is None:
                continue
            if final or rv < int(obj.get("metadata", {}).get("resourceVersion") or 0):
                out.append(Violation(self.name, f"{rec.kind} {display_key(key)} (resourceVersion "
                                     f"{obj['metadata'].get('resourceVersion')}) is gone without a delete: the "
                                     f"{rec.data.get('reason', '')} list at resourceVersion {rv} lacks it",
                                     (last, rec)))
        if final:
            for (kind, key), ack in self.acked.items():
                if kind == rec.kind and key not in present and (kind, key) not in self.deleted \
                        and (kind, key) not in st.last:
                    out.append(Violation(self.name, f"{kind} {display_key(key)}: its create was acknowledged "
                                         f"(resourceVersion {ack.data.get('rv')}) but it is gone", (ack, rec)))
        return out


def _apply(st: State, rec: Record) -> tuple[dict | None, dict | None]:
    obj = rec.data.get("object", {})
    objs, key = st.of(rec.kind), _key(obj)
    old = objs.get(key)
    if rec.type == "DELETED":
        objs.pop(key, None)
        st.last.pop((rec.kind, key), None)
        return old, None
    objs[key] = obj
    st.last[(rec.kind, key)] = rec
    return old, obj


def _apply_snapshot(st: State, rec: Record) -> None:
    """A relist replaces the kind's state (what it lacks was deleted, or lost: NoLostWrites decides)."""
    objs = st.of(rec.kind)
    fresh = {_key(o): o for o in rec.data.get("objects", [])}
    for key in [k for k in objs if k not in fresh]:
        objs.pop(key)
        st.last.pop((rec.kind, key), None)
    for key, obj in fresh.items():
        if objs.get(key) != obj:
            objs[key] = obj
            st.last[(rec.kind, key)] = rec


def check(records: Iterable[Record]) -> list[Violation]:
    """Every violation in the history, in the order they happened."""
    st = State()
    checkers = [StatefulSetIdentity(), ClaimVolume(), RwoAttach(), DeploymentSurge(), LeaseSingleLeader()]
    lost = NoLostWrites()
    out: list[Violation] = []
    for rec in records:
        if rec.type == "ACK":
            lost.on_ack(rec)
        elif rec.type == "SNAPSHOT":
            if rec.kind in st.objects:
                out += lost.on_snapshot(rec, st, final=rec.data.get("reason") == "final")
            _apply_snapshot(st, rec)
        elif rec.type in WATCH_TYPES:
            old, new = _apply(st, rec)
            if rec.type == "DELETED":
                lost.deleted.add((rec.kind, _key(rec.data.get("object", {}))))
            for c in checkers:
                out += c.on(rec, old, new, st)
    return out
