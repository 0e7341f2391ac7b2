"""ControllerRevision writes (k/k `history.realHistory`): create under a collision-free name, bring an
older revision forward (rollback), adopt orphans, delete old history."""
from __future__ import annotations

import logging
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.api.v1 import apps_pb2
from kubelab.errors import ApiError, is_already_exists, is_not_found
from kubelab.controller_ref_manager import with_controller
from kubelab.meta import copy_of
from services.statefulset import history as hist


__all__ = ["HistoryControl"]

log = logging.getLogger(__name__)

MAX_COLLISIONS = 100


class HistoryControl:
    def __init__(self, client, on_write: Callable[[str, Message], None] = lambda k, o: None):
        self.client, self.on_write = client, on_write

    async def realize(self, sts: apps_pb2.StatefulSet, choice: hist.RevisionChoice,
                      collision_count: int) -> tuple[apps_pb2.ControllerRevision, int]:
        """The update revision as stored, and the collision count (raised by name collisions)."""
        if choice.bump_to:
            return await self.renumber(choice.update, choice.bump_to), collision_count
        if not choice.create:
            return choice.update, collision_count
        return await self.create(sts, choice.update, collision_count)

    async def create(self, sts, rev: apps_pb2.ControllerRevision, collision_count: int):
        """Create `rev`; a name taken by other data means a hash collision: count it and rename."""
        clone = copy_of(rev)
        for _ in range(MAX_COLLISIONS):
            clone.metadata.name = hist.revision_name(sts.metadata.name, hist.hash_revision(rev.data, collision_count))
            try:
                created = await self.client.create(clone)
            except ApiError as e:
                if not is_already_exists(e):
                    raise
                existing = await self.client.get("ControllerRevision", clone.metadata.name, sts.metadata.namespace)
                if hist.canonical_json(existing.data) == hist.canonical_json(clone.data):
                    return existing, collision_count
                collision_count += 1
                log.info("controller revision name collision statefulset=%s/%s name=%s collision_count=%d",
                         sts.metadata.namespace, sts.metadata.name, clone.metadata.name, collision_count)
                continue
            self.on_write("ControllerRevision", created)
            log.info("created controller revision statefulset=%s/%s revision=%s number=%d", sts.metadata.namespace,
                     sts.metadata.name, created.metadata.name, created.revision)
            return created, collision_count
        raise RuntimeError(f"no free ControllerRevision name for {sts.metadata.name} after {MAX_COLLISIONS} collisions")

    async def renumber(self, rev: apps_pb2.ControllerRevision, number: int) -> apps_pb2.ControllerRevision:
        clone = copy_of(rev)
        clone.revision = number
        updated = await self.client.update(clone)
        self.on_write("ControllerRevision", updated)
        log.info("rolled back to controller revision revision=%s/%s number=%d", rev.metadata.namespace,
                 rev.metadata.name, number)
        return updated

    async def adopt(self, sts, rev: apps_pb2.ControllerRevision) -> apps_pb2.ControllerRevision:
        updated = await self.client.update(with_controller(rev, sts))
        self.on_write("ControllerRevision", updated)
        return updated

    async def delete(self, revs: list[apps_pb2.ControllerRevision]) -> None:
        for rev in revs:
            try:
                obj, _ = await self.client.delete("ControllerRevision", rev.metadata.name, rev.metadata.namespace,
                                                  uid=rev.metadata.uid or None)
            except ApiError as e:
                if is_not_found(e):
                    continue
                raise
            self.on_write("ControllerRevision", obj)
            log.info("deleted old controller revision revision=%s/%s number=%d", rev.metadata.namespace,
                     rev.metadata.name, rev.revision)
