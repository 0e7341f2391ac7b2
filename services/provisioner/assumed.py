"""Objects this process just wrote, newer than what the informer has delivered yet.

A controller that writes a claim and, a moment later, reads it from its informer would see the old
version and act on it again (and hit a conflict). The PV controller avoids that by putting what it
wrote into its own cache (`storeObjectUpdate`); here `Assumed` sits beside the read-only informer
cache: `latest(key, cached)` answers whichever of the two is newer, and forgets an entry as soon as the
informer has caught up or the object is gone from it.
"""
from __future__ import annotations

from collections.abc import Callable

from google.protobuf.message import Message

from kubelab.meta import copy_of, resource_version_of

__all__ = ["Assumed"]


class Assumed:
    def __init__(self, limit: int = 10000):
        self._objects: dict[tuple[str, str], Message] = {}
        self.limit = limit

    def remember(self, kind: str, key: str, obj: Message) -> None:
        if len(self._objects) >= self.limit:
            self._objects.pop(next(iter(self._objects)))
        self._objects[(kind, key)] = obj

    def latest(self, kind: str, key: str, cached: Message | None) -> Message | None:
        """The newer of the informer's copy and what we wrote; the informer's absence wins (deleted)."""
        mine = self._objects.get((kind, key))
        if mine is None:
            return cached
        if (cached is None or resource_version_of(cached) >= resource_version_of(mine)
                or cached.metadata.uid != mine.metadata.uid):
            del self._objects[(kind, key)]
            return cached
        out = copy_of(mine)
        return out

    def keys(self, kind: str, where: Callable[[Message], bool] = lambda _: True) -> list[str]:
        """Keys of the objects of `kind` remembered now whose remembered copy satisfies `where` (which must
        not change it); `latest` tells whether that copy is still the newer one."""
        return [key for (k, key), obj in self._objects.items() if k == kind and where(obj)]

    def __len__(self) -> int:
        return len(self._objects)
