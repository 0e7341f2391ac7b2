"""What an owner claims: the objects it controls, the orphans it adopts and the ones it releases
(k/k `BaseControllerRefManager.ClaimObject`, used for a ReplicaSet's pods and a Deployment's ReplicaSets).

- controlled by another owner: ignored;
- controlled by this owner: kept while the selector matches, else released (unless the owner is being
  deleted);
- an orphan in the owner's namespace that matches and is not being deleted: adopted (unless the owner is
  being deleted).

Pure: the plumbing performs the writes (`ReplicaSetReconciler` and `DeploymentReconciler`: a fresh-read
can-adopt check, then the ownerReference patches).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from google.protobuf.message import Message

from kubelab.labels import Selector
from kubelab.meta import controller_of, is_terminating


__all__ = ["Claimed", "classify"]


@dataclass
class Claimed:
    owned: list = field(default_factory=list)
    adopt: list = field(default_factory=list)
    release: list = field(default_factory=list)


def classify(owner: Message, objects: Iterable[Message], selector: Selector) -> Claimed:
    out = Claimed()
    deleting = is_terminating(owner)
    for obj in objects:
        ref = controller_of(obj)
        matches = selector.matches(obj.metadata.labels)
        if ref is not None:
            if ref.uid != owner.metadata.uid:
                continue
            if matches:
                out.owned.append(obj)
            elif not deleting:
                out.release.append(obj)
            continue
        if deleting or not matches or is_terminating(obj) or obj.metadata.namespace != owner.metadata.namespace:
            continue
        out.adopt.append(obj)
    return out
