"""The protection finalizers' decisions (k/k `pvcprotection`, `pvprotection`).

`kubernetes.io/pvc-protection` keeps a deleted claim (Terminating) while a scheduled pod uses it;
`kubernetes.io/pv-protection` keeps a deleted volume while it is Bound. Kubernetes adds both at
creation in an admission plugin; kubelab's API server has none, so these controllers add them to every
claim and volume that lacks them and is not being deleted (the controllers' `NeedToAddFinalizer` path).
"""
from __future__ import annotations

from collections.abc import Iterable

from kubelab.api.v1 import core_pb2
from kubelab.storage.volume import PV_PROTECTION, PVC_PROTECTION

from services.provisioner.volumeutil import is_being_deleted

__all__ = ["ADD", "REMOVE", "claim_finalizer_action", "volume_finalizer_action", "pod_uses_claim",
           "pod_is_shut_down"]

ADD, REMOVE = "add", "remove"


def pod_is_shut_down(pod: core_pb2.Pod) -> bool:
    """Done on its node or force-deleted: deleted with a grace period of zero."""
    meta = pod.metadata
    return (meta.HasField("deletion_timestamp") and meta.HasField("deletion_grace_period_seconds")
            and meta.deletion_grace_period_seconds == 0)


def _ephemeral_for_pod(claim: core_pb2.PersistentVolumeClaim, pod: core_pb2.Pod) -> bool:
    return any(ref.controller and ref.uid == pod.metadata.uid for ref in claim.metadata.owner_references)


def pod_uses_claim(pod: core_pb2.Pod, claim: core_pb2.PersistentVolumeClaim) -> bool:
    """`podUsesPVC`: only scheduled pods count; the kubelet will not start a pod on a deleted claim."""
    if not pod.spec.node_name or pod.metadata.namespace != claim.metadata.namespace:
        return False
    for vol in pod.spec.volumes:
        if vol.HasField("persistent_volume_claim") and vol.persistent_volume_claim.claim_name == claim.metadata.name:
            return True
        if (vol.HasField("ephemeral") and f"{pod.metadata.name}-{vol.name}" == claim.metadata.name
                and not pod_is_shut_down(pod) and _ephemeral_for_pod(claim, pod)):
            return True
    return False


def claim_finalizer_action(claim: core_pb2.PersistentVolumeClaim, pods: Iterable[core_pb2.Pod]) -> str | None:
    has = PVC_PROTECTION in claim.metadata.finalizers
    if not is_being_deleted(claim):
        return None if has else ADD
    if has and not any(pod_uses_claim(p, claim) for p in pods):
        return REMOVE
    return None


def volume_finalizer_action(volume: core_pb2.PersistentVolume) -> str | None:
    has = PV_PROTECTION in volume.metadata.finalizers
    if not is_being_deleted(volume):
        return None if has else ADD
    if has and volume.status.phase != "Bound":
        return REMOVE
    return None
