"""Which pods and revisions a StatefulSet owns, adopts and releases (k/k `ControllerRefManager.ClaimObject`,
`ClaimPods` with the `isMemberOf` filter). Pure: the plumbing performs the writes.

- a pod controlled by another owner is ignored;
- a pod the set controls stays owned while it matches the selector and its name parses to the set's
  name; otherwise it is released (its ownerReference removed), unless the set is being deleted;
- an orphan that matches (selector and name) is adopted, unless it or the set is being deleted.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from google.protobuf.message import Message

from kubelab.api.v1 import apps_pb2, core_pb2
from kubelab.labels import Selector
from kubelab.meta import controller_of, copy_of, new_controller_ref
from services.statefulset.utils import is_member_of

__all__ = ["Claimed", "classify", "classify_pods", "with_owner", "without_owner"]


@dataclass
class Claimed:
    owned: list = field(default_factory=list)
    adopt: list = field(default_factory=list)
    release: list = field(default_factory=list)


def classify(sts: apps_pb2.StatefulSet, objects: Iterable[Message], match: Callable[[Message], bool]) -> Claimed:
    out = Claimed()
    deleting = sts.metadata.HasField("deletion_timestamp")
    for obj in objects:
        if obj.metadata.namespace != sts.metadata.namespace:
            continue
        ref = controller_of(obj)
        if ref is not None:
            if ref.uid != sts.metadata.uid:
                continue
            if match(obj):
                out.owned.append(obj)
            elif not deleting:
                out.release.append(obj)
            continue
        if deleting or not match(obj) or obj.metadata.HasField("deletion_timestamp"):
            continue
        out.adopt.append(obj)
    return out


def classify_pods(sts: apps_pb2.StatefulSet, pods: Iterable[core_pb2.Pod], selector: Selector) -> Claimed:
    return classify(sts, pods, lambda p: selector.matches(p.metadata.labels) and is_member_of(sts, p))


def with_owner(obj: Message, sts: apps_pb2.StatefulSet) -> Message:
    """A copy of an orphan with the set as its controller."""
    out = copy_of(obj)
    out.metadata.owner_references.append(new_controller_ref(sts))
    return out


def without_owner(obj: Message, sts: apps_pb2.StatefulSet) -> Message:
    """A copy without the set's ownerReference."""
    out = copy_of(obj)
    refs = [r for r in out.metadata.owner_references if r.uid != sts.metadata.uid]
    del out.metadata.owner_references[:]
    out.metadata.owner_references.extend(refs)
    return out
