"""Writing a StatefulSet's status (k/k `stateful_set_status_updater.go`).

Only when something changed (`inconsistent_status`). A conflict is not retried in place: it raises, the
sync is requeued, and the next one recomputes the status from a fresh snapshot.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.api.v1 import apps_pb2
from kubelab.meta import copy_of
from services.statefulset.status import inconsistent_status


__all__ = ["StatusUpdater"]

log = logging.getLogger(__name__)


class StatusUpdater:
    def __init__(self, client, on_write: Callable[[str, Message], None] = lambda k, o: None):
        self.client, self.on_write = client, on_write

    async def update_status(self, sts: apps_pb2.StatefulSet, status: apps_pb2.StatefulSetStatus) -> bool:
        """Write `status` if it differs from the set's; True if it was written."""
        if not inconsistent_status(sts, status):
            return False
        new = copy_of(sts)
        new.status.CopyFrom(status)
        updated = await self.client.update_status(new)
        self.on_write("StatefulSet", updated)
        log.debug("updated status statefulset=%s/%s replicas=%d ready=%d current=%d updated=%d available=%d "
                  "current_revision=%s update_revision=%s", sts.metadata.namespace, sts.metadata.name,
                  status.replicas, status.ready_replicas, status.current_replicas, status.updated_replicas,
                  status.available_replicas, status.current_revision, status.update_revision)
        return True
