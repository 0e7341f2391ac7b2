"""The kind registry: every kind the API serves, with how Kubernetes names it and its protobuf message.

One row per kind ties the protobuf message to its apiVersion, REST plural, short names, scope and the
field of the ``Object`` oneof that carries it: kubelab.api.kinds' rows (names only, no protobuf), each with
its message class from the generated module of its group.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from google.protobuf.message import Message

from kubelab.api import kinds
from kubelab.api.kinds import UnknownKind
from kubelab.api.v1 import apiserver_pb2, apps_pb2, coordination_pb2, core_pb2, discovery_pb2, storage_pb2

__all__ = ["KindInfo", "KINDS", "lookup", "by_kind", "kind_of", "wrap", "unwrap", "info_of_wrapped", "UnknownKind"]


@dataclass(frozen=True)
class KindInfo(kinds.Kind):
    """A kind's row (kubelab.api.kinds) with its protobuf message."""
    message: type[Message] = field(default=None, kw_only=True)


_MODULES = {"": core_pb2, "apps": apps_pb2, "storage.k8s.io": storage_pb2, "discovery.k8s.io": discovery_pb2,
            "coordination.k8s.io": coordination_pb2}

KINDS: tuple[KindInfo, ...] = tuple(
    KindInfo(**{f.name: getattr(k, f.name) for f in fields(kinds.Kind)}, message=getattr(_MODULES[k.group], k.kind))
    for k in kinds.KINDS)

_BY_KIND = {k.kind: k for k in KINDS}
_BY_FIELD = {k.oneof_field: k for k in KINDS}
_BY_MESSAGE = {k.message: k for k in KINDS}


def by_kind(kind: str) -> KindInfo:
    """The row for an exact Kind ("Pod"); raises UnknownKind."""
    return _BY_KIND[kinds.by_kind(kind).kind]


def lookup(name: str) -> KindInfo:
    """Resolve what a user types (``pods``, ``po``, ``Pod``, ``deployments.apps``)."""
    return _BY_KIND[kinds.lookup(name).kind]


def kind_of(msg: Message) -> KindInfo:
    """The row for a kind's message instance."""
    try:
        return _BY_MESSAGE[type(msg)]
    except KeyError:
        raise UnknownKind(type(msg).__name__) from None


def wrap(msg: Message) -> apiserver_pb2.Object:
    """Put an object into the Object oneof."""
    obj = apiserver_pb2.Object()
    getattr(obj, kind_of(msg).oneof_field).CopyFrom(msg)
    return obj


def unwrap(obj: apiserver_pb2.Object) -> Message:
    """The object inside the oneof; raises UnknownKind if the wrapper is empty."""
    which = obj.WhichOneof("object")
    if which is None:
        raise UnknownKind("empty object")
    return getattr(obj, which)


def info_of_wrapped(obj: apiserver_pb2.Object) -> KindInfo:
    which = obj.WhichOneof("object")
    if which is None:
        raise UnknownKind("empty object")
    return _BY_FIELD[which]
