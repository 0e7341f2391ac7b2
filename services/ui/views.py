"""What the page draws of each API object: a small JSON-able dict per object (a "view"), pure functions.

A view holds only what the page shows and nothing that changes with the clock (ages are drawn from the
timestamps in the browser), so that an object whose shown state did not change yields an equal view and the
diff (services/ui/model.py) sends nothing. Columns and wording are kubectl's where kubectl has them: the
pod's STATUS, READY and RESTARTS come from the same code as `kubelab get pods` (kubelab/printers/podstatus.py).
"""
from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.message import Message

from kubelab.printers.podstatus import summarize_pod
from kubelab.printers.tables import node_status

__all__ = ["VIEWS", "WAIT_REASONS", "pod_waits", "view_of"]

#: Event reasons that say why a scheduled pod cannot start its containers: a disk attached elsewhere
#: (Multi-Attach), a volume not mounted yet. Shown on the pod they block (kubelet/attach-detach wording).
WAIT_REASONS = ("FailedAttachVolume", "FailedMount", "FailedScheduling")


def _ts(msg: Message, field: str) -> float | None:
    return getattr(msg, field).ToMilliseconds() / 1000 if msg.HasField(field) else None


def _meta(obj: Message) -> dict:
    m = obj.metadata
    out = {"name": m.name, "uid": m.uid}
    if m.namespace:
        out["namespace"] = m.namespace
    if m.HasField("deletion_timestamp"):
        out["deleting"] = True
    return out


def _owner(obj: Message) -> dict | None:
    refs = obj.metadata.owner_references
    ref = next((r for r in refs if r.controller), refs[0] if refs else None)
    return {"kind": ref.kind, "name": ref.name} if ref is not None else None


def _ordinal(pod: Message, owner: dict | None) -> int | None:
    """A StatefulSet pod's ordinal, from its name `<set>-<ordinal>` (getOrdinal in stateful_set_utils.go)."""
    if not owner or owner["kind"] != "StatefulSet":
        return None
    prefix, _, tail = pod.metadata.name.rpartition("-")
    return int(tail) if prefix == owner["name"] and tail.isdigit() else None


def _condition(obj: Message, ctype: str) -> Message | None:
    return next((c for c in obj.status.conditions if c.type == ctype), None)


def pod_waits(events: Iterable[Message]) -> list[dict]:
    """The latest message of each blocking reason among a pod's events (Multi-Attach, mount waits)."""
    latest: dict[str, Message] = {}
    for ev in events:
        if ev.reason in WAIT_REASONS and ev.type == "Warning":
            seen = latest.get(ev.reason)
            if seen is None or _event_time(ev) >= _event_time(seen):
                latest[ev.reason] = ev
    return [{"reason": r, "message": latest[r].message.strip()} for r in sorted(latest)]


def pod_view(pod: Message, events: Iterable[Message] = ()) -> dict:
    s = summarize_pod(pod, 0.0)
    owner = _owner(pod)
    out = {**_meta(pod), "node": pod.spec.node_name, "phase": pod.status.phase or "Pending", "status": s.status,
           "ready": s.ready, "restarts": int(s.restarts.split()[0] or 0), "owner": owner,
           "ordinal": _ordinal(pod, owner), "created": _ts(pod.metadata, "creation_timestamp"),
           "claims": [v.persistent_volume_claim.claim_name for v in pod.spec.volumes
                      if v.HasField("persistent_volume_claim")]}
    scheduled = _condition(pod, "PodScheduled")
    if not pod.spec.node_name and scheduled is not None and scheduled.status == "False":
        out["unschedulable"] = {"reason": scheduled.reason, "message": scheduled.message}
    if pod.spec.node_name and out["phase"] == "Pending":  # bound, containers not started: what holds it
        out["waits"] = [w for w in pod_waits(events) if w["reason"] != "FailedScheduling"]
    return out


def node_view(node: Message) -> dict:
    return {**_meta(node), "status": node_status(node),
            "conditions": [{"type": c.type, "status": c.status, "reason": c.reason} for c in node.status.conditions],
            "taints": [f"{t.key}{'=' + t.value if t.value else ''}:{t.effect}" for t in node.spec.taints]}


