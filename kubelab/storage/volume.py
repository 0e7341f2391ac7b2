"""Claims, volumes and classes: the rules the scheduler and the PV controller both read
(component-helpers `storage/volume/pv_helpers.go`, `helpers.go`; k/k `pkg/volume/util`).

The storage annotations, which class a claim or volume is in, whether a class delays binding, whether
a claim is bound or a volume bound to it, whether a volume's node affinity admits a node, and sizes.
Sizes are exact (`Fraction`, as `Quantity.Cmp` compares): `1.5` bytes is less than `2`. Pure.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.nodeaffinity import CompiledSelector, compile_node_selector
from kubelab.quantity import QuantityError, parse_quantity

__all__ = [
    "ANN_BIND_COMPLETED", "ANN_BOUND_BY_CONTROLLER", "ANN_SELECTED_NODE", "ANN_DYNAMICALLY_PROVISIONED",
    "ANN_STORAGE_PROVISIONER", "ANN_BETA_STORAGE_PROVISIONER", "ANN_BETA_STORAGE_CLASS", "ANN_DEFAULT_CLASS",
    "ANN_BETA_DEFAULT_CLASS", "NOT_SUPPORTED_PROVISIONER", "PVC_PROTECTION", "PV_PROTECTION",
    "RWO", "ROX", "RWX", "RWOP", "IMMEDIATE", "WAIT_FOR_FIRST_CONSUMER",
    "claim_has_class", "claim_class", "volume_class", "claim_vac", "volume_vac", "binding_mode",
    "is_delay_binding", "is_default_class", "default_class", "access_modes_key", "modes_of_key", "contains_all",
    "check_access_modes", "claim_volume_mode", "volume_volume_mode", "volume_mode_mismatch", "requested_size",
    "volume_size", "is_volume_bound_to_claim", "is_claim_bound", "volume_node_affinity", "check_node_affinity",
]

# Annotations (pv_helpers.go).
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
ANN_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
ANN_BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
NOT_SUPPORTED_PROVISIONER = "kubernetes.io/no-provisioner"
"""A class with this provisioner cannot provision: only its pre-made volumes bind."""

# Finalizers of the protection controllers.
PVC_PROTECTION = "kubernetes.io/pvc-protection"
PV_PROTECTION = "kubernetes.io/pv-protection"

RWO, ROX, RWX, RWOP = "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"
IMMEDIATE, WAIT_FOR_FIRST_CONSUMER = "Immediate", "WaitForFirstConsumer"
_SHORT_MODES = ((RWO, "RWO"), (ROX, "ROX"), (RWX, "RWX"), (RWOP, "RWOP"))
_LONG_MODES = {short: mode for mode, short in _SHORT_MODES}


# --- classes -------------------------------------------------------------------------------------------

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
    """GetPersistentVolumeClass: the beta annotation first, then spec.storageClassName."""
    beta = volume.metadata.annotations.get(ANN_BETA_STORAGE_CLASS)
    return beta if beta is not None else volume.spec.storage_class_name


def claim_vac(claim: core_pb2.PersistentVolumeClaim) -> str:
    """The claim's volumeAttributesClassName, "" when unset."""
    return claim.spec.volume_attributes_class_name if claim.spec.HasField("volume_attributes_class_name") else ""


def volume_vac(volume: core_pb2.PersistentVolume) -> str:
    """The volume's volumeAttributesClassName, "" when unset."""
    return volume.spec.volume_attributes_class_name if volume.spec.HasField("volume_attributes_class_name") else ""


def binding_mode(sc: storage_pb2.StorageClass) -> str | None:
    """The class's volumeBindingMode, None when unset."""
    return sc.volume_binding_mode if sc.HasField("volume_binding_mode") else None


def is_delay_binding(sc: storage_pb2.StorageClass | None) -> bool:
    """IsDelayBindingMode: WaitForFirstConsumer; a claim whose class does not exist binds as Immediate."""
    return sc is not None and sc.volume_binding_mode == WAIT_FOR_FIRST_CONSUMER


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


