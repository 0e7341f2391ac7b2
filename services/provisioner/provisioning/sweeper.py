"""The orphan sweep: directories the provisioners made whose volume will never exist.

A provisioner killed between making a directory and creating the PV leaves a directory behind; if the
claim is deleted before it restarts, nothing would ever use or remove it. While leading, the sweep
looks at every directory named like a provisioned volume (`pvc-<uid>`) once at start and then every
`period` seconds, and removes those with no PV, no PV pointing at them, no claim still waiting for
them and no provisioning in flight, after confirming with a live GET that the PV really is absent.
"""
from __future__ import annotations

import asyncio
import logging

from kubelab.errors import ApiError, is_not_found

from services.provisioner.provisioning.decision import find_orphans
from services.provisioner.provisioning.plugin import ProvisionerSet, VolumeDir, remove_dir

__all__ = ["OrphanSweeper"]

log = logging.getLogger(__name__)


class OrphanSweeper:
    def __init__(self, client, informers, provisioners: ProvisionerSet, in_flight: set[str], period: float,
                 stopping: asyncio.Event | None = None):
        self.client, self.provisioners, self.in_flight, self.period = client, provisioners, in_flight, period
        self.stopping = stopping or asyncio.Event()
        self.volumes = informers.informer("PersistentVolume")
        self.claims = informers.informer("PersistentVolumeClaim")
        self.removed = 0

    async def run(self) -> None:
        """Sweep after the caches have synced, then every `period` seconds, until stopping or cancelled."""
        await self.volumes.wait_for_cache_sync()
        await self.claims.wait_for_cache_sync()
        while not self.stopping.is_set():
            try:
                await self.sweep()
            except (ApiError, OSError) as e:
                log.warning("orphan sweep failed error=%s", e)
            try:
                async with asyncio.timeout(self.period):  # not wait_for, which can swallow a cancel (3.11)
                    await self.stopping.wait()
            except TimeoutError:
                pass

    def _dirs(self) -> list[VolumeDir]:
        return [d for p in self.provisioners.all for d in p.volume_dirs()]

    async def sweep(self) -> int:
        dirs = await asyncio.to_thread(self._dirs)  # the disk first: a volume made meanwhile is in the caches
        volumes = self.volumes.list()
        used = {path for v in volumes for p in self.provisioners.all if (path := p.volume_dir(v)) is not None}
        removed = 0
        for orphan in find_orphans(dirs, volumes, used, self.claims.list(), self.in_flight):
            try:
                await self.client.get("PersistentVolume", orphan.volume_name)
                continue  # the cache was behind: the volume exists
            except ApiError as e:
                if not is_not_found(e):
                    raise
            if orphan.volume_name in self.in_flight:
                continue
            log.info("removing orphan volume directory volume=%s path=%s", orphan.volume_name, orphan.path)
            await remove_dir(orphan.path)
            removed += 1
        self.removed += removed
        return removed
