"""Per-kind rules the API server applies around validation (Kubernetes' REST strategies).

What a create resets, what an update keeps from the stored object, when generation moves.
"""
from __future__ import annotations

import uuid
from google.protobuf.message import Message

from kubelab.api.registry import KindInfo
from kubelab.api.v1 import core_pb2
from kubelab.meta import copy_of
from kubelab.podutil import qos_class


def now_timestamp(msg_field, now: float) -> None:
    """metav1.Time has second precision."""
    msg_field.seconds, msg_field.nanos = int(now), 0


def merge_string_data(secret: core_pb2.Secret) -> None:
    """Secret.stringData is write-only: merged into data (its keys win), never stored (v1 -> internal conversion)."""
    for key, value in secret.string_data.items():
        secret.data[key] = value.encode()
    secret.ClearField("string_data")


def prepare_for_create(info: KindInfo, msg: Message, now: float) -> None:
    if info.kind == "Secret":
        merge_string_data(msg)
    meta = msg.metadata
    meta.uid = str(uuid.uuid4())
    now_timestamp(meta.creation_timestamp, now)
    meta.generation = 1
    meta.resource_version = ""
    meta.self_link = ""
    meta.ClearField("deletion_timestamp")
    meta.ClearField("deletion_grace_period_seconds")
    if not info.has_status or info.kind == "Node":
        return
    msg.ClearField("status")
    if info.kind == "Pod":
        msg.status.phase = "Pending"
        msg.status.qos_class = qos_class(msg.spec)
    elif info.kind in ("PersistentVolumeClaim", "PersistentVolume"):
        msg.status.phase = "Pending"
    elif info.kind == "Namespace":
        msg.status.phase = "Active"
        if "kubernetes" not in msg.spec.finalizers:  # the namespace controller's, as Kubernetes sets it
            msg.spec.finalizers.append("kubernetes")


def spec_changed(new: Message, old: Message) -> bool:
    fields = [f.name for f in new.DESCRIPTOR.fields if f.name not in ("api_version", "kind", "metadata", "status")]
    return any(getattr(new, f) != getattr(old, f) for f in fields)


def prepare_for_update(info: KindInfo, new: Message, old: Message) -> None:
    """Keep what clients may not set through Update; bump generation on spec changes."""
    if info.kind == "Secret":
        merge_string_data(new)
    meta, prev = new.metadata, old.metadata
    meta.uid = prev.uid
    meta.creation_timestamp.CopyFrom(prev.creation_timestamp)
    meta.generate_name = meta.generate_name or prev.generate_name
    meta.ClearField("deletion_timestamp")
    if prev.HasField("deletion_timestamp"):
        meta.deletion_timestamp.CopyFrom(prev.deletion_timestamp)
    meta.ClearField("deletion_grace_period_seconds")
    if prev.HasField("deletion_grace_period_seconds"):
        meta.deletion_grace_period_seconds = prev.deletion_grace_period_seconds
    meta.generation = prev.generation
    if info.has_status:
        new.ClearField("status")
        if old.HasField("status"):
            new.status.CopyFrom(old.status)
    if info.has_generation and spec_changed(new, old):
        meta.generation = prev.generation + 1


def prepare_for_status_update(new: Message, old: Message) -> Message:
    """Only status changes through UpdateStatus; everything else stays as stored."""
    merged = copy_of(old)
    merged.ClearField("status")
    if new.HasField("status"):
        merged.status.CopyFrom(new.status)
    return merged
