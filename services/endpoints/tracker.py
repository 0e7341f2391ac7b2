"""Expectations for our own writes (the idea of staging `k8s.io/endpointslice` `endpointslice_tracker.go`
and the Endpoints controller's staleEndpointsTracker): after writing a Service's slices or Endpoints,
its next sync waits until the informer cache shows those writes, so a lagging cache never makes it
create a second slice or undo its own update.

resourceVersions are one global counter and a delete answers with the deletion's version, so "the cache
has caught up" is simply: the informer's resourceVersion has reached the highest version we wrote for
that Service. A write whose watch event never comes (a lost stream) is waited for at most
`timeout` seconds.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.meta import parse_resource_version

__all__ = ["WriteTracker", "CACHE_WAIT_TIMEOUT"]

log = logging.getLogger(__name__)

CACHE_WAIT_TIMEOUT = 30.0


class WriteTracker:
    def __init__(self, kind: str, monotonic: Callable[[], float] = time.monotonic,
                 timeout: float = CACHE_WAIT_TIMEOUT):
        self.kind, self.monotonic, self.timeout = kind, monotonic, timeout
        self._writes: dict[str, tuple[float, int]] = {}

    def wrote(self, key: str, obj: Message) -> None:
        """Remember the version of an object written (created, updated or deleted) for Service `key`."""
        since, rv = self._writes.get(key, (self.monotonic(), 0))
        self._writes[key] = (since, max(rv, parse_resource_version(obj.metadata.resource_version, 0)))

    def caught_up(self, key: str, cache_version: str) -> bool:
        """Whether a cache at `cache_version` shows every write for `key` (forgetting them if so)."""
        since, rv = self._writes.get(key, (0.0, 0))
        if parse_resource_version(cache_version, 0) >= rv:
            self._writes.pop(key, None)
            return True
        if self.monotonic() - since > self.timeout:
            log.warning("cache did not catch up with our writes, syncing anyway service=%s kind=%s written=%d "
                        "cache=%s", key, self.kind, rv, cache_version)
            self._writes.pop(key, None)
            return True
        return False

    def forget(self, key: str) -> None:
        self._writes.pop(key, None)
