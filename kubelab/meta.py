"""Object metadata helpers every controller needs (apimachinery `meta/v1` GetControllerOf,
NewControllerRef, IsControlledBy; `DeepCopy`; resourceVersion as a number). Pure.

resourceVersions are opaque strings to clients; kubelab's API server writes decimal integers, and a
process that waits for its cache to catch up with its own writes compares them as numbers.
"""
from __future__ import annotations

from typing import TypeVar

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.api.v1 import meta_pb2

__all__ = ["copy_of", "parse_resource_version", "resource_version_of", "controller_of", "is_controlled_by",
           "new_controller_ref", "is_terminating"]

M = TypeVar("M", bound=Message)


def copy_of(obj: M) -> M:
    """DeepCopy: a new message equal to `obj`; change it, never what a cache handed out."""
    out = type(obj)()
    out.CopyFrom(obj)
    return out


def parse_resource_version(text: str, default: int | None = -1) -> int | None:
    """A resourceVersion as a number; `default` when it is empty or not one."""
    try:
        return int(text)
    except ValueError:
        return default


def resource_version_of(obj: Message, default: int | None = -1) -> int | None:
    """The object's metadata.resourceVersion as a number; `default` when it has none."""
    return parse_resource_version(obj.metadata.resource_version, default)


def controller_of(obj: Message) -> meta_pb2.OwnerReference | None:
    """GetControllerOf: the ownerReference with controller=true, or None."""
    return next((r for r in obj.metadata.owner_references if r.controller), None)


def is_controlled_by(obj: Message, owner_uid: str) -> bool:
    """IsControlledBy: the object's controller is the owner with this uid."""
    ref = controller_of(obj)
    return ref is not None and ref.uid == owner_uid


def new_controller_ref(owner: Message) -> meta_pb2.OwnerReference:
    """NewControllerRef: a reference to `owner` with controller and blockOwnerDeletion both true."""
    info = registry.kind_of(owner)
    return meta_pb2.OwnerReference(api_version=info.api_version, kind=info.kind, name=owner.metadata.name,
                                   uid=owner.metadata.uid, controller=True, block_owner_deletion=True)


def is_terminating(obj: Message) -> bool:
    """Being deleted: metadata.deletionTimestamp is set (graceful deletion or finalizers pending)."""
    return obj.metadata.HasField("deletion_timestamp")
