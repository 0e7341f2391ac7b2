"""The attach/detach controller: keeps network disks' VolumeAttachments where their pods are.

Keys are volume names. Pods map to the volumes of their bound claims, claims to their volume,
VolumeAttachments to their source volume, Nodes (whose status.volumesInUse says what is still mounted) to
the volumes attached to them. For each key the snapshot (volume, its attachments, the
pods using it) goes to `decide_attach`; the plan is carried out here. "Attaching" an emulated disk
takes no time: the controller also plays the CSI external-attacher and sets `status.attached` on the
attachments it creates, which is what the kubelet waits for before it mounts the disk.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.controller import Result
from kubelab.errors import ApiError, is_already_exists, is_not_found
from kubelab.events import WARNING, EventRecorder
from kubelab.informer import key_of

from services.provisioner.attachdetach.decision import (
    ATTACHER, MAX_UNMOUNT_WAIT, AttachSnapshot, attachment_name, decide_attach, is_attachable, unique_volume_name,
)
from services.provisioner.indexes import ATTACHED_NODE, CLAIM, SOURCE, VOLUME
from services.provisioner.volumeutil import is_pod_terminated, pod_claim_keys

__all__ = ["AttachDetach"]

log = logging.getLogger(__name__)


class AttachDetach:
    def __init__(self, client, informers, recorder: EventRecorder, resync: float = 10.0, *,
                 max_unmount_wait: float = MAX_UNMOUNT_WAIT, clock: Callable[[], float] = time.monotonic):
        self.client, self.recorder, self.resync = client, recorder, resync
        self.max_unmount_wait, self.clock = max_unmount_wait, clock
        self.volumes = informers.informer("PersistentVolume")
        self.claims = informers.informer("PersistentVolumeClaim")
        self.pods = informers.informer("Pod")
        self.attachments = informers.informer("VolumeAttachment")
        self.nodes = informers.informer("Node")
        self.reported: dict[str, frozenset[str]] = {}
        self.unmounting: dict[str, dict[str, float]] = {}

    # --- mapping changes to volume names ------------------------------------------------------------

    def volumes_of_pod(self, pod: core_pb2.Pod) -> list[str]:
        names = []
        for key in pod_claim_keys(pod):
            claim = self.claims.get(key)
            if claim is not None and claim.spec.volume_name:
                names.append(claim.spec.volume_name)
        return names

    @staticmethod
    def volume_of_claim(claim: core_pb2.PersistentVolumeClaim) -> list[str]:
        return [claim.spec.volume_name] if claim.spec.volume_name else []

    @staticmethod
    def volume_of_attachment(va: storage_pb2.VolumeAttachment) -> list[str]:
        name = va.spec.source.persistent_volume_name
        return [name] if name else []

    def volumes_on_node(self, node: core_pb2.Node) -> list[str]:
        attachments = self.attachments.by_index(ATTACHED_NODE, node.metadata.name)
        return [va.spec.source.persistent_volume_name for va in attachments if va.spec.source.persistent_volume_name]

    # --- reconcile ----------------------------------------------------------------------------------

    def users(self, volume_name: str) -> list[core_pb2.Pod]:
        """Scheduled, running pods whose claims are bound to the volume."""
        pods: dict[str, core_pb2.Pod] = {}
        for claim in self.claims.by_index(VOLUME, volume_name):
            for pod in self.pods.by_index(CLAIM, key_of(claim)):
                if pod.spec.node_name and not is_pod_terminated(pod):
                    pods[key_of(pod)] = pod
        return list(pods.values())

    def in_use(self, volume: core_pb2.PersistentVolume | None, nodes) -> set[str]:
        """Nodes whose kubelet still reports the volume mounted."""
        if volume is None or not is_attachable(volume):
            return set()
        unique = unique_volume_name(volume)
        return {n for n in nodes if (node := self.nodes.get(n)) is not None and unique in node.status.volumes_in_use}

    async def reconcile(self, name: str) -> Result | None:
        attachments = [va for va in self.attachments.by_index(SOURCE, name) if va.spec.attacher == ATTACHER]
        volume = self.volumes.get(name)
        snapshot = AttachSnapshot(name, volume, attachments, self.users(name), self.reported.get(name, frozenset()),
                                  self.in_use(volume, [va.spec.node_name for va in attachments]), self.clock(),
                                  self.unmounting.get(name, {}), self.max_unmount_wait)
        plan = decide_attach(snapshot)
        for va_name in plan.detach:
            await self._detach(va_name)
        for node in plan.attach:
            await self._attach(name, node)
        for va_name in plan.mark_attached:
            await self._mark_attached(self.attachments.get(va_name))
        for pod, message in plan.events:
            self.recorder.event(pod, WARNING, "FailedAttachVolume", message)
        _remember(self.reported, name, plan.waiting)
        _remember(self.unmounting, name, dict(plan.unmounting))
        if plan.waiting or plan.unmounting:
            return Result(requeue_after=self.resync)
        return None

    async def _detach(self, va_name: str) -> None:
        try:
            await self.client.delete("VolumeAttachment", va_name)
            log.info("volume detached attachment=%s", va_name)
        except ApiError as e:
            if not is_not_found(e):
                raise

    async def _attach(self, volume_name: str, node: str) -> None:
        va = storage_pb2.VolumeAttachment(api_version="storage.k8s.io/v1", kind="VolumeAttachment")
        va.metadata.name = attachment_name(volume_name, node)
        va.spec.attacher = ATTACHER
        va.spec.source.persistent_volume_name = volume_name
        va.spec.node_name = node
        try:
            va = await self.client.create(va)
        except ApiError as e:
            if not is_already_exists(e):
                raise
            return  # made before; its status is set when it shows up in the cache
        log.info("attaching volume volume=%s node=%s attachment=%s", volume_name, node, va.metadata.name)
        await self._mark_attached(va)

    async def _mark_attached(self, va: storage_pb2.VolumeAttachment | None) -> None:
        """The external attacher's part: the emulated disk is attached as soon as it is asked for."""
        if va is None or va.status.attached:
            return
        va.status.attached = True
        try:
            await self.client.update_status(va)
        except ApiError as e:
            if not is_not_found(e):
                raise
        log.info("volume attached volume=%s node=%s", va.spec.source.persistent_volume_name, va.spec.node_name)


def _remember(memory: dict, key: str, value) -> None:
    if value:
        memory[key] = value
    else:
        memory.pop(key, None)
