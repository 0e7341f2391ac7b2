"""Informer indexes the provisioner's controllers share (one shared informer per kind per process)."""
from __future__ import annotations

from kubelab.informer import InformerFactory
from kubelab.storage.volume import volume_class

from services.provisioner.volumeutil import claimref_key, pod_claim_keys

__all__ = ["CLAIM", "VOLUME", "CLAIM_REF", "UNCLAIMED", "SOURCE", "ATTACHED_NODE", "add_indexes"]

CLAIM = "claim"
"""Pods by the `namespace/name` of each claim they use."""
VOLUME = "volume"
"""Claims by spec.volumeName."""
CLAIM_REF = "claimref"
"""Volumes by the `namespace/name` of their claimRef."""
UNCLAIMED = "unclaimed"
"""Volumes without a claimRef, by their class (`""` for none): with CLAIM_REF, every volume a claim can be
matched with (a volume whose claimRef names another claim never is). Bound volumes stay out of it, so a
claim's sync does not grow with the volumes already bound in its class."""
SOURCE = "source"
"""VolumeAttachments by spec.source.persistentVolumeName."""
ATTACHED_NODE = "attachednode"
"""VolumeAttachments by spec.nodeName."""


def add_indexes(factory: InformerFactory) -> None:
    factory.informer("Pod").add_indexer(CLAIM, pod_claim_keys)
    factory.informer("PersistentVolumeClaim").add_indexer(
        VOLUME, lambda c: [c.spec.volume_name] if c.spec.volume_name else [])
    factory.informer("PersistentVolume").add_indexer(
        CLAIM_REF, lambda v: [claimref_key(v.spec.claim_ref)] if v.spec.HasField("claim_ref") else [])
    factory.informer("PersistentVolume").add_indexer(
        UNCLAIMED, lambda v: [] if v.spec.HasField("claim_ref") else [volume_class(v)])
    factory.informer("VolumeAttachment").add_indexer(
        SOURCE, lambda va: [va.spec.source.persistent_volume_name] if va.spec.source.persistent_volume_name else [])
    factory.informer("VolumeAttachment").add_indexer(
        ATTACHED_NODE, lambda va: [va.spec.node_name] if va.spec.node_name else [])
