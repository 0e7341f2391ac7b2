"""The timeline strip: the lines of `kubelab timeline` (issue 16), from the page's own watches, no polling.

The timeline's rules live once, in kubelab/observe: `past(obj)` says what an object already in the first
list remembers of its history (created, scheduled, Ready, a taint's time, a Lease's acquireTime),
`diff(old, new, now)` names what a watch event changed (created, scheduled, phase, Ready, Terminating,
deleted, claim Bound, volume attached, lease holder changed, scaled), and `journal_entries` turns the
launcher's journal into component lines (killed, started, paused, resumed, partitioned, healed). Here they
are only called from the informers' handlers (services/ui/watcher.py) and the components' reader
(services/ui/components.py), and each line becomes a view of kind "Change" that the model sends like any
other (services/ui/model.py keeps the newest CHANGES_KEPT). Events are not repeated here: the strip draws
the Event views beside these lines, in one time order.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable

from google.protobuf.message import Message

from kubelab.manifest import to_dict
from kubelab.observe.changes import NODE_LEASE_NAMESPACE, diff, past
from kubelab.observe.entries import Entry
from kubelab.observe.timeline import KINDS as TIMELINE_KINDS
from kubelab.observe.timeline import journal_entries

__all__ = ["CHANGE", "TIMELINE_KINDS", "change_views", "changes", "journal_views"]

CHANGE = "Change"
"""The model's kind of a timeline line (not an API kind)."""


def changes(kind: str, old: Message | None, new: Message | None, synced: bool, now: float) -> list[Entry]:
    """The timeline lines an informer's call brings: for an object of the first list (not `synced` yet)
    what it remembers (`past`), else what changed from old to new (`diff`; None: added or deleted)."""
    if kind not in TIMELINE_KINDS:
        return []
    obj = new if new is not None else old
    if obj is None or kind == "Lease" and obj.metadata.namespace == NODE_LEASE_NAMESPACE:
        return []  # a node's heartbeat Lease: renewed every second, one holder forever (past/diff skip it too)
    if old is None and not synced:
        return past(to_dict(new))
    return diff(to_dict(old) if old is not None else None, to_dict(new) if new is not None else None, now)


def _key(e: Entry) -> str:
    """The same line always has the same key, so a line seen twice is one line (the model drops equal puts)."""
    raw = f"{e.time:.3f}\0{e.kind}\0{e.namespace}\0{e.name}\0{e.actor}\0{e.what}".encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


def change_views(entries: Iterable[Entry]) -> dict[tuple[str, str], dict]:
    """(CHANGE, key) -> what the page draws of each line."""
    return {(CHANGE, _key(e)): {"time": round(e.time, 3), "actor": e.actor, "kind": e.kind,
                                 "namespace": e.namespace, "name": e.name, "what": e.what, "source": e.source}
            for e in entries}


def journal_views(records: Iterable[dict]) -> dict[tuple[str, str], dict]:
    """The launcher's journal records (kubelab/cluster/journal.py) as component lines."""
    return change_views(journal_entries(records))
