"""ControllerRevisions of a StatefulSet, pure (k/k `pkg/controller/history` and the revision helpers of
`stateful_set_utils.go`).

A revision stores the patch that restores the set's pod template:
`{"spec": {"template": {..., "$patch": "replace"}}}` in `data` (a Struct holding that JSON). Its name is
`<set>-<hash>`: FNV-32 over the patch's canonical JSON (plus the collision count, when there is one),
written as decimal and then spelled with Kubernetes' "safe" alphabet, as `rand.SafeEncodeString` does.
The hash is also the revision's `controller.kubernetes.io/hash` label.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from google.protobuf import json_format, struct_pb2

from kubelab import manifest
from kubelab.api.v1 import apps_pb2
from kubelab.meta import copy_of, new_controller_ref


__all__ = ["HASH_LABEL", "revision_patch", "hash_revision", "revision_name", "new_revision", "apply_revision",
           "template_of", "equal_revision", "find_equal_revisions", "sort_revisions", "next_revision_number",
           "safe_encode", "fnv32", "canonical_json", "RevisionChoice", "choose_update_revision", "current_revision",
           "revisions_to_truncate"]

HASH_LABEL = "controller.kubernetes.io/hash"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery rand: no vowels, no confusable digits


def fnv32(data: bytes) -> int:
    """FNV-1 (not 1a), 32 bits: Go's hash/fnv New32."""
    h = 0x811C9DC5
    for b in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= b
    return h


def safe_encode(s: str) -> str:
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in s)



def canonical_json(data: dict | struct_pb2.Struct) -> bytes:
    if isinstance(data, struct_pb2.Struct):
        data = json_format.MessageToDict(data)
    return json.dumps(manifest.plain_numbers(data), sort_keys=True, separators=(",", ":")).encode()


def revision_patch(sts: apps_pb2.StatefulSet) -> dict:
    # compact: the form the revision names were always hashed from, so they stay the same
    template = manifest.to_dict(sts, compact=True)["spec"].get("template", {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def hash_revision(patch: dict | struct_pb2.Struct, collision_count: int | None) -> str:
    data = canonical_json(patch)
    if collision_count is not None:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32(data)))


def revision_name(set_name: str, hash_: str) -> str:
    return f"{set_name[:223]}-{hash_}"


def new_revision(sts: apps_pb2.StatefulSet, number: int, collision_count: int | None) -> apps_pb2.ControllerRevision:
    """The revision that records the set's current template (not yet created)."""
    patch = revision_patch(sts)
    h = hash_revision(patch, collision_count)
    rev = apps_pb2.ControllerRevision(revision=number)
    rev.metadata.name = revision_name(sts.metadata.name, h)
    rev.metadata.namespace = sts.metadata.namespace
    rev.metadata.labels.update(sts.spec.template.metadata.labels)
    rev.metadata.labels[HASH_LABEL] = h
    rev.metadata.annotations.update(sts.metadata.annotations)
    rev.metadata.owner_references.append(new_controller_ref(sts))
    rev.data.update(patch)
    return rev


def template_of(rev: apps_pb2.ControllerRevision) -> dict:
    """The pod template (JSON) a revision restores."""
    data = manifest.plain_numbers(json_format.MessageToDict(rev.data)) if rev.HasField("data") else {}
    template = dict(data.get("spec", {}).get("template", {}))
    template.pop("$patch", None)
    return template


def apply_revision(sts: apps_pb2.StatefulSet, rev: apps_pb2.ControllerRevision) -> apps_pb2.StatefulSet:
    """A copy of the set with the revision's pod template."""
    out = copy_of(sts)
    out.spec.template.Clear()
    json_format.ParseDict(template_of(rev), out.spec.template)
    return out


def equal_revision(a: apps_pb2.ControllerRevision | None, b: apps_pb2.ControllerRevision | None) -> bool:
    """Same data. (Kubernetes also compares the hash labels when both parse as integers; safe-encoded
    hashes never do, so in effect only the data counts, whatever the collision count was.)"""
    if a is None or b is None:
        return a is None and b is None
    return canonical_json(a.data) == canonical_json(b.data)


def find_equal_revisions(revisions: Iterable[apps_pb2.ControllerRevision],
                         needle: apps_pb2.ControllerRevision) -> list[apps_pb2.ControllerRevision]:
    return [r for r in revisions if equal_revision(r, needle)]


def sort_revisions(revisions: Iterable[apps_pb2.ControllerRevision]) -> list[apps_pb2.ControllerRevision]:
    """By revision number, then name (stable, like SortControllerRevisions)."""
    return sorted(revisions, key=lambda r: (r.revision, r.metadata.name))


def next_revision_number(revisions: list[apps_pb2.ControllerRevision]) -> int:
    return revisions[-1].revision + 1 if revisions else 1


@dataclass(frozen=True)
class RevisionChoice:
    """Which revision the set's template is (getStatefulSetRevisions, minus the writes)."""
    update: apps_pb2.ControllerRevision
    """The update revision: an existing one, or the one to create (`create`) or renumber (`bump_to`)."""
    create: bool = False
    bump_to: int = 0
    """Roll back: the template equals an older revision, which becomes the newest under this number."""


def choose_update_revision(sts: apps_pb2.StatefulSet, revisions: list[apps_pb2.ControllerRevision],
                           collision_count: int) -> RevisionChoice:
    """`revisions` sorted (sort_revisions). The newest revision if it holds the template, else an older
    equal one brought forward, else a new revision."""
    candidate = new_revision(sts, next_revision_number(revisions), collision_count)
    equal = find_equal_revisions(revisions, candidate)
    if equal and equal_revision(revisions[-1], equal[-1]):
        return RevisionChoice(revisions[-1])
    if equal:
        return RevisionChoice(equal[-1], bump_to=candidate.revision)
    return RevisionChoice(candidate, create=True)


def current_revision(sts: apps_pb2.StatefulSet, revisions: list[apps_pb2.ControllerRevision],
                     update: apps_pb2.ControllerRevision) -> apps_pb2.ControllerRevision:
    """The revision status.currentRevision names; the update revision if there is none (a new set)."""
    name = sts.status.current_revision
    return next((r for r in revisions if r.metadata.name == name), update)


def revisions_to_truncate(sts: apps_pb2.StatefulSet, pod_revisions: Iterable[str],
                          revisions: list[apps_pb2.ControllerRevision], live: Iterable[str]) -> list:
    """Oldest first, the revisions beyond revisionHistoryLimit that no pod uses and that are neither the
    current nor the update revision (`live`)."""
    keep = set(live) | set(pod_revisions)
    old = [r for r in sort_revisions(revisions) if r.metadata.name not in keep]
    limit = sts.spec.revision_history_limit if sts.spec.HasField("revision_history_limit") else 10
    if limit < 0 or len(old) <= limit:
        return []
    return old[:len(old) - limit]
