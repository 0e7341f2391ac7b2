"""The provisioning controller's decisions (sig-storage-lib-external-provisioner `shouldProvision`,
`canProvision`, `shouldDelete`) and the orphan sweep's, as pure functions of a snapshot."""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.storage.volume import (
    ANN_BETA_STORAGE_PROVISIONER, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, WAIT_FOR_FIRST_CONSUMER, binding_mode,
    claim_class,
)

from services.provisioner.provisioning.plugin import VolumeDir
from services.provisioner.volumeutil import is_being_deleted

__all__ = ["Skip", "Retry", "Refuse", "Provision", "decide_provision", "claim_provisioner", "should_delete",
           "find_orphans"]


@dataclass(frozen=True)
class Skip:
    """Nothing to do for this claim (not ours, already provisioned, or waiting for the scheduler)."""
    why: str


@dataclass(frozen=True)
class Retry:
    """Cannot go on yet (the class is missing): try again later, no event."""
    message: str


@dataclass(frozen=True)
class Refuse:
    """This claim can never be provisioned by us: one ProvisioningFailed event, no retries."""
    provisioner: str
    message: str


@dataclass(frozen=True)
class Provision:
    provisioner: str
    storage_class: storage_pb2.StorageClass
    selected_node: str | None


def claim_provisioner(claim: core_pb2.PersistentVolumeClaim) -> str | None:
    ann = claim.metadata.annotations
    return ann.get(ANN_STORAGE_PROVISIONER, ann.get(ANN_BETA_STORAGE_PROVISIONER))


def decide_provision(claim: core_pb2.PersistentVolumeClaim, classes: Mapping[str, storage_pb2.StorageClass],
                     volume_exists: bool, names: Collection[str]) -> Skip | Retry | Refuse | Provision:
    """Whether to provision a volume for the claim now, with which provisioner name and node."""
    if claim.spec.volume_name:
        return Skip("claim is bound")
    if is_being_deleted(claim):
        return Skip("claim is being deleted")
    provisioner = claim_provisioner(claim)
    if provisioner not in names:
        return Skip("not a built-in provisioner's claim")
    cls = classes.get(claim_class(claim))
    if cls is None:
        return Retry(f'storageclass.storage.k8s.io "{claim_class(claim)}" not found')
    node = claim.metadata.annotations.get(ANN_SELECTED_NODE) or None
    if binding_mode(cls) == WAIT_FOR_FIRST_CONSUMER and node is None:
        return Skip("waiting for the scheduler to select a node")
    if volume_exists:
        return Skip("volume already provisioned")
    if claim.spec.HasField("volume_mode") and claim.spec.volume_mode == "Block":
        return Refuse(provisioner, f"{provisioner} does not support block volume provisioning")
    if cls.provisioner not in names:
        return Skip("the class's provisioner changed")
    return Provision(cls.provisioner, cls, node)


def should_delete(volume: core_pb2.PersistentVolume, owned: bool) -> bool:
    """A released volume with policy Delete that a built-in provisioner owns, not already being deleted."""
    return (owned and not is_being_deleted(volume) and volume.status.phase == "Released"
            and volume.spec.persistent_volume_reclaim_policy == "Delete")


def find_orphans(dirs: Iterable[VolumeDir], volumes: Iterable[core_pb2.PersistentVolume],
                 used_dirs: Collection, claims: Iterable[core_pb2.PersistentVolumeClaim],
                 in_flight: Collection[str] = ()) -> list[VolumeDir]:
    """Directories made for a volume that has no PV and never will: its claim is gone or bound elsewhere.

    `used_dirs` are the paths existing PVs point at; `in_flight` the volumes being provisioned right now.
    """
    names = {v.metadata.name for v in volumes}
    pending = {f"pvc-{c.metadata.uid}" for c in claims
               if c.spec.volume_name in ("", f"pvc-{c.metadata.uid}")}
    return [d for d in dirs if d.volume_name not in names and d.path not in used_dirs
            and d.volume_name not in pending and d.volume_name not in in_flight]
