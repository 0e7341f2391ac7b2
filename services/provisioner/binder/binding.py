"""The object changes a bind, an unbind and a phase change make, as pure functions.

Each takes the current object (never modified: a copy is returned) and answers `(new, dirty)`, where
`dirty` says whether anything changed and a write is needed (pv_controller `getBindVolumeToClaim`,
`bindClaimToVolume`, `updateClaimStatus`, `updateVolumePhase`, `unbindVolume`).
"""
from __future__ import annotations

from kubelab.api.v1 import core_pb2
from kubelab.meta import copy_of
from kubelab.storage.volume import (
    ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_BETA_STORAGE_PROVISIONER, ANN_STORAGE_PROVISIONER,
    is_volume_bound_to_claim,
)

from services.provisioner.volumeutil import claim_reference

__all__ = ["bind_volume_to_claim", "bind_claim_to_volume", "claim_with_status", "volume_with_phase",
           "unbound_volume", "claim_with_provisioner", "claim_with_class"]


def bind_volume_to_claim(volume: core_pb2.PersistentVolume,
                         claim: core_pb2.PersistentVolumeClaim) -> tuple[core_pb2.PersistentVolume, bool]:
    """claimRef pointing at the claim (with its uid); bound-by-controller unless the user pre-bound it."""
    new, dirty = copy_of(volume), False
    set_by_controller = not is_volume_bound_to_claim(volume, claim)
    ref, m = volume.spec.claim_ref, claim.metadata
    if (not volume.spec.HasField("claim_ref") or ref.name != m.name or ref.namespace != m.namespace
            or ref.uid != m.uid):
        new.spec.claim_ref.CopyFrom(claim_reference(claim))
        dirty = True
    if set_by_controller and ANN_BOUND_BY_CONTROLLER not in new.metadata.annotations:
        new.metadata.annotations[ANN_BOUND_BY_CONTROLLER] = "yes"
        dirty = True
    return new, dirty


def bind_claim_to_volume(claim: core_pb2.PersistentVolumeClaim,
                         volume: core_pb2.PersistentVolume) -> tuple[core_pb2.PersistentVolumeClaim, bool]:
    """spec.volumeName, bound-by-controller (unless the user named the volume) and bind-completed."""
    new, dirty = copy_of(claim), False
    set_by_controller = claim.spec.volume_name != volume.metadata.name
    if new.spec.volume_name != volume.metadata.name:
        new.spec.volume_name = volume.metadata.name
        dirty = True
    ann = new.metadata.annotations
    if set_by_controller and ANN_BOUND_BY_CONTROLLER not in ann:
        ann[ANN_BOUND_BY_CONTROLLER] = "yes"
        dirty = True
    if ANN_BIND_COMPLETED not in ann:
        ann[ANN_BIND_COMPLETED] = "yes"
        dirty = True
    return new, dirty


def claim_with_status(claim: core_pb2.PersistentVolumeClaim, phase: str,
                      volume: core_pb2.PersistentVolume | None) -> tuple[core_pb2.PersistentVolumeClaim, bool]:
    """Phase, and accessModes/capacity copied from the volume (cleared without one)."""
    new, dirty = copy_of(claim), False
    if new.status.phase != phase:
        new.status.phase = phase
        dirty = True
    modes = list(volume.spec.access_modes) if volume is not None else []
    if list(new.status.access_modes) != modes:
        del new.status.access_modes[:]
        new.status.access_modes.extend(modes)
        dirty = True
    capacity = {}
    if volume is not None and "storage" in volume.spec.capacity:
        capacity = {"storage": volume.spec.capacity["storage"]}
    if volume is None and dict(new.status.capacity):
        new.status.capacity.clear()
        dirty = True
    elif volume is not None and new.status.capacity.get("storage") != capacity.get("storage"):
        new.status.capacity.update(capacity)
        dirty = True
    return new, dirty


def volume_with_phase(volume: core_pb2.PersistentVolume, phase: str, message: str,
                      now: float) -> tuple[core_pb2.PersistentVolume, bool]:
    """Phase and message; lastPhaseTransitionTime moves only when the phase does."""
    if volume.status.phase == phase and volume.status.message == message:
        return volume, False
    new = copy_of(volume)
    if new.status.phase != phase:
        new.status.last_phase_transition_time.FromSeconds(int(now))
    new.status.phase = phase
    new.status.message = message
    return new, True


def unbound_volume(volume: core_pb2.PersistentVolume) -> core_pb2.PersistentVolume:
    """A volume the binder bound loses its claimRef; one the user pre-bound keeps it, without the uid."""
    new = copy_of(volume)
    if ANN_BOUND_BY_CONTROLLER in new.metadata.annotations:
        new.spec.ClearField("claim_ref")
        del new.metadata.annotations[ANN_BOUND_BY_CONTROLLER]
    else:
        new.spec.claim_ref.uid = ""
    return new


def claim_with_provisioner(claim: core_pb2.PersistentVolumeClaim,
                           provisioner: str) -> tuple[core_pb2.PersistentVolumeClaim, bool]:
    """`setClaimProvisioner`: both the GA and the deprecated beta annotation name the provisioner."""
    ann = claim.metadata.annotations
    if ann.get(ANN_STORAGE_PROVISIONER) == provisioner and ann.get(ANN_BETA_STORAGE_PROVISIONER) == provisioner:
        return claim, False
    new = copy_of(claim)
    new.metadata.annotations[ANN_STORAGE_PROVISIONER] = provisioner
    new.metadata.annotations[ANN_BETA_STORAGE_PROVISIONER] = provisioner
    return new, True


def claim_with_class(claim: core_pb2.PersistentVolumeClaim, class_name: str) -> core_pb2.PersistentVolumeClaim:
    new = copy_of(claim)
    new.spec.storage_class_name = class_name
    return new
