"""Which PersistentVolume a claim gets: one rule for the scheduler and the PV controller
(component-helpers `storage/volume/pv_helpers.go` FindMatchingVolume; pv_controller `index.go`
findBestMatchForClaim, `pv_controller.go` checkVolumeSatisfyClaim).

`find_matching_volume` is FindMatchingVolume. A volume pre-bound to the claim (its claimRef names the
claim, with the claim's uid or none) is taken first, if big enough, of the claim's volumeMode and
volumeAttributesClass and not being deleted, whatever its class, phase, labels and access modes; on the
scheduler's path, if it does not admit the node, the claim cannot run there. A volume whose claimRef
names another claim (or this claim's name with another uid) is never taken. Otherwise the smallest
Available volume with no claimRef, of exactly the claim's class (`""` only matches `""`), matching the
claim's selector, and on the scheduler path admitting the node and offering every access mode the claim
asks for. Ties go to the first name, so the answer does not depend on the order the volumes come in.

The two callers see the same pre-bound volumes, so they agree on them (upstream's do not always: the
scheduler lists only the volumes of the claim's class, the binder only those of an access-mode set
holding the claim's modes, so each may miss a volume pre-bound to the claim that the other takes):
- the scheduler (VolumeBinding Filter) passes the node, every unbound volume and every volume whose
  claimRef names one of the pod's claims, and the volumes other claims of the same pod already chose as
  `excluded`;
- the binder calls `find_best_match`: a volume pre-bound to the claim first, then volumes grouped by
  their access-mode set, the sets holding every mode the claim asks for searched fewest modes first (a
  ReadWriteOnce claim takes a ReadWriteOnce volume before a ReadWriteOnce+ReadOnlyMany one), no node;
  with WaitForFirstConsumer (`delay_binding`) it takes only a pre-bound volume: unbound ones are the
  scheduler's to choose.

Claims and volumes are parsed once into `ClaimSpec` / `VolumeSpec` (the scheduler matches one claim
against every node).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from kubelab.api.v1 import core_pb2
from kubelab.labels import Selector, SelectorError, label_selector_as_selector
from kubelab.nodeaffinity import CompiledSelector
from kubelab.storage.volume import (
    access_modes_key, claim_class, claim_vac, claim_volume_mode, contains_all, is_volume_bound_to_claim,
    modes_of_key, requested_size, volume_class, volume_mode_mismatch, volume_node_affinity, volume_size,
    volume_vac, volume_volume_mode,
)

__all__ = ["ClaimSpec", "VolumeSpec", "NodeRef", "claim_spec", "volume_spec", "find_matching_volume",
           "find_best_match", "candidate_mode_sets", "check_volume_satisfy_claim"]


class NodeRef(Protocol):
    """What matching reads of a node (the scheduler's NodeInfo is one)."""
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ClaimSpec:
    """What matching needs of a claim, parsed once."""
    pvc: core_pb2.PersistentVolumeClaim
    requested: Fraction
    cls: str
    modes: frozenset[str]
    volume_mode: str
    vac: str
    selector: Selector | None
    """None: the claim has no selector (every volume passes)."""
    selector_error: bool = False
    """The selector is invalid: nothing matches (upstream returns an error)."""


@dataclass(frozen=True)
class VolumeSpec:
    """What matching needs of a volume, parsed once."""
    pv: core_pb2.PersistentVolume
    capacity: Fraction
    cls: str
    modes: frozenset[str]
    volume_mode: str
    vac: str
    affinity: CompiledSelector | None

    @property
    def name(self) -> str:
        return self.pv.metadata.name


def claim_spec(pvc: core_pb2.PersistentVolumeClaim) -> ClaimSpec:
    selector, error = None, False
    if pvc.spec.HasField("selector"):
        try:
            selector = label_selector_as_selector(pvc.spec.selector)
        except SelectorError:
            error = True
    return ClaimSpec(pvc, requested_size(pvc), claim_class(pvc), frozenset(pvc.spec.access_modes),
                     claim_volume_mode(pvc), claim_vac(pvc), selector, error)


def volume_spec(pv: core_pb2.PersistentVolume) -> VolumeSpec:
    return VolumeSpec(pv, volume_size(pv), volume_class(pv), frozenset(pv.spec.access_modes), volume_volume_mode(pv),
                      volume_vac(pv), volume_node_affinity(pv))


def _usable(claim: ClaimSpec, v: VolumeSpec) -> bool:
    """The checks a pre-bound volume must pass too: size, volumeMode, volumeAttributesClass, not deleted."""
    return (v.capacity >= claim.requested and v.volume_mode == claim.volume_mode and v.vac == claim.vac
            and not v.pv.metadata.HasField("deletion_timestamp"))


def _better(v: VolumeSpec, best: VolumeSpec | None) -> bool:
    return best is None or (v.capacity, v.name) < (best.capacity, best.name)


def _pre_bound(claim: ClaimSpec, volumes: Iterable[VolumeSpec],
               node: NodeRef | None) -> tuple[VolumeSpec, bool] | None:
    """The usable volume whose claimRef names the claim (uid or not; the first name when several), and
    whether it admits `node`; None when there is none."""
    found: VolumeSpec | None = None
    for v in volumes:
        if (is_volume_bound_to_claim(v.pv, claim.pvc) and _usable(claim, v)
                and (found is None or v.name < found.name)):
            found = v
    if found is None:
        return None
    return found, node is None or found.affinity is None or found.affinity.matches(node.labels, node.name)


def find_matching_volume(claim: ClaimSpec, volumes: Iterable[VolumeSpec], node: NodeRef | None = None,
                         excluded: Iterable[str] = frozenset(),
                         delay_binding: bool = False) -> core_pb2.PersistentVolume | None:
    """FindMatchingVolume: the volume for `claim` among `volumes`, or None (see the module docstring).
    `node` is set on the scheduler's path only; `delay_binding` matters on the binder's path only."""
    if claim.selector_error:
        return None
    excluded = excluded if isinstance(excluded, (set, frozenset, dict)) else set(excluded)
    volumes = [v for v in volumes if v.name not in excluded]
    pre_bound = _pre_bound(claim, volumes, node)
    if pre_bound is not None:
        volume, fits_node = pre_bound
        return volume.pv if fits_node else None  # a pre-bound volume elsewhere: the claim cannot run here
    if node is None and delay_binding:
        return None  # the binder leaves unbound volumes to the scheduler
    smallest: VolumeSpec | None = None
    for v in volumes:
        pv = v.pv
        if pv.spec.HasField("claim_ref") or not _usable(claim, v):
            continue
        if pv.status.phase != "Available" or v.cls != claim.cls:
            continue
        if node is not None and v.affinity is not None and not v.affinity.matches(node.labels, node.name):
            continue
        if claim.selector is not None and not claim.selector.matches(pv.metadata.labels):
            continue
        if node is not None and not claim.modes <= v.modes:
            continue
        if _better(v, smallest):
            smallest = v
    return smallest.pv if smallest is not None else None


def candidate_mode_sets(volumes: Iterable[core_pb2.PersistentVolume], requested: Iterable[str]) -> list[str]:
    """`allPossibleMatchingAccessModes`: the volumes' mode-set keys holding all requested modes, fewest first."""
    requested = list(requested)
    keys = {access_modes_key(v.spec.access_modes) for v in volumes}
    matching = [k for k in keys if contains_all(modes_of_key(k), requested)]
    return sorted(matching, key=lambda k: (len(modes_of_key(k)), k))


def find_best_match(claim: core_pb2.PersistentVolumeClaim, volumes: Iterable[core_pb2.PersistentVolume],
                    delay_binding: bool) -> core_pb2.PersistentVolume | None:
    """findBestMatchForClaim: the volume the binder binds the claim to, or None (then provisioning or
    waiting). A volume pre-bound to the claim first, then the first access-mode set, fewest modes first,
    in which `find_matching_volume` finds one."""
    volumes = list(volumes)
    spec = claim_spec(claim)
    if spec.selector_error:
        return None
    pre_bound = _pre_bound(spec, (volume_spec(v) for v in volumes if is_volume_bound_to_claim(v, claim)), None)
    if pre_bound is not None:  # whatever its access modes: as the scheduler, which has no mode sets
        return pre_bound[0].pv
    for key in candidate_mode_sets(volumes, claim.spec.access_modes):
        group = [volume_spec(v) for v in volumes if access_modes_key(v.spec.access_modes) == key]
        best = find_matching_volume(spec, group, delay_binding=delay_binding)
        if best is not None:
            return best
    return None


def check_volume_satisfy_claim(volume: core_pb2.PersistentVolume, claim: core_pb2.PersistentVolumeClaim) -> str | None:
    """checkVolumeSatisfyClaim: why a volume the claim names in spec.volumeName cannot be bound to it
    (None: it can)."""
    if volume.metadata.HasField("deletion_timestamp"):
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
