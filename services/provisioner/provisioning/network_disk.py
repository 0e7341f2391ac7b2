"""`kubelab.io/network-disk` (also `kubernetes.io/gce-pd`): an emulated cloud disk outside every node.

The disk is the directory `<cluster-dir>/disks/<pv>`; the PV names it as a CSI volume of driver
`network-disk.kubelab.io` with the PV's name as volume handle. Like a cloud disk it must be attached
to a node before a pod there can mount it (see `attachdetach`), and a ReadWriteOnce disk is attached to
one node at a time. Its data travels with it from node to node.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.storage.volume import RWX

from services.provisioner.provisioning.plugin import (
    ProvisioningError, VolumeDir, is_provisioned_name, list_dirs, make_dir, new_volume, provisioned_by,
    remove_dir, volume_name_for_claim,
)

__all__ = ["NetworkDiskProvisioner", "DRIVER"]

DRIVER = "network-disk.kubelab.io"


class NetworkDiskProvisioner:
    name = "kubelab.io/network-disk"
    aliases: tuple[str, ...] = ("kubernetes.io/gce-pd",)

    def __init__(self, cluster_dir: Path):
        self.root = Path(cluster_dir) / "disks"

    async def provision(self, claim: core_pb2.PersistentVolumeClaim, storage_class: storage_pb2.StorageClass,
                        selected_node: core_pb2.Node | None) -> core_pb2.PersistentVolume:
        if RWX in claim.spec.access_modes:  # what the GCE PD CSI driver answers for a multi-writer filesystem
            raise ProvisioningError("rpc error: code = InvalidArgument desc = VolumeCapabilities is invalid: "
                                    "specified multi writer with mount access type")
        name = volume_name_for_claim(claim)
        await make_dir(self.root / name)
        pv = new_volume(claim, storage_class)
        pv.spec.csi.driver = DRIVER
        pv.spec.csi.volume_handle = name
        return pv

    def owns(self, volume: core_pb2.PersistentVolume) -> bool:
        return provisioned_by(volume, (self.name, *self.aliases)) or (
            volume.spec.HasField("csi") and volume.spec.csi.driver == DRIVER)

    def volume_dir(self, volume: core_pb2.PersistentVolume) -> Path | None:
        handle = volume.spec.csi.volume_handle if volume.spec.csi.driver == DRIVER else ""
        if not handle or "/" in handle or handle in (".", ".."):
            return None
        return self.root / handle

    async def delete(self, volume: core_pb2.PersistentVolume) -> None:
        path = self.volume_dir(volume)
        if path is not None:
            await remove_dir(path)

    def volume_dirs(self) -> Iterator[VolumeDir]:
        for path in list_dirs(self.root):
            if is_provisioned_name(path.name):
                yield VolumeDir(path.name, path)
