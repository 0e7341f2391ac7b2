"""The binder's side effects: API writes and events, carrying out the actions its decisions return.

Every write starts from the newest copy this process knows (`Assumed`) and remembers what the API
answered, so the next decision does not act on a stale cache. A conflict raises, and the sync is
retried with backoff: nothing here retries in place.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_not_found, is_precondition_failed
from kubelab.events import EventRecorder

from services.provisioner.assumed import Assumed
from services.provisioner.binder.actions import (
    CLAIM, WARNING, Action, AssignDefaultClass, Bind, ClaimStatus, DeleteHostPath, EnqueueClaim, Event, Fail,
    SetProvisioner, Unbind, VolumePhase,
)
from services.provisioner.binder.binding import (
    bind_claim_to_volume, bind_volume_to_claim, claim_with_class, claim_with_provisioner, claim_with_status,
    unbound_volume, volume_with_phase,
)
from services.provisioner.provisioning.plugin import list_dirs, remove_dir
from services.provisioner.volumeutil import claim_key

__all__ = ["BinderEffects", "BindingFailed", "PVC", "PV"]

log = logging.getLogger(__name__)

PVC, PV = "PersistentVolumeClaim", "PersistentVolume"


class BindingFailed(Exception):
    """A sync that cannot finish now; retried with backoff."""


class BinderEffects:
    def __init__(self, client, recorder: EventRecorder, assumed: Assumed, enqueue_claim: Callable[[str], None],
                 cluster_dir: Path, clock: Callable[[], float] = time.time):
        self.client, self.recorder, self.assumed = client, recorder, assumed
        self.enqueue_claim, self.nodes_dir, self.clock = enqueue_claim, Path(cluster_dir) / "nodes", clock

    # --- writes that remember their result ----------------------------------------------------------

    async def _update(self, obj, status: bool = False):
        new = await (self.client.update_status(obj) if status else self.client.update(obj))
        kind = PVC if isinstance(new, core_pb2.PersistentVolumeClaim) else PV
        key = claim_key(new) if kind == PVC else new.metadata.name
        self.assumed.remember(kind, key, new)
        return new

    async def set_claim_status(self, claim, phase: str, volume) -> core_pb2.PersistentVolumeClaim:
        new, dirty = claim_with_status(claim, phase, volume)
        return await self._update(new, status=True) if dirty else claim

    async def set_volume_phase(self, volume, phase: str, message: str = "") -> core_pb2.PersistentVolume:
        new, dirty = volume_with_phase(volume, phase, message, self.clock())
        return await self._update(new, status=True) if dirty else volume

    async def bind(self, volume: core_pb2.PersistentVolume, claim: core_pb2.PersistentVolumeClaim) -> None:
        """`bind()`: claimRef on the volume, volume Bound, volumeName on the claim, claim Bound."""
        before = (volume.metadata.resource_version, claim.metadata.resource_version)
        new, dirty = bind_volume_to_claim(volume, claim)
        if dirty:
            volume = await self._update(new)
        volume = await self.set_volume_phase(volume, "Bound")
        new, dirty = bind_claim_to_volume(claim, volume)
        if dirty:
            claim = await self._update(new)
        claim = await self.set_claim_status(claim, "Bound", volume)
        if (volume.metadata.resource_version, claim.metadata.resource_version) != before:
            log.info("claim bound claim=%s volume=%s", claim_key(claim), volume.metadata.name)

    # --- carrying out decisions ---------------------------------------------------------------------

    async def apply_claim(self, claim: core_pb2.PersistentVolumeClaim, actions: list[Action],
                          volumes: Mapping[str, core_pb2.PersistentVolume]) -> None:
        for action in actions:
            match action:
                case Event(type=t, reason=r, message=m):
                    self.recorder.event(claim, t, r, m)
                case AssignDefaultClass(class_name=name):
                    await self._update(claim_with_class(claim, name))
                    log.info("default storage class assigned claim=%s class=%s", claim_key(claim), name)
                case Bind(volume_name=name):
                    await self.bind(volumes[name], claim)
                case ClaimStatus(phase=phase, volume_name=name):
                    claim = await self.set_claim_status(claim, phase, volumes.get(name) if name else None)
                case SetProvisioner(provisioner=name):
                    claim = await self._set_provisioner(claim, name)
                case Fail(message=m):
                    raise BindingFailed(m)

    async def _set_provisioner(self, claim, name: str) -> core_pb2.PersistentVolumeClaim:
        new, dirty = claim_with_provisioner(claim, name)
        if not dirty:
            return claim
        try:
            return await self._update(new)
        except ApiError as e:
            self.recorder.event(claim, WARNING, "ProvisioningFailed", f"Error saving claim: {e}")
            raise

    async def apply_volume(self, volume: core_pb2.PersistentVolume, claim: core_pb2.PersistentVolumeClaim | None,
                           actions: list[Action]) -> None:
        for action in actions:
            match action:
                case Event(type=t, reason=r, message=m, on=on):
                    self.recorder.event(claim if on == CLAIM and claim is not None else volume, t, r, m)
                case VolumePhase(phase=phase, message=m):
                    volume = await self.set_volume_phase(volume, phase, m)
                case EnqueueClaim(key=key):
                    self.enqueue_claim(key)
                case Unbind():
                    volume = await self._update(unbound_volume(volume))
                    volume = await self.set_volume_phase(volume, "Available")
                    log.info("volume unbound volume=%s", volume.metadata.name)
                case DeleteHostPath(path=path, nodes=nodes):
                    await self._delete_host_path(volume, path, nodes)

    async def _delete_host_path(self, volume, path: str, nodes: tuple[str, ...]) -> None:
        """The in-tree hostPath deleter: `rm -rf` the /tmp directory (on the node(s) it lives on)."""
        try:
            live = await self.client.get(PV, volume.metadata.name)
        except ApiError as e:
            if is_not_found(e):
                return
            raise
        if live.status.phase not in ("Released", "Failed") or live.metadata.HasField("deletion_timestamp"):
            return
        roots = [self.nodes_dir / n for n in nodes] if nodes else list(list_dirs(self.nodes_dir))
        try:
            await asyncio.gather(*(remove_dir(root / path.lstrip("/")) for root in roots if ".." not in path))
        except OSError as e:
            await self.set_volume_phase(live, "Failed", str(e))
            self.recorder.event(live, WARNING, "VolumeFailedDelete", str(e))
            return
        try:
            await self.client.delete(PV, live.metadata.name, uid=live.metadata.uid)
        except ApiError as e:
            if not (is_not_found(e) or is_precondition_failed(e)):
                raise
        log.info("volume deleted volume=%s path=%s", live.metadata.name, path)
