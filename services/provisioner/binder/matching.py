"""Which PersistentVolume a claim gets (pv_controller `findBestMatchForClaim`, `FindMatchingVolume`).

Volumes are grouped by their set of access modes. The sets that contain every mode the claim asks for
are searched fewest modes first, so a ReadWriteOnce claim takes a ReadWriteOnce volume before a
ReadWriteOnce+ReadOnlyMany one; the first set that yields a volume wins. Within a set a volume pre-bound
to the claim is taken at once; otherwise the smallest Available volume of exactly the claim's class
(`""` only matches `""`) that is big enough, has the claim's volumeMode and matches its selector.
With WaitForFirstConsumer the binder never picks an unbound volume: the scheduler does that.
"""
from __future__ import annotations

from collections.abc import Iterable

from kubelab.api.v1 import core_pb2
from kubelab.labels import SelectorError, label_selector_as_selector

from services.provisioner.volumeutil import (
    access_modes_key, claim_class, claim_vac, contains_all, is_being_deleted, is_volume_bound_to_claim,
    requested_size, volume_class, volume_mode_mismatch, volume_size, volume_vac,
)

__all__ = ["find_best_match", "find_matching_volume", "candidate_mode_sets", "check_volume_satisfy_claim"]


def candidate_mode_sets(volumes: Iterable[core_pb2.PersistentVolume], requested: Iterable[str]) -> list[str]:
    """`allPossibleMatchingAccessModes`: the volumes' mode-set keys holding all requested modes, fewest first."""
    requested = list(requested)
    keys = {access_modes_key(v.spec.access_modes) for v in volumes}
    matching = [k for k in keys if contains_all(_modes_of_key(k), requested)]
    return sorted(matching, key=lambda k: (len(_modes_of_key(k)), k))


_LONG = {"RWO": "ReadWriteOnce", "ROX": "ReadOnlyMany", "RWX": "ReadWriteMany", "RWOP": "ReadWriteOncePod"}


def _modes_of_key(key: str) -> list[str]:
    return [_LONG[s] for s in key.split(",") if s]


def find_best_match(claim: core_pb2.PersistentVolumeClaim, volumes: Iterable[core_pb2.PersistentVolume],
                    delay_binding: bool) -> core_pb2.PersistentVolume | None:
    """The volume the binder binds the claim to, or None (then provisioning or waiting)."""
    volumes = list(volumes)
    for key in candidate_mode_sets(volumes, claim.spec.access_modes):
        group = [v for v in volumes if access_modes_key(v.spec.access_modes) == key]
        best = find_matching_volume(claim, group, delay_binding)
        if best is not None:
            return best
    return None


def find_matching_volume(claim: core_pb2.PersistentVolumeClaim, volumes: Iterable[core_pb2.PersistentVolume],
                         delay_binding: bool) -> core_pb2.PersistentVolume | None:
    """`FindMatchingVolume` on the binder's path (no node): pre-bound first, else the smallest fit."""
    try:
        selector = label_selector_as_selector(claim.spec.selector) if claim.spec.HasField("selector") else None
    except SelectorError:
        return None
    requested, wanted_class = requested_size(claim), claim_class(claim)
    smallest: core_pb2.PersistentVolume | None = None
    for volume in sorted(volumes, key=lambda v: v.metadata.name):
        if volume.spec.HasField("claim_ref") and not is_volume_bound_to_claim(volume, claim):
            continue
        if volume_size(volume) < requested or volume_mode_mismatch(claim, volume):
            continue
        if claim_vac(claim) != volume_vac(volume) or is_being_deleted(volume):
            continue
        if is_volume_bound_to_claim(volume, claim):
            return volume
        if delay_binding:
            continue  # the scheduler binds unbound volumes of WaitForFirstConsumer claims
        if volume.status.phase != "Available":
            continue
        if selector is not None and not selector.matches(volume.metadata.labels):
            continue
        if volume_class(volume) != wanted_class:
            continue
        if smallest is None or volume_size(volume) < volume_size(smallest):
            smallest = volume
    return smallest


def check_volume_satisfy_claim(volume: core_pb2.PersistentVolume, claim: core_pb2.PersistentVolumeClaim) -> str | None:
    """Why a volume the claim names in spec.volumeName cannot be bound to it (None: it can)."""
    if is_being_deleted(volume):
        return f'the volume is marked for deletion "{volume.metadata.name}"'
    if volume_size(volume) < requested_size(claim):
        return "requested PV is too small"
    if volume_class(volume) != claim_class(claim):
        return "storageClassName does not match"
    if claim_vac(claim) != volume_vac(volume):
        return "volumeAttributesClassName does not match"
    if volume_mode_mismatch(claim, volume):
        return "incompatible volumeMode"
    if not contains_all(volume.spec.access_modes, claim.spec.access_modes):
        return "incompatible accessMode"
    return None
