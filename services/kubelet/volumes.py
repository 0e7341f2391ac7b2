"""Which host directory each pod volume is (docs/conventions.md, "Where volumes live").

    emptyDir                 <root>/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>
    hostPath /p              <root>/p (inside the node root, with its type check)
    persistentVolumeClaim    the claim must be Bound; then its PV:
      hostPath / local       <root>/<path> of the node the pod runs on
      csi network-disk.kubelab.io   <cluster-dir>/disks/<volumeHandle>, only once a VolumeAttachment
                               csi-<sha256(pv + attacher + node)> for this node says attached
      nfs shared.kubelab.io  <cluster-dir>/shared/<path>
    configMap, secret, downwardAPI, projected
                             <root>/var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~configmap/<name> (~secret,
                             ~downward-api, ~projected): files written by the atomic writer, mounted read-only,
                             rewritten at each sync when their objects change (projection, atomicwriter)

`resolve_volume` decides from the objects (through `VolumeLookups`) and returns a `VolumeSource` to set
up, or a `VolumeProblem`: the event to report while the pod waits in ContainerCreating.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kubelab.api.v1 import core_pb2, storage_pb2
from services.kubelet.atomicwriter import FileProjection, write_payload
from services.kubelet.hostpath import HostPathError, check_host_path, secure_join
from services.kubelet.paths import NodePaths
from services.kubelet.projection import PROJECTED_KINDS, ProjectionError, volume_payload

__all__ = ["VolumeLookups", "VolumeContext", "VolumeSource", "VolumeProblem", "resolve_volume",
           "attachment_name", "set_up", "NETWORK_DISK_DRIVER", "SHARED_SERVER"]

NETWORK_DISK_DRIVER = "network-disk.kubelab.io"
SHARED_SERVER = "shared.kubelab.io"


class VolumeLookups(Protocol):
    def pvc(self, namespace: str, name: str) -> core_pb2.PersistentVolumeClaim | None: ...
    def pv(self, name: str) -> core_pb2.PersistentVolume | None: ...
    def attachment(self, name: str) -> storage_pb2.VolumeAttachment | None: ...
    def config_map(self, namespace: str, name: str) -> core_pb2.ConfigMap | None: ...
    def secret(self, namespace: str, name: str) -> core_pb2.Secret | None: ...


@dataclass(frozen=True)
class VolumeContext:
    paths: NodePaths
    cluster_dir: Path
    node_name: str
    lookups: VolumeLookups
    allocatable: dict[str, str] = field(default_factory=dict)
    """The node's allocatable resources: a downwardAPI file's limit when the container sets none."""


@dataclass(frozen=True)
class VolumeSource:
    name: str
    path: Path
    read_only: bool = False
    kind: str = "emptyDir"
    host_path_type: str = "DirectoryOrCreate"
    """Checked (and created) at set-up, as hostPath's `type`."""
    shown: str = ""
    """How users see the path in messages (the node path, or the host path)."""
    unique_name: str = ""
    """Kubernetes' unique volume name for attachable volumes (node status volumesInUse)."""
    payload: dict[str, FileProjection] | None = field(default=None, compare=False)
    """The files of a configMap, secret, downwardAPI or projected volume, written at set-up."""


@dataclass(frozen=True)
class VolumeProblem:
    name: str
    reason: str
    """The event's reason: FailedMount or FailedAttachVolume."""
    message: str
    unattached: bool = False


def attachment_name(pv_name: str, attacher: str, node: str) -> str:
    """The VolumeAttachment's name, as Kubernetes' attach/detach controller makes it."""
    return "csi-" + hashlib.sha256(f"{pv_name}{attacher}{node}".encode()).hexdigest()


def resolve_volume(pod: core_pb2.Pod, vol: core_pb2.Volume, ctx: VolumeContext) -> VolumeSource | VolumeProblem:
    if vol.HasField("empty_dir"):
        path = ctx.paths.empty_dir(pod.metadata.uid, vol.name)
        return VolumeSource(vol.name, path, shown=str(path))
    if vol.HasField("host_path"):
        hp = vol.host_path
        return VolumeSource(vol.name, secure_join(ctx.paths.root, hp.path), kind="hostPath",
                            host_path_type=hp.type if hp.HasField("type") else "", shown=hp.path)
    if vol.HasField("persistent_volume_claim"):
        return _claim(pod, vol, ctx)
    projected = next((k for k in PROJECTED_KINDS if vol.HasField(k)), None)
    if projected is not None:
        return _projected(pod, vol, projected, ctx)
    kinds = [f.name for f, _ in vol.ListFields() if f.name != "name"]
    kind = kinds[0] if kinds else "unknown"
    return VolumeProblem(vol.name, "FailedMount",
                         f'MountVolume.SetUp failed for volume "{vol.name}" : kubelab does not support '
                         f"{_camel(kind)} volumes (supported: emptyDir, hostPath, persistentVolumeClaim, "
                         "configMap, secret, downwardAPI, projected)")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _projected(pod: core_pb2.Pod, vol: core_pb2.Volume, kind: str,
               ctx: VolumeContext) -> VolumeSource | VolumeProblem:
    try:
        payload = volume_payload(pod, vol, ctx.lookups, ctx.allocatable)
    except ProjectionError as e:
        return VolumeProblem(vol.name, "FailedMount", f'MountVolume.SetUp failed for volume "{vol.name}" : {e}')
    path = ctx.paths.pod_dir(pod.metadata.uid) / "volumes" / PROJECTED_KINDS[kind] / vol.name
    return VolumeSource(vol.name, path, read_only=True, kind=_camel(kind), shown=str(path), payload=payload)


