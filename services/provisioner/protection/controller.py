"""The pvc-protection and pv-protection controllers: add the finalizer, remove it once it is safe.

A claim is in use while a scheduled pod references it. The informer is asked first; before the
finalizer goes, a live list of the namespace's pods confirms that no pod uses it (`askAPIServer`),
because a pod created a moment ago may not have reached the cache yet.
"""
from __future__ import annotations

import logging

from kubelab.controller import Result
from kubelab.errors import ApiError, is_not_found
from kubelab.informer import split_key
from kubelab.storage.volume import PV_PROTECTION, PVC_PROTECTION

from services.provisioner.indexes import CLAIM
from services.provisioner.protection.decision import (
    ADD, REMOVE, claim_finalizer_action, pod_uses_claim, volume_finalizer_action,
)

__all__ = ["ClaimProtection", "VolumeProtection"]

log = logging.getLogger(__name__)


def _ignore_not_found(e: ApiError) -> None:
    if not is_not_found(e):
        raise e


class ClaimProtection:
    def __init__(self, client, informers):
        self.client = client
        self.claims = informers.informer("PersistentVolumeClaim")
        self.pods = informers.informer("Pod")

    async def reconcile(self, key: str) -> Result | None:
        claim = self.claims.get(key)
        if claim is None:
            return None
        action = claim_finalizer_action(claim, self.pods.by_index(CLAIM, key))
        if action == REMOVE:
            namespace, _ = split_key(key)
            live, _rv = await self.client.list("Pod", namespace)
            if any(pod_uses_claim(p, claim) for p in live):
                log.info("claim still in use, keeping finalizer claim=%s", key)
                return None  # the pod's arrival in the cache re-queues the claim
        if action == ADD:
            claim.metadata.finalizers.append(PVC_PROTECTION)
        elif action == REMOVE:
            claim.metadata.finalizers.remove(PVC_PROTECTION)
        else:
            return None
        try:
            await self.client.update(claim)
        except ApiError as e:
            _ignore_not_found(e)
        log.info("%s finalizer claim=%s finalizer=%s", "added" if action == ADD else "removed", key, PVC_PROTECTION)
        return None


class VolumeProtection:
    def __init__(self, client, informers):
        self.client = client
        self.volumes = informers.informer("PersistentVolume")

    async def reconcile(self, name: str) -> Result | None:
        volume = self.volumes.get(name)
        if volume is None:
            return None
        action = volume_finalizer_action(volume)
        if action == ADD:
            volume.metadata.finalizers.append(PV_PROTECTION)
        elif action == REMOVE:
            volume.metadata.finalizers.remove(PV_PROTECTION)
        else:
            return None
        try:
            await self.client.update(volume)
        except ApiError as e:
            _ignore_not_found(e)
        log.info("%s finalizer volume=%s finalizer=%s", "added" if action == ADD else "removed", name, PV_PROTECTION)
        return None
