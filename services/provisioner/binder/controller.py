"""The binder's plumbing: two reconcilers, for claims and for volumes, as in the PV controller.

Each reads a snapshot from the shared informers (overlaid with what it just wrote), asks the pure
decision (`claim_sync`, `volume_sync`) what to do, and hands the actions to `BinderEffects`. Both ask
to be synced again after `sync_period` (the PV controller's `--pvclaimbinder-sync-period`), which is
what repeats waiting events such as `ExternalProvisioning` with a growing count.
"""
from __future__ import annotations

import logging
from collections.abc import Collection

from kubelab.api.v1 import core_pb2
from kubelab.controller import Result
from kubelab.errors import ApiError, is_not_found
from kubelab.storage.volume import ANN_BIND_COMPLETED, WAIT_FOR_FIRST_CONSUMER, binding_mode, claim_class

from services.provisioner.assumed import Assumed
from services.provisioner.binder.claim_sync import ClaimSnapshot, decide_claim
from services.provisioner.binder.effects import PV, PVC, BinderEffects
from services.provisioner.binder.volume_sync import VolumeSnapshot, decide_volume, needs_claim_check
from services.provisioner.indexes import CLAIM, CLAIM_REF, UNCLAIMED
from services.provisioner.provisioning.plugin import ProvisionerSet
from services.provisioner.volumeutil import claim_key, claimref_key

__all__ = ["BinderContext", "ClaimBinder", "VolumeBinder"]

log = logging.getLogger(__name__)


class BinderContext:
    """What both reconcilers read: the informers, the overlay of own writes, the built-in provisioners."""

    def __init__(self, client, informers, provisioners: ProvisionerSet, assumed: Assumed, sync_period: float):
        self.client, self.provisioners, self.assumed, self.sync_period = client, provisioners, assumed, sync_period
        self.claims = informers.informer("PersistentVolumeClaim")
        self.volumes = informers.informer("PersistentVolume")
        self.classes = informers.informer("StorageClass")
        self.pods = informers.informer("Pod")

    def claim(self, key: str) -> core_pb2.PersistentVolumeClaim | None:
        return self.assumed.latest(PVC, key, self.claims.get(key))

    def volume(self, name: str) -> core_pb2.PersistentVolume | None:
        return self.assumed.latest(PV, name, self.volumes.get(name))

    def candidate_volumes(self, claim: core_pb2.PersistentVolumeClaim) -> dict[str, core_pb2.PersistentVolume]:
        """The volumes an unbound claim can be matched with (`find_best_match` rejects every other one):
        those whose claimRef names it, and, unless its class binds on first consumer (then the scheduler
        picks unbound volumes), the unclaimed ones of its class. Read from the indexes, so the cost is that
        of the candidates, not of every volume (nor of every bound volume of the class)."""
        key, name = claim_key(claim), claim_class(claim)
        cls = self.classes.get(name) if name else None
        delay = cls is not None and binding_mode(cls) == WAIT_FOR_FIRST_CONSUMER
        found = {v.metadata.name: v for v in self.volumes.by_index(CLAIM_REF, key)}
        if not delay:
            found.update((v.metadata.name, v) for v in self.volumes.by_index(UNCLAIMED, name))
        found.update(self._written_since(key, delay, found))
        return {n: self.assumed.latest(PV, n, v) for n, v in found.items()}

    def _written_since(self, key: str, delay: bool, found: Collection[str]) -> dict[str, core_pb2.PersistentVolume]:
        """Volumes the indexes (the informer) do not show as candidates yet while what this process wrote
        since makes them one: unclaimed again (an unbind), or claimed by this claim."""
        def candidate(v) -> bool:
            if v.spec.HasField("claim_ref"):
                return claimref_key(v.spec.claim_ref) == key
            return not delay

        out = {}
        for n in self.assumed.keys(PV, candidate):
            if n not in found and (cached := self.volumes.get(n)) is not None:
                out[n] = cached
        return out

    @property
    def provisioner_names(self) -> Collection[str]:
        return self.provisioners.names


class ClaimBinder:
    def __init__(self, ctx: BinderContext, effects: BinderEffects):
        self.ctx, self.effects = ctx, effects

    async def reconcile(self, key: str) -> Result | None:
        claim = self.ctx.claim(key)
        if claim is None:
            return None
        if claim.spec.volume_name or ANN_BIND_COMPLETED in claim.metadata.annotations:
            volume = self.ctx.volume(claim.spec.volume_name)  # bound or pre-bound: only its own volume matters
            volumes = {volume.metadata.name: volume} if volume is not None else {}
        else:
            volumes = self.ctx.candidate_volumes(claim)
        snapshot = ClaimSnapshot(claim, volumes, {c.metadata.name: c for c in self.ctx.classes.list()},
                                 self.ctx.pods.by_index(CLAIM, key), self.ctx.provisioner_names)
        actions = decide_claim(snapshot)
        log.debug("claim sync claim=%s phase=%s actions=%s", key, claim.status.phase, actions)
        await self.effects.apply_claim(claim, actions, snapshot.volumes)
        return Result(requeue_after=self.ctx.sync_period)

    def claims_of_volume(self, volume: core_pb2.PersistentVolume) -> list[str]:
        return [claimref_key(volume.spec.claim_ref)] if volume.spec.HasField("claim_ref") else []

    def unbound_claims(self, _class) -> list[str]:
        """A class appeared or changed: every claim still looking for a volume may be concerned."""
        return [f"{c.metadata.namespace}/{c.metadata.name}" for c in self.ctx.claims.list()
                if ANN_BIND_COMPLETED not in c.metadata.annotations]


class VolumeBinder:
    def __init__(self, ctx: BinderContext, effects: BinderEffects):
        self.ctx, self.effects = ctx, effects

    async def reconcile(self, name: str) -> Result | None:
        volume = self.ctx.volume(name)
        if volume is None:
            return None
        claim = None
        if volume.spec.HasField("claim_ref"):
            claim = await self._claim_of(volume)
        owner = self.ctx.provisioners.owner(volume)
        actions = decide_volume(VolumeSnapshot(volume, claim, external_deleter=owner is not None))
        log.debug("volume sync volume=%s phase=%s actions=%s", name, volume.status.phase, actions)
        await self.effects.apply_volume(volume, claim, actions)
        return Result(requeue_after=self.ctx.sync_period)

    async def _claim_of(self, volume: core_pb2.PersistentVolume) -> core_pb2.PersistentVolumeClaim | None:
        """The claim the claimRef names, with its uid; a missing or replaced claim is confirmed live first."""
        ref = volume.spec.claim_ref
        claim = self.ctx.claim(claimref_key(ref))
        if needs_claim_check(volume, claim):
            try:
                claim = await self.ctx.client.get(PVC, ref.name, ref.namespace)
            except ApiError as e:
                if not is_not_found(e):
                    raise
                claim = None
        if claim is not None and ref.uid and claim.metadata.uid != ref.uid:
            return None
        return claim

    def volumes_of_claim(self, claim: core_pb2.PersistentVolumeClaim) -> list[str]:
        key = f"{claim.metadata.namespace}/{claim.metadata.name}"
        names = {v.metadata.name for v in self.ctx.volumes.by_index(CLAIM_REF, key)}
        if claim.spec.volume_name:
            names.add(claim.spec.volume_name)
        return sorted(names)
