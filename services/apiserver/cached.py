"""What the watch cache keeps per object: ready-to-send bytes plus what filters need."""
from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.api.v1 import apiserver_pb2

# Field selectors each kind supports beyond metadata.name and metadata.namespace,
# with how to read them (as Kubernetes' per-kind GetAttrs do).
_FIELDS = {
    "Pod": {"spec.nodeName": lambda o: o.spec.node_name, "status.phase": lambda o: o.status.phase,
            "spec.schedulerName": lambda o: o.spec.scheduler_name,
            "spec.restartPolicy": lambda o: o.spec.restart_policy},
    "Node": {"spec.unschedulable": lambda o: "true" if o.spec.unschedulable else "false"},
    "Event": {"involvedObject.kind": lambda o: o.involved_object.kind,
              "involvedObject.name": lambda o: o.involved_object.name,
              "involvedObject.namespace": lambda o: o.involved_object.namespace,
              "involvedObject.uid": lambda o: o.involved_object.uid,
              "reason": lambda o: o.reason, "type": lambda o: o.type,
              "source": lambda o: o.source.component},
    "PersistentVolumeClaim": {"status.phase": lambda o: o.status.phase},
    "PersistentVolume": {"status.phase": lambda o: o.status.phase},
    "Namespace": {"status.phase": lambda o: o.status.phase},
}


def supported_fields(kind: str) -> list[str]:
    return ["metadata.name", "metadata.namespace", *_FIELDS.get(kind, {})]


@dataclass(frozen=True)
class Cached:
    """One object at one revision, immutable, shared by the cache and every watcher."""
    kind: str
    rev: int
    namespace: str
    name: str
    labels: dict[str, str]
    fields: dict[str, str]
    wrapped: bytes = field(repr=False)  # an apiserver_pb2.Object, resourceVersion set

    def message(self) -> Message:
        return registry.unwrap(apiserver_pb2.Object.FromString(self.wrapped))


def new_cached(kind: str, data: bytes, rev: int) -> Cached:
    """Parse stored bytes once, stamp the revision, and keep the wire form."""
    info = registry.by_kind(kind)
    obj = apiserver_pb2.Object()
    msg = getattr(obj, info.oneof_field)  # parsed in place: no copy into the wrapper
    msg.MergeFromString(data)
    msg.metadata.resource_version = str(rev)
    msg.api_version, msg.kind = info.api_version, info.kind
    fields = {"metadata.name": msg.metadata.name, "metadata.namespace": msg.metadata.namespace}
    for path, read in _FIELDS.get(kind, {}).items():
        fields[path] = read(msg)
    return Cached(kind, rev, msg.metadata.namespace, msg.metadata.name, dict(msg.metadata.labels), fields,
                  obj.SerializeToString())
