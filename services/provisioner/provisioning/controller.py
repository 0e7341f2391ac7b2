"""The provisioning controller: what sig-storage-lib-external-provisioner does for each built-in plugin.

`ClaimProvisioner` reconciles claims the binder handed to a built-in provisioner (annotation
`volume.kubernetes.io/storage-provisioner`): Provisioning event, the plugin makes the storage, the PV
`pvc-<claim uid>` is created with a claimRef to the claim (the binder then binds them),
ProvisioningSucceeded. The name is deterministic and the directory creation idempotent, so a crash at
any point and a restart give exactly one PV: a PV that exists already stops the work, and creating it
twice answers AlreadyExists, which counts as success. The storage is removed again only when the API server
refused the PV: after an error that leaves its fate unknown (an outage, a cut connection) the PV may exist,
so the storage stays and the retry settles it. `VolumeDeleter` deletes the storage and then the PV of a
released volume with reclaim policy Delete.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import grpc

from kubelab.api.v1 import core_pb2
from kubelab.controller import Result
from kubelab.errors import ApiError, is_already_exists, is_not_found, is_precondition_failed
from kubelab.events import NORMAL, WARNING, EventRecorder
from kubelab.storage.volume import ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE, PV_PROTECTION, claim_class

from services.provisioner.provisioning.decision import Provision, Refuse, Retry, Skip, decide_provision, should_delete
from services.provisioner.provisioning.plugin import (
    Provisioner, ProvisionerSet, ProvisioningError, volume_name_for_claim,
)
from services.provisioner.volumeutil import claim_key, claim_reference

__all__ = ["ClaimProvisioner", "VolumeDeleter", "ProvisioningFailed", "OUTCOME_UNKNOWN"]

log = logging.getLogger(__name__)


OUTCOME_UNKNOWN = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                             grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL})
"""Errors after which a create may have been stored all the same (the API server or the path to it
went away before the answer came back)."""


class ProvisioningFailed(Exception):
    """Provisioning failed and is retried with backoff (the event has been recorded)."""


class ClaimProvisioner:
    def __init__(self, client, informers, provisioners: ProvisionerSet,
                 recorder: Callable[[Provisioner], EventRecorder], *, latency: float = 0.0,
                 in_flight: set[str] | None = None):
        self.client, self.provisioners, self.recorder, self.latency = client, provisioners, recorder, latency
        self.claims = informers.informer("PersistentVolumeClaim")
        self.volumes = informers.informer("PersistentVolume")
        self.classes = informers.informer("StorageClass")
        self.nodes = informers.informer("Node")
        self.in_flight = in_flight if in_flight is not None else set()
        """Volumes being provisioned now: the orphan sweep leaves their directories alone."""

    async def reconcile(self, key: str) -> Result | None:
        claim = self.claims.get(key)
        if claim is None:
            return None
        classes = {c.metadata.name: c for c in self.classes.list()}
        exists = self.volumes.get(volume_name_for_claim(claim)) is not None
        decision = decide_provision(claim, classes, exists, self.provisioners.names)
        if isinstance(decision, Skip):
            return None
        if isinstance(decision, Retry):
            raise ProvisioningFailed(decision.message)
        if isinstance(decision, Refuse):
            plugin = self.provisioners.get(decision.provisioner)
            self.recorder(plugin).event(claim, WARNING, "ProvisioningFailed", decision.message)
            return None
        await self._provision(claim, decision)
        return None

    async def _node(self, claim: core_pb2.PersistentVolumeClaim, name: str | None) -> core_pb2.Node | None:
        if name is None:
            return None
        node = self.nodes.get(name)
        if node is None:
            node = await self.client.get("Node", name)  # NotFound propagates
        return node

    async def _provision(self, claim: core_pb2.PersistentVolumeClaim, d: Provision) -> None:
        plugin = self.provisioners.get(d.provisioner)
        events, key, name = self.recorder(plugin), claim_key(claim), volume_name_for_claim(claim)
        try:
            node = await self._node(claim, d.selected_node)
        except ApiError as e:
            if not is_not_found(e):
                raise
            events.event(claim, WARNING, "ProvisioningFailed", e.message)
            await self._reschedule(claim)
            return
        events.event(claim, NORMAL, "Provisioning", f'External provisioner is provisioning volume for claim "{key}"')
        self.in_flight.add(name)
        try:
            try:
                volume = await plugin.provision(claim, d.storage_class, node)
            except ProvisioningError as e:
                message = f'failed to provision volume with StorageClass "{claim_class(claim)}": {e}'
                events.event(claim, WARNING, "ProvisioningFailed", message)
                if e.reschedule and d.selected_node:
                    await self._reschedule(claim)
                    return
                raise ProvisioningFailed(message) from e
            if self.latency:  # an emulated slow storage backend: the window a crash leaves a bare directory in
                await asyncio.sleep(self.latency)
            volume.spec.claim_ref.CopyFrom(claim_reference(claim))
            volume.metadata.annotations[ANN_DYNAMICALLY_PROVISIONED] = d.provisioner
            volume.spec.storage_class_name = claim_class(claim)
            volume.metadata.finalizers.append(PV_PROTECTION)  # what admission would add at creation
            await self._store(claim, volume, plugin, events)
        finally:
            self.in_flight.discard(name)

    async def _store(self, claim: core_pb2.PersistentVolumeClaim, volume: core_pb2.PersistentVolume,
                     plugin: Provisioner, events: EventRecorder) -> None:
        try:
            await self.client.create(volume)
            log.info("volume provisioned claim=%s volume=%s", claim_key(claim), volume.metadata.name)
        except ApiError as e:
            if e.code in OUTCOME_UNKNOWN:
                # The PV may well exist (the answer was lost, not the write): keep the storage. The retry
                # creates the PV or finds it; the orphan sweep removes the directory if it never comes.
                events.event(claim, WARNING, "ProvisioningFailed",
                             f"Error creating provisioned PV object for claim {claim_key(claim)}: {e}. "
                             "Keeping the volume and retrying.")
                raise
            if not is_already_exists(e):
                events.event(claim, WARNING, "ProvisioningFailed",
                             f"Error creating provisioned PV object for claim {claim_key(claim)}: {e}. "
                             "Deleting the volume.")
                try:
                    await plugin.delete(volume)
                except OSError as cleanup:
                    events.event(claim, WARNING, "ProvisioningCleanupFailed",
                                 f"Error cleaning provisioned volume for claim {claim_key(claim)}: {cleanup}. "
                                 "Please delete manually.")
                raise
        events.event(claim, NORMAL, "ProvisioningSucceeded", f"Successfully provisioned volume {volume.metadata.name}")

    async def _reschedule(self, claim: core_pb2.PersistentVolumeClaim) -> None:
        """Drop volume.kubernetes.io/selected-node so that the scheduler picks a node again."""
        if ANN_SELECTED_NODE not in claim.metadata.annotations:
            return
        del claim.metadata.annotations[ANN_SELECTED_NODE]
        await self.client.update(claim)
        log.info("provisioning rescheduled claim=%s", claim_key(claim))


class VolumeDeleter:
    def __init__(self, client, informers, provisioners: ProvisionerSet,
                 recorder: Callable[[Provisioner], EventRecorder]):
        self.client, self.provisioners, self.recorder = client, provisioners, recorder
        self.volumes = informers.informer("PersistentVolume")

    async def reconcile(self, name: str) -> Result | None:
        volume = self.volumes.get(name)
        if volume is None:
            return None
        owner = self.provisioners.owner(volume)
        if owner is None or not should_delete(volume, True):
            return None
        try:  # the cache may lag: act only on what the API says now
            volume = await self.client.get("PersistentVolume", name)
        except ApiError as e:
            if is_not_found(e):
                return None
            raise
        if not should_delete(volume, True):
            return None
        try:
            await owner.delete(volume)
        except OSError as e:
            self.recorder(owner).event(volume, WARNING, "VolumeFailedDelete", str(e))
            raise
        try:
            await self.client.delete("PersistentVolume", name, uid=volume.metadata.uid)
        except ApiError as e:
            if not (is_not_found(e) or is_precondition_failed(e)):
                raise
        log.info("volume deleted volume=%s provisioner=%s", name, owner.name)
        return None
