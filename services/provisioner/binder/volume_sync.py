"""The binder's decision for one volume (pv_controller `syncVolume`, `reclaimVolume`).

A volume without a claimRef (or pre-bound, without a uid) is Available; one whose claim is bound to it
is Bound; one whose claim is gone is Released and its reclaim policy runs: Retain keeps it Released
(never rebound by itself: an admin clears the claimRef), Delete removes it (the built-in provisioners
delete what they made, see `provisioning`), anything else fails.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2
from kubelab.storage.volume import ANN_DYNAMICALLY_PROVISIONED, volume_mode_mismatch

from services.provisioner.binder.actions import (
    CLAIM, VOLUME, WARNING, Action, DeleteHostPath, EnqueueClaim, Event, Unbind, VolumePhase,
)
from services.provisioner.volumeutil import HOSTNAME_LABEL, claim_key

__all__ = ["VolumeSnapshot", "decide_volume", "static_delete", "needs_claim_check", "affinity_nodes"]

_TMP = re.compile(r"/tmp/.+")


@dataclass(frozen=True)
class VolumeSnapshot:
    volume: core_pb2.PersistentVolume
    claim: core_pb2.PersistentVolumeClaim | None
    """The claim the claimRef names, if it exists with the claimRef's uid (double-checked live)."""
    external_deleter: bool = False
    """A built-in provisioner deletes this volume when it is released with policy Delete."""


def needs_claim_check(volume: core_pb2.PersistentVolume, cached: core_pb2.PersistentVolumeClaim | None) -> bool:
    """Whether the informer's answer about the claim must be confirmed by a live GET before acting on it."""
    if not volume.spec.HasField("claim_ref") or not volume.spec.claim_ref.uid:
        return False
    if cached is None:
        return volume.status.phase not in ("Released", "Failed")
    return cached.metadata.uid != volume.spec.claim_ref.uid


def decide_volume(s: VolumeSnapshot) -> list[Action]:
    volume = s.volume
    if not volume.spec.HasField("claim_ref") or not volume.spec.claim_ref.uid:
        return [VolumePhase("Available")]  # unused, or pre-bound and waiting for its claim
    claim = s.claim
    if claim is None:
        return _released(volume) + _reclaim(s)
    if not claim.spec.volume_name:
        if volume_mode_mismatch(claim, volume):
            return [Event(WARNING, "VolumeMismatch", "Cannot bind PersistentVolume to requested PersistentVolumeClaim "
                                                     f'"{claim.metadata.name}" due to incompatible volumeMode.',
                          VOLUME),
                    Event(WARNING, "VolumeMismatch", f'Cannot bind PersistentVolume "{volume.metadata.name}" to '
                                                     "requested PersistentVolumeClaim due to incompatible volumeMode.",
                          CLAIM)]
        return [EnqueueClaim(claim_key(claim))]
    if claim.spec.volume_name == volume.metadata.name:
        return [VolumePhase("Bound")]
    # The claim is bound to another volume.
    if (ANN_DYNAMICALLY_PROVISIONED in volume.metadata.annotations
            and volume.spec.persistent_volume_reclaim_policy == "Delete"):
        return _released(volume) + _reclaim(s)
    return [Unbind()]


def _released(volume: core_pb2.PersistentVolume) -> list[Action]:
    """Released, but a Released or Failed phase is not overwritten (the user sees what went wrong)."""
    return [] if volume.status.phase in ("Released", "Failed") else [VolumePhase("Released")]


def _failed(volume: core_pb2.PersistentVolume, reason: str, message: str) -> list[Action]:
    """`updateVolumePhaseWithEvent`: the event goes out with the phase change, once."""
    if volume.status.phase == "Failed":
        return []
    return [VolumePhase("Failed", message), Event(WARNING, reason, message, VOLUME)]


def _reclaim(s: VolumeSnapshot) -> list[Action]:
    volume = s.volume
    policy = volume.spec.persistent_volume_reclaim_policy
    if policy == "Retain":
        return []
    if policy == "Recycle":
        return _failed(volume, "VolumeFailedRecycle", "No recycler plugin found for the volume!")
    if policy != "Delete":
        return _failed(volume, "VolumeUnknownReclaimPolicy", "Volume has unrecognized PersistentVolumeReclaimPolicy")
    if s.external_deleter:
        return []
    outcome = static_delete(volume)
    if outcome is None:
        return []  # a CSI or migrated volume: its external deleter's business
    if isinstance(outcome, str):
        return _failed(volume, "VolumeFailedDelete", outcome)
    return [outcome]


def static_delete(volume: core_pb2.PersistentVolume) -> DeleteHostPath | str | None:
    """How the in-tree deleters treat a volume no built-in provisioner owns: what to delete, an error, or None
    when an external deleter is expected."""
    spec = volume.spec
    if spec.HasField("csi") or spec.HasField("gce_persistent_disk"):
        return None
    if spec.HasField("host_path"):
        path = spec.host_path.path
        if not _TMP.fullmatch(path):
            return f"host_path deleter only supports /tmp/.+ but received provided {path}"
        return DeleteHostPath(path, affinity_nodes(volume))
    return (f'error getting deleter volume plugin for volume "{volume.metadata.name}": '
            "no deletable volume plugin matched")


def affinity_nodes(volume: core_pb2.PersistentVolume) -> tuple[str, ...]:
    """Node names a volume's required node affinity pins it to by hostname (empty: not pinned)."""
    names: list[str] = []
    if not volume.spec.HasField("node_affinity"):
        return ()
    for term in volume.spec.node_affinity.required.node_selector_terms:
        for req in term.match_expressions:
            if req.key == HOSTNAME_LABEL and req.operator == "In":
                names += [v for v in req.values if v not in names]
    return tuple(names)
