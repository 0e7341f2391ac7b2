"""`kubelab.io/local-path`: a directory on the node the scheduler chose (rancher/local-path-provisioner).

The directory is `/var/lib/kubelab/local-path/<pv>_<namespace>_<claim>` inside the node's root
(`<cluster-dir>/nodes/<node>/...`); the PV names it as a `hostPath` (type DirectoryOrCreate) and is
pinned to the node by a required node affinity on `kubernetes.io/hostname`, so every pod using the
claim runs on that node. Only ReadWriteOnce and ReadWriteOncePod; no selectors; needs a selected node,
so its class is WaitForFirstConsumer.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.storage.volume import RWO, RWOP

from services.provisioner.provisioning.plugin import (
    ProvisioningError, VolumeDir, is_provisioned_name, list_dirs, make_dir, new_volume, provisioned_by,
    remove_dir, volume_name_for_claim,
)
from services.provisioner.volumeutil import HOSTNAME_LABEL

__all__ = ["LocalPathProvisioner", "BASE_PATH"]

BASE_PATH = PurePosixPath("/var/lib/kubelab/local-path")


class LocalPathProvisioner:
    name = "kubelab.io/local-path"
    aliases: tuple[str, ...] = ()

    def __init__(self, cluster_dir: Path):
        self.nodes_dir = Path(cluster_dir) / "nodes"

    def _on_node(self, node: str, path: PurePosixPath | str) -> Path:
        return self.nodes_dir / node / str(path).lstrip("/")

    async def provision(self, claim: core_pb2.PersistentVolumeClaim, storage_class: storage_pb2.StorageClass,
                        selected_node: core_pb2.Node | None) -> core_pb2.PersistentVolume:
        if claim.spec.HasField("selector"):
            raise ProvisioningError("claim.Spec.Selector is not supported")
        if any(mode not in (RWO, RWOP) for mode in claim.spec.access_modes):
            raise ProvisioningError("NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes")
        if selected_node is None:
            raise ProvisioningError("configuration error, no node was specified")
        node = selected_node.metadata.name
        folder = f"{volume_name_for_claim(claim)}_{claim.metadata.namespace}_{claim.metadata.name}"
        path = BASE_PATH / folder
        await make_dir(self._on_node(node, path))
        pv = new_volume(claim, storage_class)
        pv.spec.host_path.path = str(path)
        pv.spec.host_path.type = "DirectoryOrCreate"
        hostname = selected_node.metadata.labels.get(HOSTNAME_LABEL, node)
        term = pv.spec.node_affinity.required.node_selector_terms.add()
        term.match_expressions.add(key=HOSTNAME_LABEL, operator="In", values=[hostname])
        return pv

    def owns(self, volume: core_pb2.PersistentVolume) -> bool:
        if provisioned_by(volume, (self.name, *self.aliases)):
            return True
        return volume.spec.HasField("host_path") and PurePosixPath(volume.spec.host_path.path).parent == BASE_PATH

    def volume_dir(self, volume: core_pb2.PersistentVolume) -> Path | None:
        node = _pinned_node(volume)
        if not volume.spec.HasField("host_path") or node is None or "/" in node or node in (".", ".."):
            return None
        path = PurePosixPath(volume.spec.host_path.path)
        if path.parent != BASE_PATH or path.name in ("", ".", ".."):
            return None  # never anything outside the provisioner's own directory
        return self._on_node(node, path)

    async def delete(self, volume: core_pb2.PersistentVolume) -> None:
        path = self.volume_dir(volume)
        if path is not None:  # no node: nothing was made (local-path skips cleanup too)
            await remove_dir(path)

    def volume_dirs(self) -> Iterator[VolumeDir]:
        for node in list_dirs(self.nodes_dir):
            for path in list_dirs(self._on_node(node.name, BASE_PATH)):
                name = path.name.split("_", 1)[0]
                if is_provisioned_name(name):
                    yield VolumeDir(name, path)


def _pinned_node(volume: core_pb2.PersistentVolume) -> str | None:
    """The one hostname the volume's required node affinity allows."""
    for term in volume.spec.node_affinity.required.node_selector_terms:
        for req in term.match_expressions:
            if req.key == HOSTNAME_LABEL and req.operator == "In" and len(req.values) == 1:
                return req.values[0]
    return None
