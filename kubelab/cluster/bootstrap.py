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

import asyncio
import logging

from kubelab.api.v1 import meta_pb2, storage_pb2
from kubelab.client import ApiError, Client
from kubelab.errors import is_already_exists

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


def bootstrap_cluster(apiserver_addr: str, timeout: float = 30.0) -> bool:
    """Create the default StorageClasses through the API server at apiserver_addr; True once done.

    Idempotent: a class that exists already (created before, or changed by the user) is left as it is.
    Raises ApiError if the API server refuses one, or stays unavailable for `timeout` seconds.
    """
    return asyncio.run(_create_defaults(apiserver_addr, timeout))


async def _create_defaults(apiserver_addr: str, timeout: float) -> bool:
    async with Client(apiserver_addr, retry_deadline=timeout) as client:
        for sc in default_storage_classes():
            try:
                await client.create(sc)
                log.info("event=created kind=StorageClass name=%s", sc.metadata.name)
            except ApiError as e:
                if not is_already_exists(e):
                    raise
    return True
