"""Pure storage rules the volume plugins share (component-helpers `storage/volume`, pv_helpers.go):
which class a claim or volume is in, whether a class delays binding, whether a claim is bound, and
which Available volume best fits a claim on a node.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.labels import SelectorError, selector_matches
from kubelab.quantity import QuantityError, to_bytes
from services.scheduler.nodeselector import CompiledSelector, compile_node_selector

__all__ = ["claim_class", "volume_class", "is_delay_binding", "is_claim_bound", "is_volume_bound_to_claim",
           "volume_fits_node", "find_matching_volume", "storage_request", "ANN_SELECTED_NODE",
           "ANN_BIND_COMPLETED", "ANN_BOUND_BY_CONTROLLER", "NO_PROVISIONER", "ClaimSpec",
           "VolumeSpec", "claim_spec", "volume_spec"]

ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"
NO_PROVISIONER = "kubernetes.io/no-provisioner"


def claim_class(pvc: core_pb2.PersistentVolumeClaim) -> str:
    if ANN_BETA_CLASS in pvc.metadata.annotations:
        return pvc.metadata.annotations[ANN_BETA_CLASS]
    return pvc.spec.storage_class_name if pvc.spec.HasField("storage_class_name") else ""


def volume_class(pv: core_pb2.PersistentVolume) -> str:
    if ANN_BETA_CLASS in pv.metadata.annotations:
        return pv.metadata.annotations[ANN_BETA_CLASS]
    return pv.spec.storage_class_name


def is_delay_binding(sc: storage_pb2.StorageClass | None) -> bool:
    """WaitForFirstConsumer; a claim whose class does not exist binds as Immediate."""
    return sc is not None and sc.volume_binding_mode == "WaitForFirstConsumer"


def is_claim_bound(pvc: core_pb2.PersistentVolumeClaim) -> bool:
    """Fully bound: the claim names its volume and the binder finished (bind-completed, or phase Bound)."""
    return bool(pvc.spec.volume_name) and (ANN_BIND_COMPLETED in pvc.metadata.annotations
                                           or pvc.status.phase == "Bound")


def is_volume_bound_to_claim(pv: core_pb2.PersistentVolume, pvc: core_pb2.PersistentVolumeClaim) -> bool:
    ref = pv.spec.claim_ref
    if not pv.spec.HasField("claim_ref") or ref.name != pvc.metadata.name:
        return False
    if ref.namespace != pvc.metadata.namespace:
        return False
    return not ref.uid or ref.uid == pvc.metadata.uid


def volume_fits_node(pv: core_pb2.PersistentVolume, labels: Mapping[str, str], node_name: str) -> bool:
    """The PV's required node affinity (if any) admits the node."""
    if not pv.spec.HasField("node_affinity") or not pv.spec.node_affinity.HasField("required"):
        return True
    return compile_node_selector(pv.spec.node_affinity.required).matches(labels, node_name)


def _bytes(q: str) -> int:
    try:
        return to_bytes(q)
    except QuantityError:
        return 0


def storage_request(pvc: core_pb2.PersistentVolumeClaim) -> int:
    req = pvc.spec.resources.requests
    return _bytes(req["storage"]) if "storage" in req else 0


def _capacity(pv: core_pb2.PersistentVolume) -> int:
    cap = pv.spec.capacity
    return _bytes(cap["storage"]) if "storage" in cap else 0


def _volume_mode(mode_holder) -> str:
    return mode_holder.volume_mode if mode_holder.HasField("volume_mode") else "Filesystem"


def _selector_matches(pvc: core_pb2.PersistentVolumeClaim, pv: core_pb2.PersistentVolume) -> bool:
    if not pvc.spec.HasField("selector"):
        return True
    try:
        return selector_matches(pvc.spec.selector, pv.metadata.labels)
    except SelectorError:
        return False


@dataclass(frozen=True)
class ClaimSpec:
    """What matching needs of a claim, parsed once."""
    pvc: core_pb2.PersistentVolumeClaim
    requested: int
    cls: str
    modes: frozenset[str]
    volume_mode: str


@dataclass(frozen=True)
class VolumeSpec:
    """What matching needs of a volume, parsed once."""
    pv: core_pb2.PersistentVolume
    capacity: int
    cls: str
    modes: frozenset[str]
    volume_mode: str
    affinity: CompiledSelector | None


def claim_spec(pvc: core_pb2.PersistentVolumeClaim) -> ClaimSpec:
    return ClaimSpec(pvc, storage_request(pvc), claim_class(pvc), frozenset(pvc.spec.access_modes),
                     _volume_mode(pvc.spec))


def volume_spec(pv: core_pb2.PersistentVolume) -> VolumeSpec:
    affinity = None
    if pv.spec.HasField("node_affinity") and pv.spec.node_affinity.HasField("required"):
        affinity = compile_node_selector(pv.spec.node_affinity.required)
    return VolumeSpec(pv, _capacity(pv), volume_class(pv), frozenset(pv.spec.access_modes), _volume_mode(pv.spec),
                      affinity)


def find_matching_volume(claim: ClaimSpec, volumes: Iterable[VolumeSpec], labels: Mapping[str, str], node_name: str,
                         excluded: set[str] = frozenset()) -> core_pb2.PersistentVolume | None:
    """The scheduler's FindMatchingVolume: a volume pre-bound to the claim (if the node suits it), else
    the smallest Available volume of the same class, big enough, with the claim's volume mode, access
    modes and selector, whose node affinity admits the node."""
    pvc = claim.pvc
    best, best_capacity = None, 0
    for v in volumes:
        pv = v.pv
        if pv.metadata.name in excluded:
            continue
        bound_here = is_volume_bound_to_claim(pv, pvc)
        if pv.spec.HasField("claim_ref") and pv.spec.claim_ref.name and not bound_here:
            continue
        if v.capacity < claim.requested or v.volume_mode != claim.volume_mode or pv.metadata.HasField(
                "deletion_timestamp"):
            continue
        fits_node = v.affinity is None or v.affinity.matches(labels, node_name)
        if bound_here:
            return pv if fits_node else None
        if pv.status.phase != "Available" or not _selector_matches(pvc, pv):
            continue
        if v.cls != claim.cls or not fits_node or not claim.modes <= v.modes:
            continue
        if best is None or v.capacity < best_capacity:
            best, best_capacity = pv, v.capacity
    return best
