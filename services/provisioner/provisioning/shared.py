"""`kubelab.io/shared`: a directory every node sees, like an NFS export (ReadWriteMany).

The directory is `<cluster-dir>/shared/<pv>`; the PV names it as an NFS volume
`shared.kubelab.io:/<pv>`. Nothing to attach: pods on any number of nodes mount it at once.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kubelab.api.v1 import core_pb2, storage_pb2

from services.provisioner.provisioning.plugin import (
    VolumeDir, is_provisioned_name, list_dirs, make_dir, new_volume, provisioned_by, remove_dir,
    volume_name_for_claim,
)

__all__ = ["SharedProvisioner", "SERVER"]

SERVER = "shared.kubelab.io"


class SharedProvisioner:
    name = "kubelab.io/shared"
    aliases: tuple[str, ...] = ()

    def __init__(self, cluster_dir: Path):
        self.root = Path(cluster_dir) / "shared"

    async def provision(self, claim: core_pb2.PersistentVolumeClaim, storage_class: storage_pb2.StorageClass,
                        selected_node: core_pb2.Node | None) -> core_pb2.PersistentVolume:
        name = volume_name_for_claim(claim)
        await make_dir(self.root / name)
        pv = new_volume(claim, storage_class)
        pv.spec.nfs.server = SERVER
        pv.spec.nfs.path = f"/{name}"
        return pv

    def owns(self, volume: core_pb2.PersistentVolume) -> bool:
        return provisioned_by(volume, (self.name, *self.aliases)) or (
            volume.spec.HasField("nfs") and volume.spec.nfs.server == SERVER)

    def volume_dir(self, volume: core_pb2.PersistentVolume) -> Path | None:
        if not volume.spec.HasField("nfs") or volume.spec.nfs.server != SERVER:
            return None
        relative = volume.spec.nfs.path.strip("/")
        return self.root / relative if relative and ".." not in relative.split("/") else None

    async def delete(self, volume: core_pb2.PersistentVolume) -> None:
        path = self.volume_dir(volume)
        if path is not None:
            await remove_dir(path)

    def volume_dirs(self) -> Iterator[VolumeDir]:
        for path in list_dirs(self.root):
            if is_provisioned_name(path.name):
                yield VolumeDir(path.name, path)
