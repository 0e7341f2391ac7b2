"""What an owner claims: the objects it controls, the orphans it adopts and the ones it releases
(k/k `pkg/controller/controller_ref_manager.go`, BaseControllerRefManager.ClaimObject), for a
ReplicaSet's pods, a Deployment's ReplicaSets and a StatefulSet's pods and revisions.

- controlled by another owner: ignored;
- controlled by this owner: kept while `match` holds, else released (unless the owner is being deleted);
- an orphan in the owner's namespace that matches and is not being deleted: adopted (unless the owner is
  being deleted).

`claim_objects` is pure; before adopting, the plumbing awaits `check_can_adopt` (RecheckDeletionTimestamp:
a fresh read of the owner, not the cache) and then writes the copies `with_controller` / `without_owner`
return.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import grpc
from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.errors import ApiError
from kubelab.meta import controller_of, copy_of, is_terminating, new_controller_ref

__all__ = ["Claimed", "claim_objects", "check_can_adopt", "with_controller", "without_owner"]


@dataclass
class Claimed:
    owned: list = field(default_factory=list)
    adopt: list = field(default_factory=list)
    release: list = field(default_factory=list)


def claim_objects(owner: Message, objects: Iterable[Message], match: Callable[[Message], bool]) -> Claimed:
    """ClaimObject over `objects`: which the owner keeps, adopts and releases."""
    out = Claimed()
    deleting = is_terminating(owner)
    for obj in objects:
        ref = controller_of(obj)
        if ref is not None:
            if ref.uid != owner.metadata.uid:
                continue
            if match(obj):
                out.owned.append(obj)
            elif not deleting:
                out.release.append(obj)
            continue
        if deleting or is_terminating(obj) or obj.metadata.namespace != owner.metadata.namespace or not match(obj):
            continue
        out.adopt.append(obj)
    return out


def with_controller(obj: Message, owner: Message) -> Message:
    """A copy of an orphan with `owner` as its controller (AdoptPod's patch)."""
    out = copy_of(obj)
    out.metadata.owner_references.append(new_controller_ref(owner))
    return out


def without_owner(obj: Message, owner_uids: Iterable[str]) -> Message:
    """A copy without the ownerReferences to `owner_uids` (ReleasePod's patch)."""
    drop = set(owner_uids)
    out = copy_of(obj)
    keep = [r for r in out.metadata.owner_references if r.uid not in drop]
    del out.metadata.owner_references[:]
    out.metadata.owner_references.extend(keep)
    return out


async def check_can_adopt(client, owner: Message) -> None:
    """RecheckDeletionTimestamp: read the owner afresh (not the cache) and raise a Conflict when it is
    gone, replaced by another object of the same name, or being deleted: such an owner must not adopt."""
    kind = registry.kind_of(owner).kind
    key = f"{owner.metadata.namespace}/{owner.metadata.name}"
    fresh = await client.get(kind, owner.metadata.name, owner.metadata.namespace)
    if fresh.metadata.uid != owner.metadata.uid:
        raise ApiError(grpc.StatusCode.ABORTED, "Conflict", f"original {kind} {key} is gone: got uid "
                       f"{fresh.metadata.uid}, wanted {owner.metadata.uid}")
    if is_terminating(fresh):
        raise ApiError(grpc.StatusCode.ABORTED, "Conflict", f"{key} has just been deleted")
