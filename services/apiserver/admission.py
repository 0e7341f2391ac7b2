"""Admission: what Kubernetes' default admission plugins add to an object on create.

- DefaultStorageClass: a claim that names no class gets the default one (annotation
  ``storageclass.kubernetes.io/is-default-class: "true"``; the newest wins when several are marked).

StorageObjectInUseProtection is not here: the protection finalizers are added by the storage
controllers (services/provisioner), as Kubernetes' pvc-protection controller does for claims that
lack them, so a cluster without storage controllers never holds claims it cannot release.
- DefaultTolerationSeconds: pods tolerate ``node.kubernetes.io/not-ready`` and ``unreachable``
  (NoExecute) for 300 s unless they say otherwise.
"""
from __future__ import annotations

from google.protobuf.message import Message

from kubelab.api import registry

DEFAULT_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                             "storageclass.beta.kubernetes.io/is-default-class")
DEFAULT_TOLERATION_SECONDS = 300
NODE_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def default_storage_class(classes: list[Message]) -> str | None:
    marked = [c for c in classes
              if any(c.metadata.annotations.get(a) == "true" for a in DEFAULT_CLASS_ANNOTATIONS)]
    if not marked:
        return None
    marked.sort(key=lambda c: (c.metadata.creation_timestamp.seconds, c.metadata.name))
    return marked[-1].metadata.name


def admit_create(msg: Message, storage_classes) -> None:
    """Mutate a new object as the default admission chain would; storage_classes() lists them."""
    kind = registry.kind_of(msg).kind
    if kind == "PersistentVolumeClaim":
        if not msg.spec.HasField("storage_class_name"):
            name = default_storage_class(storage_classes())
            if name is not None:
                msg.spec.storage_class_name = name
    elif kind == "Pod":
        _add_default_tolerations(msg)


def _add_default_tolerations(pod: Message) -> None:
    for key in NODE_TAINTS:
        if any((t.key == key or (not t.key and t.operator == "Exists")) and t.effect in ("", "NoExecute")
               for t in pod.spec.tolerations):
            continue
        pod.spec.tolerations.add(key=key, operator="Exists", effect="NoExecute",
                                 toleration_seconds=DEFAULT_TOLERATION_SECONDS)
