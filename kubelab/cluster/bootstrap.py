"""What a new cluster gets on its first `kubelab up`: the default StorageClasses.

The API server creates the namespaces `default` and `kube-system` itself. The classes are those of the
design (docs: "Storage emulation"):

| name | provisioner | volumeBindingMode |
|---|---|---|
| `standard` (the default class) | `kubelab.io/local-path` | WaitForFirstConsumer |
| `network-disk` | `kubelab.io/network-disk` | Immediate |
| `shared` | `kubelab.io/shared` | Immediate |
"""

from __future__ import annotations

import logging

from kubelab.api.v1 import meta_pb2, storage_pb2

__all__ = ["DEFAULT_CLASS_ANNOTATION", "bootstrap_cluster", "default_storage_classes"]

log = logging.getLogger(__name__)

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


def default_storage_classes() -> list[storage_pb2.StorageClass]:
    """The three built-in classes, as manifests would declare them."""

    def sc(name: str, provisioner: str, mode: str, default: bool = False) -> storage_pb2.StorageClass:
        annotations = {DEFAULT_CLASS_ANNOTATION: "true"} if default else {}
        return storage_pb2.StorageClass(
            api_version="storage.k8s.io/v1",
            kind="StorageClass",
            metadata=meta_pb2.ObjectMeta(name=name, annotations=annotations),
            provisioner=provisioner,
            reclaim_policy="Delete",
            volume_binding_mode=mode,
        )

    return [
        sc("standard", "kubelab.io/local-path", "WaitForFirstConsumer", default=True),
        sc("network-disk", "kubelab.io/network-disk", "Immediate"),
        sc("shared", "kubelab.io/shared", "Immediate"),
    ]


def bootstrap_cluster(apiserver_addr: str) -> bool:
    """Create the default StorageClasses through the API server at apiserver_addr (idempotent).

    True once done. Until `kubelab.client` exists this only reports that it skipped, and `kubelab up`
    tries again on its next run (cluster.json keeps `"bootstrapped": false`).
    """
    log.info("event=bootstrap-skipped apiserver=%s reason=%r", apiserver_addr, "kubelab.client not written yet")
    return False