# --- access modes and volume modes ---------------------------------------------------------------------

def access_modes_key(modes: Iterable[str]) -> str:
    """GetAccessModesAsString: `RWO,ROX`, duplicates removed, in Kubernetes' fixed order."""
    present = set(modes)
    return ",".join(short for mode, short in _SHORT_MODES if mode in present)


def modes_of_key(key: str) -> list[str]:
    """The access modes an `access_modes_key` names."""
    return [_LONG_MODES[s] for s in key.split(",") if s]


def contains_all(have: Iterable[str], want: Iterable[str]) -> bool:
    have = set(have)
    return all(m in have for m in want)


def check_access_modes(claim: core_pb2.PersistentVolumeClaim, volume: core_pb2.PersistentVolume) -> bool:
    """CheckAccessModes: every mode the claim asks for is one the volume offers."""
    return contains_all(volume.spec.access_modes, claim.spec.access_modes)


def claim_volume_mode(claim: core_pb2.PersistentVolumeClaim) -> str:
    """The claim's volumeMode; unset means Filesystem."""
    return claim.spec.volume_mode if claim.spec.HasField("volume_mode") else "Filesystem"


def volume_volume_mode(volume: core_pb2.PersistentVolume) -> str:
    """The volume's volumeMode; unset means Filesystem."""
    return volume.spec.volume_mode if volume.spec.HasField("volume_mode") else "Filesystem"


def volume_mode_mismatch(claim: core_pb2.PersistentVolumeClaim, volume: core_pb2.PersistentVolume) -> bool:
    """CheckVolumeModeMismatches; an unset mode means Filesystem on both sides."""
    return claim_volume_mode(claim) != volume_volume_mode(volume)


# --- sizes ---------------------------------------------------------------------------------------------

def _quantity(text: str) -> Fraction:
    try:
        return parse_quantity(text)
    except QuantityError:
        return Fraction(0)  # validation rejects such objects; one that slipped by asks for (or offers) nothing


def requested_size(claim: core_pb2.PersistentVolumeClaim) -> Fraction:
    """spec.resources.requests.storage, exact; 0 when absent or unparsable."""
    return _quantity(claim.spec.resources.requests.get("storage", "0"))


def volume_size(volume: core_pb2.PersistentVolume) -> Fraction:
    """spec.capacity.storage, exact; 0 when absent or unparsable."""
    return _quantity(volume.spec.capacity.get("storage", "0"))


# --- binding -------------------------------------------------------------------------------------------

def is_volume_bound_to_claim(volume: core_pb2.PersistentVolume, claim: core_pb2.PersistentVolumeClaim) -> bool:
    """IsVolumeBoundToClaim: the claimRef names the claim, and its uid (when set) is the claim's."""
    if not volume.spec.HasField("claim_ref"):
        return False
    ref = volume.spec.claim_ref
    if ref.name != claim.metadata.name or ref.namespace != claim.metadata.namespace:
        return False
    return not ref.uid or ref.uid == claim.metadata.uid


def is_claim_bound(claim: core_pb2.PersistentVolumeClaim) -> bool:
    """Fully bound (the scheduler's view): the claim names its volume and the binder finished
    (bind-completed, or phase Bound)."""
    return bool(claim.spec.volume_name) and (ANN_BIND_COMPLETED in claim.metadata.annotations
                                             or claim.status.phase == "Bound")


# --- node affinity -------------------------------------------------------------------------------------

def volume_node_affinity(volume: core_pb2.PersistentVolume) -> CompiledSelector | None:
    """The volume's required node affinity compiled for matching, None when it has none (any node)."""
    if not volume.spec.HasField("node_affinity") or not volume.spec.node_affinity.HasField("required"):
        return None
    return compile_node_selector(volume.spec.node_affinity.required)


def check_node_affinity(volume: core_pb2.PersistentVolume, labels: Mapping[str, str], node_name: str) -> bool:
    """CheckNodeAffinity: the volume's required node affinity (if any) admits the node."""
    affinity = volume_node_affinity(volume)
    return affinity is None or affinity.matches(labels, node_name)
