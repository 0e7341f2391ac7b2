"""The namespace controller's decisions (k/k `pkg/controller/namespace/deletion`), pure: what to delete in a
terminating namespace, what remains, the status conditions that say so, and whether to wait or finalize.

A sync lists every namespaced kind in the namespace, deletes what is not being deleted yet, and summarises
what is left (`Remaining`): instances per resource, per finalizer, and an estimate of how long pods will
take (their grace period) or finalizers (15 s, upstream's guess). Nothing left: the namespace is finalized
(`kubernetes` removed from spec.finalizers, after which the API server removes it).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from google.protobuf.message import Message

from kubelab.api.registry import KindInfo
from kubelab.api.v1 import meta_pb2
from kubelab.meta import copy_of

__all__ = ["FINALIZER", "FINALIZER_ESTIMATE", "Listed", "Remaining", "terminating", "finalized", "to_delete",
           "estimate", "remaining", "new_conditions", "with_conditions", "without_finalizer", "requeue_after",
           "CONDITION_TYPES"]

FINALIZER = "kubernetes"
FINALIZER_ESTIMATE = 15
"""Seconds to wait for objects held by finalizers (upstream's finalizerEstimateSeconds)."""
DEFAULT_GRACE = 30
"""A pod's terminationGracePeriodSeconds when unset (the API server's default)."""

DISCOVERY_FAILURE = "NamespaceDeletionDiscoveryFailure"
GV_PARSING_FAILURE = "NamespaceDeletionGVParsingFailure"
CONTENT_FAILURE = "NamespaceDeletionContentFailure"
CONTENT_REMAINING = "NamespaceContentRemaining"
FINALIZERS_REMAINING = "NamespaceFinalizersRemaining"
CONDITION_TYPES = (DISCOVERY_FAILURE, GV_PARSING_FAILURE, CONTENT_FAILURE, CONTENT_REMAINING, FINALIZERS_REMAINING)

_OKAY = {  # reason and message of each condition type when all is well (status "False")
    DISCOVERY_FAILURE: ("ResourcesDiscovered", "All resources successfully discovered"),
    GV_PARSING_FAILURE: ("ParsedGroupVersions", "All legacy kube types successfully parsed"),
    CONTENT_FAILURE: ("ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    CONTENT_REMAINING: ("ContentRemoved", "All content successfully removed"),
    FINALIZERS_REMAINING: ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


@dataclass(frozen=True)
class Listed:
    """One kind's objects in the namespace after the sync's deletes, the estimate taken before them, and
    what went wrong deleting or listing them."""
    info: KindInfo
    items: tuple[Message, ...] = ()
    estimate: int = 0
    error: str = ""


@dataclass(frozen=True)
class Remaining:
    by_resource: dict[str, int] = field(default_factory=dict)
    """`pods.` / `deployments.apps` -> instances left (Kubernetes' `resource.group`)."""
    by_finalizer: dict[str, int] = field(default_factory=dict)
    estimate: int = 0
    """Seconds until the content is likely gone (0: nothing to wait for)."""
    errors: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.by_resource and not self.errors


def terminating(ns: Message | None) -> bool:
    return ns is not None and ns.metadata.HasField("deletion_timestamp")


def finalized(ns: Message) -> bool:
    """Our finalizer is gone: the namespace waits only for others' (or for the API server)."""
    return FINALIZER not in ns.spec.finalizers


def to_delete(items: Iterable[Message]) -> list[Message]:
    """Objects not being deleted yet (those already terminating need no second request)."""
    return [o for o in items if not o.metadata.HasField("deletion_timestamp")]


def estimate(info: KindInfo, items: Iterable[Message]) -> int:
    """Pods take up to the longest grace period of those still running; other kinds go at once."""
    if info.kind != "Pod":
        return 0
    graces = [p.spec.termination_grace_period_seconds if p.spec.HasField("termination_grace_period_seconds")
              else DEFAULT_GRACE for p in items if p.status.phase not in ("Succeeded", "Failed")]
    return max(graces, default=0)


def remaining(listed: Iterable[Listed]) -> Remaining:
    by_resource: dict[str, int] = {}
    by_finalizer: dict[str, int] = {}
    errors, longest = [], 0
    for entry in listed:
        if entry.error:
            errors.append(entry.error)
        longest = max(longest, entry.estimate)
        if not entry.items:
            continue
        by_resource[f"{entry.info.plural}.{entry.info.group}"] = len(entry.items)
        held = 0
        for obj in entry.items:
            for f in obj.metadata.finalizers:
                by_finalizer[f] = by_finalizer.get(f, 0) + 1
                held += 1
        if held and not entry.estimate:
            longest = max(longest, FINALIZER_ESTIMATE)
    return Remaining(by_resource, by_finalizer, longest, tuple(errors))


def requeue_after(rem: Remaining) -> float | None:
    """Seconds until the next look (upstream: estimate/2 + 1); 0: retry with backoff (objects remain with
    nothing to wait for, or something failed); None: the namespace is empty, finalize it."""
    if rem.empty:
        return None
    if rem.errors or not rem.estimate:
        return 0
    return rem.estimate / 2 + 1


def _condition(ctype: str, failed: bool, reason: str, message: str, now: float) -> meta_pb2.Condition:
    c = meta_pb2.Condition(type=ctype, status="True" if failed else "False", reason=reason, message=message)
    c.last_transition_time.FromNanoseconds(int(now * 1e9))
    return c


def new_conditions(rem: Remaining, now: float) -> list[meta_pb2.Condition]:
    """All five of upstream's condition types; discovery and group-version parsing cannot fail here (the
    kinds are a fixed registry)."""
    failed: dict[str, tuple[str, str]] = {}
    if rem.errors:
        failed[CONTENT_FAILURE] = ("ContentDeletionFailed", f"Failed to delete all resource types, "
                                   f"{len(rem.errors)} remaining: {_aggregate(rem.errors)}")
    if rem.by_resource:
        parts = sorted(f"{r} has {n} resource instances" for r, n in rem.by_resource.items())
        failed[CONTENT_REMAINING] = ("SomeResourcesRemain", "Some resources are remaining: " + ", ".join(parts))
    if rem.by_finalizer:
        parts = sorted(f"{f} in {n} resource instances" for f, n in rem.by_finalizer.items())
        failed[FINALIZERS_REMAINING] = ("SomeFinalizersRemain",
                                        "Some content in the namespace has finalizers remaining: " + ", ".join(parts))
    out = []
    for ctype in CONDITION_TYPES:
        reason, message = failed.get(ctype) or _OKAY[ctype]
        out.append(_condition(ctype, ctype in failed, reason, message, now))
    return out


def _aggregate(errors: tuple[str, ...]) -> str:
    """utilerrors.NewAggregate's text: one error as is, several in brackets."""
    return errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]"


def with_conditions(ns: Message, conditions: list[meta_pb2.Condition]) -> Message | None:
    """A copy of `ns` carrying `conditions`, or None when only their timestamps would change."""
    out = copy_of(ns)
    changed = False
    for new in conditions:
        old = next((c for c in out.status.conditions if c.type == new.type), None)
        if old is None:
            out.status.conditions.append(new)
            changed = True
        elif (old.status, old.reason, old.message) != (new.status, new.reason, new.message):
            old.CopyFrom(new)
            changed = True
    return out if changed else None


def without_finalizer(ns: Message) -> Message:
    out = copy_of(ns)
    kept = [f for f in out.spec.finalizers if f != FINALIZER]
    del out.spec.finalizers[:]
    out.spec.finalizers.extend(kept)
    return out
