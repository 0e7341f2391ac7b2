"""Pure helpers only the provisioner's controllers need: claim keys and references, reclaim policy,
multi-attach, which pods use which claim (k/k `pkg/controller/volume/persistentvolume/util`,
`pkg/volume/util`). The rules the scheduler reads too (classes, annotations, binding checks, matching)
are in `kubelab.storage`. No I/O.
"""
from __future__ import annotations

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.storage.volume import ROX, RWX

__all__ = ["HOSTNAME_LABEL", "claim_key", "claimref_key", "claim_reference", "reclaim_policy",
           "is_multi_attach_forbidden", "pod_claim_names", "pod_claim_keys", "is_pod_terminated",
           "is_being_deleted"]

HOSTNAME_LABEL = "kubernetes.io/hostname"


def claim_key(claim: core_pb2.PersistentVolumeClaim) -> str:
    return f"{claim.metadata.namespace}/{claim.metadata.name}"


def claimref_key(ref: core_pb2.ObjectReference) -> str:
    return f"{ref.namespace}/{ref.name}"


def claim_reference(claim: core_pb2.PersistentVolumeClaim) -> core_pb2.ObjectReference:
    """What `reference.GetReference` makes of a claim: the PV's spec.claimRef."""
    m = claim.metadata
    return core_pb2.ObjectReference(kind="PersistentVolumeClaim", api_version="v1", namespace=m.namespace,
                                    name=m.name, uid=m.uid, resource_version=m.resource_version)


def reclaim_policy(sc: storage_pb2.StorageClass) -> str:
    return sc.reclaim_policy if sc.HasField("reclaim_policy") else "Delete"


def is_multi_attach_forbidden(volume: core_pb2.PersistentVolume) -> bool:
    """RWO and RWOP volumes attach to one node at a time; RWX or ROX ones to many."""
    modes = set(volume.spec.access_modes)
    return bool(modes) and RWX not in modes and ROX not in modes


def pod_claim_names(pod: core_pb2.Pod) -> list[str]:
    """Names of the claims a pod's volumes use: persistentVolumeClaim ones and generic ephemeral ones."""
    names = []
    for vol in pod.spec.volumes:
        if vol.HasField("persistent_volume_claim") and vol.persistent_volume_claim.claim_name:
            names.append(vol.persistent_volume_claim.claim_name)
        elif vol.HasField("ephemeral"):
            names.append(f"{pod.metadata.name}-{vol.name}")
    return names


def pod_claim_keys(pod: core_pb2.Pod) -> list[str]:
    return [f"{pod.metadata.namespace}/{name}" for name in pod_claim_names(pod)]


def _not_running(statuses) -> bool:
    return all(not s.state.HasField("running") for s in statuses)


def is_pod_terminated(pod: core_pb2.Pod) -> bool:
    """util.IsPodTerminated: finished, or being deleted with no container running any more."""
    if pod.status.phase in ("Succeeded", "Failed"):
        return True
    return (pod.metadata.HasField("deletion_timestamp") and _not_running(pod.status.init_container_statuses)
            and _not_running(pod.status.container_statuses))


def is_being_deleted(obj) -> bool:
    return obj.metadata.HasField("deletion_timestamp")
