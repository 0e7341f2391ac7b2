"""The interface every built-in provisioner implements, and what they share.

A provisioner is one file: a class with the names it answers to and two operations,

    async def provision(claim, storage_class, selected_node) -> PersistentVolume
    async def delete(volume) -> None

plus two questions the controllers ask: `owns(volume)` (is this volume mine to delete?) and
`volume_dirs()` (which directories of mine exist, for the orphan sweep). `provision` creates the
storage (idempotently: a second call for the same claim reuses the directory) and returns the PV
object; the controller adds claimRef, class and `pv.kubernetes.io/provisioned-by`, and creates it.
Errors are `ProvisioningError`; `reschedule=True` asks the scheduler to pick another node.
"""
from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.storage.volume import ANN_DYNAMICALLY_PROVISIONED

from services.provisioner.volumeutil import reclaim_policy

__all__ = ["Provisioner", "ProvisioningError", "VolumeDir", "new_volume", "volume_name_for_claim",
           "is_provisioned_name", "make_dir", "remove_dir", "list_dirs", "provisioned_by", "ProvisionerSet"]

_PROVISIONED = re.compile(r"pvc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ProvisioningError(Exception):
    """Provisioning failed: the message is what the ProvisioningFailed event says (after the
    controller's `failed to provision volume with StorageClass "<class>": ` prefix)."""

    def __init__(self, message: str, reschedule: bool = False):
        super().__init__(message)
        self.reschedule = reschedule


@dataclass(frozen=True)
class VolumeDir:
    """A directory a provisioner made for a volume: the PV it was made for, and where it is."""
    volume_name: str
    path: Path


class Provisioner(Protocol):
    name: str
    """The provisioner name a StorageClass gives (`kubelab.io/local-path`)."""
    aliases: tuple[str, ...]
    """Other names it answers to (`kubernetes.io/gce-pd`)."""

    async def provision(self, claim: core_pb2.PersistentVolumeClaim, storage_class: storage_pb2.StorageClass,
                        selected_node: core_pb2.Node | None) -> core_pb2.PersistentVolume: ...

    async def delete(self, volume: core_pb2.PersistentVolume) -> None: ...

    def owns(self, volume: core_pb2.PersistentVolume) -> bool: ...

    def volume_dir(self, volume: core_pb2.PersistentVolume) -> Path | None: ...

    def volume_dirs(self) -> Iterable[VolumeDir]: ...


def volume_name_for_claim(claim: core_pb2.PersistentVolumeClaim) -> str:
    """`pvc-<claim uid>`: deterministic, so a restarted provisioner finds (or re-creates) the same PV."""
    return f"pvc-{claim.metadata.uid}"


def is_provisioned_name(name: str) -> bool:
    """Whether a directory or volume name is one a provisioner made (`pvc-<uid>`)."""
    return bool(_PROVISIONED.fullmatch(name))


def new_volume(claim: core_pb2.PersistentVolumeClaim, storage_class: storage_pb2.StorageClass,
               access_modes: Iterable[str] | None = None) -> core_pb2.PersistentVolume:
    """A PV for the claim without its source: name, capacity (= the request), access modes, reclaim
    policy and mount options from the class, volumeMode Filesystem."""
    pv = core_pb2.PersistentVolume(api_version="v1", kind="PersistentVolume")
    pv.metadata.name = volume_name_for_claim(claim)
    pv.spec.capacity["storage"] = claim.spec.resources.requests.get("storage", "0")
    pv.spec.access_modes.extend(claim.spec.access_modes if access_modes is None else access_modes)
    pv.spec.persistent_volume_reclaim_policy = reclaim_policy(storage_class)
    pv.spec.mount_options.extend(storage_class.mount_options)
    pv.spec.volume_mode = "Filesystem"
    return pv


def provisioned_by(volume: core_pb2.PersistentVolume, names: Iterable[str]) -> bool:
    return volume.metadata.annotations.get(ANN_DYNAMICALLY_PROVISIONED) in set(names)


def _make_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o777)  # like local-path's `mkdir -m 0777 -p`: any container user may write


async def make_dir(path: Path) -> None:
    await asyncio.to_thread(_make_dir, path)


def _remove_dir(path: Path) -> None:
    try:
        shutil.rmtree(path)
    except FileNotFoundError:
        pass


async def remove_dir(path: Path) -> None:
    """`rm -rf`; a directory that is already gone is fine."""
    await asyncio.to_thread(_remove_dir, path)


def list_dirs(root: Path) -> Iterator[Path]:
    try:
        yield from (p for p in sorted(root.iterdir()) if p.is_dir())
    except FileNotFoundError:
        return


class ProvisionerSet:
    """The built-in provisioners, looked up by any name they answer to."""

    def __init__(self, provisioners: Iterable[Provisioner]):
        self.all = list(provisioners)
        self._by_name = {n: p for p in self.all for n in (p.name, *p.aliases)}

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._by_name)

    def get(self, name: str) -> Provisioner | None:
        return self._by_name.get(name)

    def owner(self, volume: core_pb2.PersistentVolume) -> Provisioner | None:
        """The provisioner that deletes this volume: the one that made it, else one that knows its source."""
        made_by = self._by_name.get(volume.metadata.annotations.get(ANN_DYNAMICALLY_PROVISIONED, ""))
        if made_by is not None:
            return made_by
        return next((p for p in self.all if p.owns(volume)), None)
