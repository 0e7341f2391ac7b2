"""The attach/detach decision for one volume (attachdetach `reconciler.go`, `reportMultiAttachError`).

Desired state: the nodes where a scheduled, not terminated pod uses a claim bound to the volume.
Actual state: the volume's VolumeAttachments. Attachments to nodes no longer desired are deleted
(detach) first, unless that node's kubelet still reports the volume in `status.volumesInUse` (still
mounted): then the detach waits, at most `max_unmount_wait` (Kubernetes' maxWaitForUnmountDuration, 6
minutes) before it is forced. Then each desired node gets an attachment, except that a ReadWriteOnce or
ReadWriteOncePod volume attached to another node is not attached again: every pod on the waiting node
that needs the volume gets a `FailedAttachVolume` "Multi-Attach error" event (reportMultiAttachError
sends one to each of the volume's scheduled pods on that node), once per pod, so that a pod that lands
on the node later is told too, until the other node detaches.
ReadWriteMany and ReadOnlyMany volumes attach to every node that wants them.
"""
from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from kubelab.api.v1 import core_pb2, storage_pb2

from services.provisioner.volumeutil import is_multi_attach_forbidden

__all__ = ["ATTACHER", "attachment_name", "is_attachable", "AttachSnapshot", "AttachPlan", "decide_attach",
           "multi_attach_message", "pod_key", "unique_volume_name", "MAX_UNMOUNT_WAIT"]

ATTACHER = "network-disk.kubelab.io"
MAX_UNMOUNT_WAIT = 360.0


def unique_volume_name(volume: core_pb2.PersistentVolume) -> str:
    """How a kubelet lists the volume in node.status.volumesInUse."""
    return f"kubernetes.io/csi/{volume.spec.csi.driver}^{volume.spec.csi.volume_handle}"


def attachment_name(volume_name: str, node: str, attacher: str = ATTACHER) -> str:
    """`csi-<sha256(pv-name + attacher + node)>`, as Kubernetes names VolumeAttachments."""
    return "csi-" + hashlib.sha256(f"{volume_name}{attacher}{node}".encode()).hexdigest()


def is_attachable(volume: core_pb2.PersistentVolume) -> bool:
    return volume.spec.HasField("csi") and volume.spec.csi.driver == ATTACHER


@dataclass(frozen=True)
class AttachSnapshot:
    volume_name: str
    volume: core_pb2.PersistentVolume | None
    attachments: Sequence[storage_pb2.VolumeAttachment]
    """The volume's VolumeAttachments (attacher network-disk.kubelab.io)."""
    pods: Sequence[core_pb2.Pod]
    """Scheduled pods that are not terminated and use a claim bound to the volume."""
    reported: Collection[str] = ()
    """Pods (pod_key) that have been told their Multi-Attach error already."""
    in_use: Collection[str] = ()
    """Nodes whose kubelet reports the volume in use (mounted)."""
    now: float = 0.0
    detach_since: Mapping[str, float] = field(default_factory=dict)
    """Since when a detach from a node has been waiting for the volume to be unmounted there."""
    max_unmount_wait: float = MAX_UNMOUNT_WAIT


@dataclass(frozen=True)
class AttachPlan:
    detach: tuple[str, ...] = ()
    """VolumeAttachments to delete."""
    attach: tuple[str, ...] = ()
    """Nodes to create a VolumeAttachment for."""
    mark_attached: tuple[str, ...] = ()
    """VolumeAttachments whose status.attached is to be set."""
    events: tuple[tuple[core_pb2.Pod, str], ...] = ()
    """(pod, message) FailedAttachVolume events."""
    waiting: frozenset[str] = frozenset()
    """Pods (pod_key) kept waiting by a Multi-Attach error (all of them told after this plan)."""
    unmounting: Mapping[str, float] = field(default_factory=dict)
    """Nodes whose detach waits for the kubelet to unmount the volume, and since when."""


def decide_attach(s: AttachSnapshot) -> AttachPlan:
    wanted = s.volume is not None and is_attachable(s.volume)
    desired: dict[str, list[core_pb2.Pod]] = {}
    for pod in (s.pods if wanted else ()):
        desired.setdefault(pod.spec.node_name, []).append(pod)
    existing = {va.spec.node_name: va for va in sorted(s.attachments, key=lambda va: va.metadata.name)}
    detach, unmounting = [], {}
    for node in (n for n in existing if n not in desired):
        since = s.detach_since.get(node, s.now)
        if node in s.in_use and s.now - since < s.max_unmount_wait:
            unmounting[node] = since
        else:
            detach.append(existing[node].metadata.name)
    attached = {node for node in existing if node in desired} | set(unmounting)
    mark = tuple(existing[n].metadata.name for n in sorted(attached)
                 if n in desired and not existing[n].status.attached)
    forbidden = wanted and is_multi_attach_forbidden(s.volume)
    attach, waiting, events = [], set(), []
    for node in sorted((n for n in desired if n not in existing), key=lambda n: _first_pod(desired[n])):
        if forbidden and attached:
            users = [p for n in sorted(attached) for p in desired.get(n, ())]
            for pod in desired[node]:
                waiting.add(pod_key(pod))
                if pod_key(pod) not in s.reported:
                    events.append((pod, multi_attach_message(s.volume_name, pod, users)))
            continue
        attach.append(node)
        attached.add(node)
    return AttachPlan(tuple(detach), tuple(attach), mark, tuple(events), frozenset(waiting), unmounting)


def pod_key(pod: core_pb2.Pod) -> str:
    """One pod, this incarnation of it: a pod recreated under the same name is told again."""
    return f"{pod.metadata.namespace}/{pod.metadata.name}/{pod.metadata.uid}"


def _first_pod(pods: list[core_pb2.Pod]) -> tuple:
    """Who asked first: the node whose oldest pod is oldest gets the volume."""
    return min((p.metadata.creation_timestamp.ToNanoseconds(), p.metadata.namespace, p.metadata.name) for p in pods)


def multi_attach_message(volume_name: str, pod: core_pb2.Pod, users: Sequence[core_pb2.Pod]) -> str:
    """What the waiting pod is told; pods of other namespaces are counted, not named."""
    local = sorted(p.metadata.name for p in users if p.metadata.namespace == pod.metadata.namespace)
    others = sum(1 for p in users if p.metadata.namespace != pod.metadata.namespace)
    if not users:
        detail = "Volume is already exclusively attached to one node and can't be attached to another"
    elif local:
        detail = f"Volume is already used by pod(s) {', '.join(local)}"
        if others:
            detail += f" and {others} pod(s) in different namespaces"
    else:
        detail = f"Volume is already used by {others} pod(s) in different namespaces"
    return f'Multi-Attach error for volume "{volume_name}" {detail}'
