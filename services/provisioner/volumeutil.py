"""Pure helpers about claims, volumes, classes and pods (component-helpers `storage/volume`).

Annotation names, how a claim's class is read, access-mode sets, sizes, the default class, which
pods use which claim. No I/O; every controller of the provisioner builds on these.
"""
from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.quantity import QuantityError, parse_quantity

# Annotations (kubernetes/component-helpers storage/volume/pv_helpers.go).
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
ANN_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
ANN_BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"

PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"
HOSTNAME_LABEL = "kubernetes.io/hostname"

RWO, ROX, RWX, RWOP = "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"
IMMEDIATE, WAIT_FOR_FIRST_CONSUMER = "Immediate", "WaitForFirstConsumer"
_SHORT_MODES = ((RWO, "RWO"), (ROX, "ROX"), (RWX, "RWX"), (RWOP, "RWOP"))


def claim_key(claim: core_pb2.PersistentVolumeClaim) -> str:
    return f"{claim.metadata.namespace}/{claim.metadata.name}"


def claimref_key(ref: core_pb2.ObjectReference) -> str:
    return f"{ref.namespace}/{ref.name}"


def claim_reference(claim: core_pb2.PersistentVolumeClaim) -> core_pb2.ObjectReference:
    """What `reference.GetReference` makes of a claim: the PV's spec.claimRef."""
    m = claim.metadata
    return core_pb2.ObjectReference(kind="PersistentVolumeClaim", api_version="v1", namespace=m.namespace,
                                    name=m.name, uid=m.uid, resource_version=m.resource_version)


def claim_has_class(claim: core_pb2.PersistentVolumeClaim) -> bool:
    """PersistentVolumeClaimHasClass: the beta annotation or spec.storageClassName set (even to "")."""
    return ANN_BETA_STORAGE_CLASS in claim.metadata.annotations or claim.spec.HasField("storage_class_name")


def claim_class(claim: core_pb2.PersistentVolumeClaim) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation first, then spec.storageClassName."""
    beta = claim.metadata.annotations.get(ANN_BETA_STORAGE_CLASS)
    if beta is not None:
        return beta
    return claim.spec.storage_class_name if claim.spec.HasField("storage_class_name") else ""


def volume_class(volume: core_pb2.PersistentVolume) -> str:
    beta = volume.metadata.annotations.get(ANN_BETA_STORAGE_CLASS)
    return beta if beta is not None else volume.spec.storage_class_name


def claim_vac(claim: core_pb2.PersistentVolumeClaim) -> str:
    return claim.spec.volume_attributes_class_name if claim.spec.HasField("volume_attributes_class_name") else ""


def volume_vac(volume: core_pb2.PersistentVolume) -> str:
    return volume.spec.volume_attributes_class_name if volume.spec.HasField("volume_attributes_class_name") else ""


def access_modes_key(modes: Iterable[str]) -> str:
    """GetAccessModesAsString: `RWO,ROX`, duplicates removed, in Kubernetes' fixed order."""
    present = set(modes)
    return ",".join(short for mode, short in _SHORT_MODES if mode in present)


def contains_all(have: Iterable[str], want: Iterable[str]) -> bool:
    have = set(have)
    return all(m in have for m in want)


def check_access_modes(claim: core_pb2.PersistentVolumeClaim, volume: core_pb2.PersistentVolume) -> bool:
    """Every mode the claim asks for is one the volume offers."""
    return contains_all(volume.spec.access_modes, claim.spec.access_modes)


def volume_mode_mismatch(claim: core_pb2.PersistentVolumeClaim, volume: core_pb2.PersistentVolume) -> bool:
    """CheckVolumeModeMismatches; an unset mode means Filesystem on both sides."""
    claim_mode = claim.spec.volume_mode if claim.spec.HasField("volume_mode") else "Filesystem"
    volume_mode = volume.spec.volume_mode if volume.spec.HasField("volume_mode") else "Filesystem"
    return claim_mode != volume_mode


def _quantity(text: str) -> Fraction:
    try:
        return parse_quantity(text)
    except QuantityError:
        return Fraction(0)


def requested_size(claim: core_pb2.PersistentVolumeClaim) -> Fraction:
    return _quantity(claim.spec.resources.requests.get("storage", "0"))


def volume_size(volume: core_pb2.PersistentVolume) -> Fraction:
    return _quantity(volume.spec.capacity.get("storage", "0"))


def is_volume_bound_to_claim(volume: core_pb2.PersistentVolume, claim: core_pb2.PersistentVolumeClaim) -> bool:
    """The claimRef names the claim, and its uid (when set) is the claim's."""
    if not volume.spec.HasField("claim_ref"):
        return False
    ref = volume.spec.claim_ref
    if ref.name != claim.metadata.name or ref.namespace != claim.metadata.namespace:
        return False
    return not ref.uid or ref.uid == claim.metadata.uid


def is_default_class(sc: storage_pb2.StorageClass) -> bool:
    ann = sc.metadata.annotations
    return ann.get(ANN_DEFAULT_CLASS) == "true" or ann.get(ANN_BETA_DEFAULT_CLASS) == "true"


def default_class(classes: Iterable[storage_pb2.StorageClass]) -> storage_pb2.StorageClass | None:
    """GetDefaultClass: among the default classes the newest wins, ties by ascending name."""
    defaults = [sc for sc in classes if is_default_class(sc)]
    if not defaults:
        return None
    defaults.sort(key=lambda sc: (-sc.metadata.creation_timestamp.ToNanoseconds(), sc.metadata.name))
    return defaults[0]


def binding_mode(sc: storage_pb2.StorageClass) -> str | None:
    return sc.volume_binding_mode if sc.HasField("volume_binding_mode") else None


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