def pvc_view(pvc: Message) -> dict:
    return {**_meta(pvc), "phase": pvc.status.phase or "Pending", "volume": pvc.spec.volume_name,
            "storageClass": pvc.spec.storage_class_name, "accessModes": list(pvc.spec.access_modes),
            "request": pvc.spec.resources.requests.get("storage", ""),
            "selectedNode": pvc.metadata.annotations.get("volume.kubernetes.io/selected-node", "")}


def _pv_node(pv: Message) -> str:
    """The node a local volume is pinned to by its required node affinity (local-path's volumes)."""
    if not pv.spec.HasField("node_affinity"):
        return ""
    for term in pv.spec.node_affinity.required.node_selector_terms:
        for expr in term.match_expressions:
            if expr.key == "kubernetes.io/hostname" and expr.operator == "In" and expr.values:
                return expr.values[0]
    return ""


def pv_view(pv: Message) -> dict:
    ref = pv.spec.claim_ref if pv.spec.HasField("claim_ref") else None
    return {**_meta(pv), "phase": pv.status.phase, "storageClass": pv.spec.storage_class_name,
            "claim": f"{ref.namespace}/{ref.name}" if ref else "", "node": _pv_node(pv),
            "capacity": pv.spec.capacity.get("storage", ""), "accessModes": list(pv.spec.access_modes),
            "reclaim": pv.spec.persistent_volume_reclaim_policy}


def attachment_view(va: Message) -> dict:
    return {**_meta(va), "volume": va.spec.source.persistent_volume_name, "node": va.spec.node_name,
            "attacher": va.spec.attacher, "attached": va.status.attached}


def class_view(sc: Message) -> dict:
    default = sc.metadata.annotations.get("storageclass.kubernetes.io/is-default-class") == "true"
    return {**_meta(sc), "provisioner": sc.provisioner, "default": default,
            "bindingMode": sc.volume_binding_mode if sc.HasField("volume_binding_mode") else "Immediate"}


def _replicas(spec: Message) -> int:
    return spec.replicas if spec.HasField("replicas") else 1


def workload_view(obj: Message) -> dict:
    return {**_meta(obj), "replicas": _replicas(obj.spec), "ready": obj.status.ready_replicas,
            "owner": _owner(obj)}


def service_view(svc: Message) -> dict:
    return {**_meta(svc), "type": svc.spec.type or "ClusterIP", "clusterIP": svc.spec.cluster_ip,
            "selector": dict(svc.spec.selector)}


def slice_view(eps: Message) -> dict:
    ready = sum(1 for e in eps.endpoints if not e.conditions.HasField("ready") or e.conditions.ready)
    return {**_meta(eps), "service": eps.metadata.labels.get("kubernetes.io/service-name", ""),
            "endpoints": len(eps.endpoints), "ready": ready}


def _event_time(ev: Message) -> float:
    for obj, field in ((ev, "last_timestamp"), (ev.series, "last_observed_time"), (ev, "event_time"),
                       (ev, "first_timestamp"), (ev.metadata, "creation_timestamp")):
        if obj.HasField(field):
            return getattr(obj, field).ToMilliseconds() / 1000
    return 0.0


def event_view(ev: Message) -> dict:
    ref = ev.involved_object
    count = ev.series.count if ev.HasField("series") else (ev.count or 1)
    return {**_meta(ev), "type": ev.type, "reason": ev.reason, "message": ev.message.strip(), "count": count,
            "time": _event_time(ev), "source": ev.source.component or ev.reporting_component,
            "object": {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name, "uid": ref.uid}}


def lease_view(lease: Message) -> dict:
    return {**_meta(lease), "holder": lease.spec.holder_identity, "renewed": _ts(lease.spec, "renew_time"),
            "duration": lease.spec.lease_duration_seconds}


VIEWS = {
    "Node": node_view, "PersistentVolumeClaim": pvc_view, "PersistentVolume": pv_view,
    "VolumeAttachment": attachment_view, "StorageClass": class_view, "StatefulSet": workload_view,
    "Deployment": workload_view, "ReplicaSet": workload_view, "Service": service_view,
    "EndpointSlice": slice_view, "Event": event_view, "Lease": lease_view,
}
"""The view of each watched kind but Pod (whose view also reads its events: pod_view)."""


def view_of(kind: str, obj: Message) -> dict:
    return VIEWS[kind](obj)
