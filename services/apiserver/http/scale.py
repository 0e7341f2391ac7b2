"""The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets and StatefulSets."""
from __future__ import annotations

from google.protobuf.message import Message

from kubelab import manifest
from kubelab.printers import format as fmt

__all__ = ["scale_of", "with_replicas"]


def scale_of(obj: Message) -> dict:
    meta = manifest.to_dict(obj).get("metadata", {})
    keep = ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
    replicas = obj.spec.replicas if obj.spec.HasField("replicas") else 1
    selector = fmt.format_label_selector(obj.spec.selector) if obj.spec.HasField("selector") else ""
    # autoscaling/v1: spec.replicas and status.selector are omitempty, status.replicas is not
    status = {"replicas": obj.status.replicas, **({"selector": selector} if selector else {})}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {k: meta[k] for k in keep if k in meta},
            "spec": {"replicas": replicas} if replicas else {}, "status": status}


def with_replicas(obj: dict, scale: dict) -> dict:
    """The object's JSON form with the replicas (and the resourceVersion precondition) a Scale asks for."""
    out = dict(obj)
    out["spec"] = {**obj.get("spec", {}), "replicas": (scale.get("spec") or {}).get("replicas", 0)}
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv:
        out["metadata"] = {**obj.get("metadata", {}), "resourceVersion": rv}
    return out
