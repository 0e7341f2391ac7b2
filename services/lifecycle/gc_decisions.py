"""The garbage collector's decisions (k/k `pkg/controller/garbagecollector/garbagecollector.go`:
attemptToDeleteItem, classifyReferences, processDeletingDependentsItem, attemptToOrphanWorker). Pure.

For an object with ownerReferences, each owner is
- solid: it exists (same uid) and is not waiting for its dependents;
- dangling: it does not exist, or a different object (another uid) now has its name;
- waiting for dependents: it is being deleted in the foreground (deletionTimestamp + `foregroundDeletion`).

Then:
- some solid owner: keep the object, and drop the references to dangling and waiting owners (a waiting
  owner must not wait for a dependent that another owner keeps);
- no solid owner, some waiting owner, and the object has dependents of its own: delete it in the foreground
  too (the deletion cascades); if one of its dependents is itself waiting, first make its references
  non-blocking, so that a cycle cannot deadlock;
- otherwise delete it, honouring an `orphan` or `foregroundDeletion` finalizer it already carries
  (Background by default).

An owner deleted in the foreground keeps its `foregroundDeletion` finalizer until no dependent refers to it
with blockOwnerDeletion=true; an owner deleted with `orphan` first has its references removed from every
dependent, then loses the finalizer.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from google.protobuf.message import Message

from kubelab.api.v1 import meta_pb2
from kubelab.meta import copy_of

__all__ = [
    "FOREGROUND", "ORPHAN", "OwnerState", "Classified", "Keep", "RemoveOwnerRefs", "Delete", "classify",
    "attempt_to_delete", "deleting", "deleting_dependents", "orphaning", "deletion_policy", "blocking_dependents",
    "unblocked", "without_finalizer",
]

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


@dataclass(frozen=True)
class OwnerState:
    ref: meta_pb2.OwnerReference
    exists: bool
    deleting_dependents: bool = False


@dataclass
class Classified:
    solid: list = field(default_factory=list)
    dangling: list = field(default_factory=list)
    waiting: list = field(default_factory=list)


@dataclass(frozen=True)
class Keep:
    """Nothing to do."""


@dataclass(frozen=True)
class RemoveOwnerRefs:
    uids: tuple[str, ...]


@dataclass(frozen=True)
class Delete:
    policy: str
    """Background, Foreground or Orphan."""
    unblock_first: bool = False
    """Make the object's own ownerReferences non-blocking before deleting it (cycle breaker)."""


def deleting(obj: Message) -> bool:
    return obj.metadata.HasField("deletion_timestamp")


def deleting_dependents(obj: Message) -> bool:
    return deleting(obj) and FOREGROUND in obj.metadata.finalizers


def orphaning(obj: Message) -> bool:
    return deleting(obj) and ORPHAN in obj.metadata.finalizers


def classify(states: Iterable[OwnerState]) -> Classified:
    out = Classified()
    for s in states:
        if not s.exists:
            out.dangling.append(s.ref)
        elif s.deleting_dependents:
            out.waiting.append(s.ref)
        else:
            out.solid.append(s.ref)
    return out


def deletion_policy(obj: Message) -> str:
    finalizers = obj.metadata.finalizers
    if ORPHAN in finalizers:
        return "Orphan"
    if FOREGROUND in finalizers:
        return "Foreground"
    return "Background"


def attempt_to_delete(obj: Message, owners: Classified, dependents: Sequence[Message]):
    """What to do with an object that has ownerReferences and is not being deleted itself."""
    if owners.solid:
        if not owners.dangling and not owners.waiting:
            return Keep()
        return RemoveOwnerRefs(tuple(r.uid for r in owners.dangling + owners.waiting))
    if owners.waiting and dependents:
        return Delete("Foreground", unblock_first=any(deleting_dependents(d) for d in dependents))
    return Delete(deletion_policy(obj))


def blocking_dependents(owner_uid: str, dependents: Iterable[Message]) -> list[Message]:
    """Dependents that hold a foreground deletion of `owner_uid` (blockOwnerDeletion=true)."""
    return [d for d in dependents
            if any(r.uid == owner_uid and r.block_owner_deletion for r in d.metadata.owner_references)]


def unblocked(obj: Message) -> Message:
    out = copy_of(obj)
    for ref in out.metadata.owner_references:
        if ref.block_owner_deletion:
            ref.block_owner_deletion = False
    return out


def without_finalizer(obj: Message, name: str) -> Message:
    out = copy_of(obj)
    keep = [f for f in out.metadata.finalizers if f != name]
    del out.metadata.finalizers[:]
    out.metadata.finalizers.extend(keep)
    return out
