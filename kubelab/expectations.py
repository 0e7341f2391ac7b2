"""Controller expectations: creates and deletes issued but not yet seen in the informer cache.

A controller that creates 3 pods and reconciles again before its cache has seen them would count 0
pods and create 3 more. So, as client-go's `ControllerExpectations` (pkg/controller/controller_utils.go)
does for the ReplicaSet controller, it records what it expects before acting
(`expect_creations(key, 3)`), the pod handlers lower the count as the cache catches up
(`creation_observed(key)`), and reconcile only acts when `satisfied(key)`. Expectations older than
`EXPECTATIONS_TIMEOUT` (5 minutes) count as satisfied, so a create whose watch event is lost (or
that failed without `creation_observed`) cannot wedge the controller forever.

`UIDTrackingExpectations` also remembers *which* pods it expects to disappear, so that a pod seen
deleted twice (an update with deletionTimestamp, then the delete) lowers the count once.

Pure logic: time comes from an injectable clock (monotonic seconds).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["EXPECTATIONS_TIMEOUT", "Expectation", "ControllerExpectations", "UIDTrackingExpectations"]

log = logging.getLogger(__name__)

EXPECTATIONS_TIMEOUT = 5 * 60.0
"""client-go's ExpectationsTimeout: after this long, unmet expectations no longer block a sync."""


@dataclass
class Expectation:
    """Outstanding creations (`add`) and deletions (`delete`) for one controller key."""

    add: int = 0
    delete: int = 0
    timestamp: float = 0.0
    """When the expectations were set, on the clock of the owning ControllerExpectations."""

    def fulfilled(self) -> bool:
        # Counts may go negative when a controller observes more than it expected (a user
        # created a pod by hand); that still counts as fulfilled.
        return self.add <= 0 and self.delete <= 0


class ControllerExpectations:
    """Expected creations/deletions per controller key (`namespace/name`)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, timeout: float = EXPECTATIONS_TIMEOUT):
        self._clock = clock
        self.timeout = timeout
        self._store: dict[str, Expectation] = {}

    def get(self, key: str) -> Expectation | None:
        return self._store.get(key)

    def satisfied(self, key: str) -> bool:
        """True if the controller may act on `key`: nothing outstanding, expired, or never set."""
        exp = self._store.get(key)
        if exp is None:
            return True  # a new controller, or one whose expectations were deleted
        if exp.fulfilled():
            return True
        if self._clock() - exp.timestamp > self.timeout:
            log.info("expectations expired key=%s add=%d delete=%d", key, exp.add, exp.delete)
            return True
        return False

    def set_expectations(self, key: str, add: int, delete: int) -> None:
        """Replace what `key` expects, restarting its timeout."""
        self._store[key] = Expectation(add, delete, self._clock())

    def expect_creations(self, key: str, adds: int) -> None:
        self.set_expectations(key, adds, 0)

    def expect_deletions(self, key: str, dels: int) -> None:
        self.set_expectations(key, 0, dels)

    def raise_expectations(self, key: str, add: int, delete: int) -> None:
        exp = self._store.get(key)
        if exp is not None:
            exp.add += add
            exp.delete += delete

    def lower_expectations(self, key: str, add: int, delete: int) -> None:
        exp = self._store.get(key)
        if exp is not None:
            exp.add -= add
            exp.delete -= delete

    def creation_observed(self, key: str) -> None:
        """A pod of `key` appeared in the cache (or its create failed: it never will)."""
        self.lower_expectations(key, 1, 0)

    def deletion_observed(self, key: str) -> None:
        """A pod of `key` disappeared from the cache (or its delete failed)."""
        self.lower_expectations(key, 0, 1)

    def delete_expectations(self, key: str) -> None:
        """Forget `key` entirely, e.g. when its controller object is deleted."""
        self._store.pop(key, None)

    def __len__(self) -> int:
        return len(self._store)


class UIDTrackingExpectations(ControllerExpectations):
    """ControllerExpectations that remember which pods are expected to go (client-go's
    UIDTrackingControllerExpectations, keyed here by pod key or uid as the caller chooses)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, timeout: float = EXPECTATIONS_TIMEOUT):
        super().__init__(clock, timeout)
        self._deleting: dict[str, set[str]] = {}

    def expect_pod_deletions(self, key: str, pod_keys: Iterable[str]) -> None:
        pods = set(pod_keys)
        self._deleting[key] = pods
        self.expect_deletions(key, len(pods))

    def pod_deletion_observed(self, key: str, pod_key: str) -> None:
        """Lower the deletions of `key` once per pod, however often its deletion is observed."""
        pods = self._deleting.get(key)
        if pods is not None and pod_key in pods:
            pods.discard(pod_key)
            self.deletion_observed(key)

    def deleting(self, key: str) -> frozenset[str]:
        return frozenset(self._deleting.get(key, ()))

    def delete_expectations(self, key: str) -> None:
        super().delete_expectations(key)
        self._deleting.pop(key, None)
