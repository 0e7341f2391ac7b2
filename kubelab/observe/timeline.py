"""`kubelab timeline`: Events, object changes and the launcher's journal in one chronological view.

The past is reconstructed, not recorded: the API keeps only the present, so the lines before now come
from what survives of the past in it (Events with their source and timestamps; each object's
creationTimestamp, conditions' lastTransitionTime, taints' timeAdded, deletionTimestamp; a Lease's
acquireTime) and from `<state-dir>/journal.jsonl`, where the launcher writes each failure verb. That is
the simplest honest design: no recorder process that could itself be killed, and what it cannot know
(an intermediate state later overwritten, a pod deleted before you looked) is exactly what the API
forgot, which is a lesson in itself. Following (`-w`) adds every change as the watches deliver it, and
`kubelab record` keeps the whole history when an experiment needs all of it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from kubelab.client import Client
from kubelab.cluster import journal
from kubelab.labels import Selector, everything
from kubelab.manifest import to_dict
from kubelab.observe.changes import diff, event_entry, past
from kubelab.observe.entries import Entry

__all__ = ["KINDS", "Filter", "journal_entries", "reconstruct", "select", "snapshot", "follow"]

#: What the timeline looks at, in the order ties are printed.
KINDS = ("Node", "Lease", "PersistentVolume", "PersistentVolumeClaim", "VolumeAttachment", "Deployment",
         "ReplicaSet", "StatefulSet", "Pod")
COMPONENT = "Component"

_JOURNAL_WHAT = {
    "killed": "killed (SIGKILL): it stays down until `kubelab start`",
    "stopped": "stopped (SIGTERM)",
    "started": "started",
    "paused": "paused (SIGSTOP): its connections stay open, nothing answers",
    "resumed": "resumed (SIGCONT)",
    "partitioned": "partitioned: its connection to its upstream is cut",
    "healed": "partition healed",
}


@dataclass(frozen=True)
class Filter:
    since: float | None = None
    """Only entries at or after this time (epoch seconds)."""
    kinds: frozenset[str] | None = None
    """Only lines about objects of these kinds, Events about them included (Component: the launcher's
    journal); None: all."""
    selector: Selector = field(default_factory=everything)
    """Only objects with matching labels and Events about them; Nodes and components are always kept,
    being the context of whatever happened to the selected pods."""
    namespace: str | None = None
    """Only this namespace (cluster-scoped objects and components are kept); None: all."""


def journal_entries(records: Iterable[dict]) -> list[Entry]:
    out = []
    for r in records:
        what = _JOURNAL_WHAT.get(r.get("event", ""), r.get("event", "?"))
        if r.get("mode") == "reject":
            what += " (new connections refused)"
        out.append(Entry(float(r.get("time", 0)), "kubelab", COMPONENT, "", r.get("name", "?"), what, "journal"))
    return out


def select(entries: Iterable[Entry], flt: Filter, labelled: set[tuple[str, str, str]] | None) -> list[Entry]:
    """The entries flt keeps; labelled: (kind, namespace, name) of objects whose labels match."""
    kept = []
    for e in entries:
        if flt.since is not None and e.time < flt.since:
            continue
        if flt.kinds is not None and e.kind not in flt.kinds:
            continue
        if flt.namespace is not None and e.namespace and e.namespace != flt.namespace:
            continue
        if labelled is not None and e.kind not in (COMPONENT, "Node") and (e.kind, e.namespace, e.name) not in labelled:
            continue
        kept.append(e)
    return sorted(kept, key=lambda e: e.sort_key)


def _matching(objects: dict[str, list[dict]], selector: Selector) -> set[tuple[str, str, str]] | None:
    if selector.empty():
        return None
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"])
            for objs in objects.values() for o in objs if selector.matches(o["metadata"].get("labels", {}))}


async def snapshot(client: Client, kinds: Iterable[str] = KINDS) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Every object of each kind as Kubernetes JSON, and the resourceVersion of each list."""
    objects, versions = {}, {}
    for kind in kinds:
        items, rv = await client.list(kind)
        objects[kind], versions[kind] = [to_dict(o) for o in items], rv
    return objects, versions


def reconstruct(objects: dict[str, list[dict]], events: list[dict], records: list[dict], flt: Filter) -> list[Entry]:
    """The past as far as the cluster remembers it, sorted by time."""
    found = [e for objs in objects.values() for o in objs for e in past(o)]
    found += [e for e in map(event_entry, events) if e is not None]
    found += journal_entries(records)
    return select(found, flt, _matching(objects, flt.selector))


async def _watch_kind(client: Client, kind: str, rv: str, known: dict[str, dict], emit: Callable[[Entry], None],
                      flt: Filter) -> None:
    async for ev in client.watch(kind, resource_version=rv):
        if ev.type == "BOOKMARK" or ev.object is None:
            continue
        obj = to_dict(ev.object)
        key = f"{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"
        old = known.get(key)
        new = None if ev.type == "DELETED" else obj
        if new is None:
            known.pop(key, None)
        else:
            known[key] = obj
        labels = (new or old or obj)["metadata"].get("labels", {})
        labelled = None if flt.selector.empty() or kind == "Node" else (
            {(kind, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])}
            if flt.selector.matches(labels) else set())
        for entry in select(diff(old, new, time.time()), flt, labelled):
            emit(entry)


async def _watch_events(client: Client, rv: str, emit: Callable[[Entry], None], flt: Filter,
                        labelled: Callable[[], set | None]) -> None:
    async for ev in client.watch("Event", resource_version=rv):
        if ev.type in ("ADDED", "MODIFIED") and ev.object is not None:
            entry = event_entry(to_dict(ev.object))
            if entry is not None:
                for e in select([entry], flt, labelled()):
                    emit(e)


JOURNAL_POLL = 0.05
"""Seconds between looks at the journal's size: a failure verb's line must come out before the changes
it causes, which the watches deliver within milliseconds (lab 01: `kill scheduler`, then `scale`)."""


async def _tail_journal(root: Path, offset: int, emit: Callable[[Entry], None], flt: Filter) -> None:
    """The journal is a file the launcher appends to: read again whenever its size changes (a stat per
    look; the file is parsed only when it grew)."""
    path, size = Path(root) / journal.JOURNAL, -1
    while True:
        try:
            now = path.stat().st_size
        except OSError:
            now = 0
        if now != size:
            size = now
            records = journal.read(root)
            for e in select(journal_entries(records[offset:]), flt, None):
                emit(e)
            offset = len(records)
        await asyncio.sleep(JOURNAL_POLL)


async def follow(client: Client, state_dir: Path, flt: Filter, emit: Callable[[Entry], None]) -> None:
    """Emit the reconstructed past, then every change as it happens, until cancelled."""
    objects, versions = await snapshot(client)
    events, events_rv = await client.list("Event")
    records = journal.read(state_dir)
    for e in reconstruct(objects, [to_dict(ev) for ev in events], records, flt):
        emit(e)
    known = {k: {f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": o for o in objs}
             for k, objs in objects.items()}

    def labelled() -> set | None:
        return _matching({k: list(v.values()) for k, v in known.items()}, flt.selector)

    async with asyncio.TaskGroup() as tg:
        for kind in KINDS:
            if flt.kinds is None or kind in flt.kinds:
                tg.create_task(_watch_kind(client, kind, versions[kind], known[kind], emit, flt))
        tg.create_task(_watch_events(client, events_rv, emit, flt, labelled))
        tg.create_task(_tail_journal(state_dir, len(records), emit, flt))