def _claim(pod: core_pb2.Pod, vol: core_pb2.Volume, ctx: VolumeContext) -> VolumeSource | VolumeProblem:
    ns, claim = pod.metadata.namespace, vol.persistent_volume_claim.claim_name
    prefix = f"error processing PVC {ns}/{claim}"
    pvc = ctx.lookups.pvc(ns, claim)
    if pvc is None:
        return VolumeProblem(vol.name, "FailedMount", f'{prefix}: persistentvolumeclaim "{claim}" not found')
    if pvc.status.phase != "Bound" or not pvc.spec.volume_name:
        return VolumeProblem(vol.name, "FailedMount", f"{prefix}: PVC is not bound")
    pv = ctx.lookups.pv(pvc.spec.volume_name)
    if pv is None:
        return VolumeProblem(vol.name, "FailedMount",
                             f'{prefix}: persistentvolume "{pvc.spec.volume_name}" not found')
    ref = pv.spec.claim_ref
    if ref.name and (ref.name != claim or ref.namespace != ns or (ref.uid and ref.uid != pvc.metadata.uid)):
        return VolumeProblem(vol.name, "FailedMount",
                             f'{prefix}: persistentvolume "{pv.metadata.name}" is bound to another claim')
    return _persistent_volume(pv, vol.name, vol.persistent_volume_claim.read_only, ctx)


def _persistent_volume(pv: core_pb2.PersistentVolume, name: str, read_only: bool,
                       ctx: VolumeContext) -> VolumeSource | VolumeProblem:
    spec, pv_name = pv.spec, pv.metadata.name
    if spec.HasField("host_path"):
        hp = spec.host_path
        return VolumeSource(name, secure_join(ctx.paths.root, hp.path), read_only, "persistentVolumeClaim",
                            hp.type if hp.HasField("type") else "", shown=hp.path)
    if spec.HasField("local"):
        return VolumeSource(name, secure_join(ctx.paths.root, spec.local.path), read_only,
                            "persistentVolumeClaim", "Directory", shown=spec.local.path)
    if spec.HasField("nfs"):
        if spec.nfs.server != SHARED_SERVER:
            return VolumeProblem(name, "FailedMount", f'MountVolume.SetUp failed for volume "{pv_name}" : '
                                 f'nfs server "{spec.nfs.server}" is not {SHARED_SERVER}, the only one kubelab has')
        path = secure_join(ctx.cluster_dir / "shared", spec.nfs.path)
        return VolumeSource(name, path, read_only or spec.nfs.read_only, "persistentVolumeClaim",
                            shown=f"{spec.nfs.server}:{spec.nfs.path}")
    if spec.HasField("csi") or spec.HasField("gce_persistent_disk"):
        if spec.HasField("csi") and spec.csi.driver != NETWORK_DISK_DRIVER:
            return VolumeProblem(name, "FailedMount", f'MountVolume.MountDevice failed for volume "{pv_name}" : '
                                 f"driver name {spec.csi.driver} not found in the list of registered CSI "
                                 f"drivers (kubelab has {NETWORK_DISK_DRIVER})")
        handle = spec.csi.volume_handle if spec.HasField("csi") else spec.gce_persistent_disk.pd_name
        ro = read_only or (spec.csi.read_only if spec.HasField("csi") else spec.gce_persistent_disk.read_only)
        return _network_disk(pv_name, name, handle or pv_name, ro, ctx)
    return VolumeProblem(name, "FailedMount", f'MountVolume.SetUp failed for volume "{pv_name}" : '
                         "persistent volume source not supported (kubelab mounts hostPath, local, "
                         f"csi {NETWORK_DISK_DRIVER} and nfs {SHARED_SERVER})")


def _network_disk(pv_name: str, name: str, handle: str, read_only: bool,
                  ctx: VolumeContext) -> VolumeSource | VolumeProblem:
    va_name = attachment_name(pv_name, NETWORK_DISK_DRIVER, ctx.node_name)
    va = ctx.lookups.attachment(va_name)
    if va is not None and va.status.attach_error.message and not va.status.attached:
        return VolumeProblem(name, "FailedAttachVolume", f'AttachVolume.Attach failed for volume "{pv_name}" : '
                             f"{va.status.attach_error.message}", unattached=True)
    if va is None or not va.status.attached or va.spec.node_name != ctx.node_name:
        return VolumeProblem(name, "FailedMount", f"Unable to attach or mount volumes: unmounted volumes=[{name}], "
                             f"unattached volumes=[{name}]: volume \"{pv_name}\" is not attached to node "
                             f'"{ctx.node_name}" (waiting for VolumeAttachment {va_name})', unattached=True)
    path = secure_join(ctx.cluster_dir / "disks", handle)
    return VolumeSource(name, path, read_only, "persistentVolumeClaim", shown=f"disk {handle}",
                        unique_name=f"kubernetes.io/csi/{NETWORK_DISK_DRIVER}^{handle}")


def set_up(source: VolumeSource) -> None:
    """Create or check the volume's directory (write its files); HostPathError says what is wrong."""
    if source.payload is not None:
        try:
            write_payload(source.path, source.payload)
        except OSError as e:
            raise HostPathError(f"cannot write {source.shown}: {e.strerror or e}") from None
        return
    try:
        check_host_path(source.path, source.shown or str(source.path), source.host_path_type)
    except OSError as e:
        raise HostPathError(f"cannot create {source.shown or source.path}: {e.strerror}") from None
