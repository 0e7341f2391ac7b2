"""Claims, volumes and classes as the informers show them, overlaid with the scheduler's assumptions
(upstream volumebinding/assume_cache.go).

When a pod is reserved on a node, the volume plugin *assumes* what it is about to write: a PV whose
claimRef now points at the claim, or a claim annotated with the selected node. Later pods see the
assumed objects, so two pods never pick the same Available volume. An assumption ends when the
informer delivers a newer version of the object (the write landed, or someone else changed it) or
when the pod is unreserved (`restore_*`).

`wait_for` lets PreBind wait for claims to become bound without polling: the scheduler's informer
handlers call `notify(claim_key)` for every claim change and for every PV change naming a claim.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from kubelab.api.v1 import core_pb2, storage_pb2
from kubelab.meta import resource_version_of

__all__ = ["VolumeCache", "UNBOUND_INDEX", "CLAIM_REF_INDEX", "unbound_index", "claim_ref_index"]

UNBOUND_INDEX = "unboundVolumes"
CLAIM_REF_INDEX = "claimRef"


def unbound_index(pv: core_pb2.PersistentVolume) -> list[str]:
    """Volumes a claim could still be matched with: no claimRef, or pre-bound (claimRef without uid)."""
    if not pv.spec.HasField("claim_ref") or not pv.spec.claim_ref.name or not pv.spec.claim_ref.uid:
        return ["unbound"]
    return []


def claim_ref_index(pv: core_pb2.PersistentVolume) -> list[str]:
    """The claim a volume's claimRef names, `namespace/name`, with or without uid."""
    ref = pv.spec.claim_ref
    return [f"{ref.namespace}/{ref.name}"] if pv.spec.HasField("claim_ref") and ref.name else []


class VolumeCache:
    def __init__(self, pvcs, pvs, classes):
        """`pvcs`, `pvs`, `classes`: informers (or anything with get(key) and by_index(name, value))."""
        self._pvcs, self._pvs, self._classes = pvcs, pvs, classes
        for name, fn in ((UNBOUND_INDEX, unbound_index), (CLAIM_REF_INDEX, claim_ref_index)):
            if hasattr(pvs, "add_indexer") and name not in getattr(pvs, "_indexers", {}):
                pvs.add_indexer(name, fn)
        self._assumed_pvs: dict[str, tuple[core_pb2.PersistentVolume, int]] = {}
        self._assumed_pvcs: dict[str, tuple[core_pb2.PersistentVolumeClaim, int]] = {}
        self._waiters: dict[str, set[asyncio.Event]] = {}

    # --- reading -------------------------------------------------------------------------------------

    @staticmethod
    def _overlay(assumed: dict, key: str, real):
        entry = assumed.get(key)
        if entry is None:
            return real
        obj, base = entry
        if real is None or resource_version_of(real) > base:
            del assumed[key]
            return real
        return obj

    def pvc(self, namespace: str, name: str) -> core_pb2.PersistentVolumeClaim | None:
        key = f"{namespace}/{name}"
        return self._overlay(self._assumed_pvcs, key, self._pvcs.get(key))

    def pv(self, name: str) -> core_pb2.PersistentVolume | None:
        return self._overlay(self._assumed_pvs, name, self._pvs.get(name))

    def storage_class(self, name: str) -> storage_pb2.StorageClass | None:
        return self._classes.get(name) if name else None

    def unbound_pvs(self) -> list[core_pb2.PersistentVolume]:
        out = []
        for pv in self._pvs.by_index(UNBOUND_INDEX, "unbound"):
            out.append(self._overlay(self._assumed_pvs, pv.metadata.name, pv))
        return out

    def candidate_pvs(self, claim_keys: list[str]) -> list[core_pb2.PersistentVolume]:
        """The volumes the claims (`namespace/name`) may be matched with: the unbound ones, and those whose
        claimRef names one of the claims, uid or not (pre-bound: FindMatchingVolume takes it first, as the
        binder does). Upstream lists every volume of the claim's class; an index keeps it to these."""
        found = {pv.metadata.name: pv for pv in self.unbound_pvs()}
        for key in claim_keys:
            for pv in self._pvs.by_index(CLAIM_REF_INDEX, key):
                if pv.metadata.name not in found:
                    found[pv.metadata.name] = self._overlay(self._assumed_pvs, pv.metadata.name, pv)
        return list(found.values())

    # --- assumptions ---------------------------------------------------------------------------------

    def assume_pv(self, pv: core_pb2.PersistentVolume) -> None:
        real = self._pvs.get(pv.metadata.name)
        self._assumed_pvs[pv.metadata.name] = (pv, resource_version_of(real) if real is not None else -1)

    def assume_pvc(self, pvc: core_pb2.PersistentVolumeClaim) -> None:
        key = f"{pvc.metadata.namespace}/{pvc.metadata.name}"
        real = self._pvcs.get(key)
        self._assumed_pvcs[key] = (pvc, resource_version_of(real) if real is not None else -1)

    def restore_pv(self, name: str) -> None:
        self._assumed_pvs.pop(name, None)

    def restore_pvc(self, key: str) -> None:
        self._assumed_pvcs.pop(key, None)

    # --- waiting for the binder ----------------------------------------------------------------------

    def notify(self, claim_key: str) -> None:
        for ev in self._waiters.get(claim_key, ()):
            ev.set()

    async def wait_for(self, claim_keys: list[str], done: Callable[[], bool], timeout: float) -> bool:
        """Wait until `done()` (re-checked whenever one of the claims or their volumes changes), at most
        `timeout` seconds; whether it became true. `done` may raise to give up early."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        ev = asyncio.Event()
        for key in claim_keys:
            self._waiters.setdefault(key, set()).add(ev)
        try:
            while not done():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                ev.clear()
                try:
                    async with asyncio.timeout(remaining):  # not wait_for, which can swallow a cancel (3.11)
                        await ev.wait()
                except TimeoutError:
                    return done()
            return True
        finally:
            for key in claim_keys:
                waiters = self._waiters.get(key)
                if waiters is not None:
                    waiters.discard(ev)
                    if not waiters:
                        del self._waiters[key]
