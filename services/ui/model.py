"""The page's picture of the cluster and its changes as Server-Sent Events messages (pure, no I/O).

The picture is a view (services/ui/views.py) per (kind, key). Informer handlers only mark keys dirty;
`Model.apply` is then given the current view of each dirty key (None: gone) and returns the operations the
page must apply, one per key whose view really changed: level-triggered, like a controller, so a missed or
repeated informer call changes nothing (the next apply converges). A page that connects gets `snapshot()`
and then every batch of operations, in order.

Messages (each one SSE `data:` line of JSON)::

    {"type": "snapshot", "objects": {kind: {key: view}}}
    {"type": "batch", "ops": [{"op": "put", "kind": K, "key": KEY, "view": {...}}, {"op": "del", ...}]}

Kinds are the API's, plus "Component" (a process, services/ui/components.py) and "Change" (a timeline
line, services/ui/timeline.py).
"""
from __future__ import annotations

import json

__all__ = ["CHANGES_KEPT", "EVENTS_KEPT", "Model", "encode"]

#: Events the page holds (the newest by time): a lab's churn must not grow the page without end.
EVENTS_KEPT = 300
#: Timeline lines ("Change" views, services/ui/timeline.py) kept, the newest by time. Nothing in the API
#: deletes them (an Event at least expires), so the model drops the oldest itself and tells the pages.
CHANGES_KEPT = 300


def encode(message: dict) -> bytes:
    """One SSE message (the JSON has no newlines, so one `data:` line)."""
    return b"data: " + json.dumps(message, separators=(",", ":")).encode() + b"\n\n"


class Model:
    """Views by kind and key, as the page last heard of them."""

    def __init__(self) -> None:
        self.views: dict[str, dict[str, dict]] = {}

    def apply(self, current: dict[tuple[str, str], dict | None]) -> list[dict]:
        """Take the current view of each (kind, key) (None: the object is gone); the ops that changed."""
        ops, new_changes = [], set()
        for (kind, key), view in current.items():
            known = self.views.setdefault(kind, {})
            old = known.get(key)
            if view is None:
                if old is not None:
                    del known[key]
                    ops.append({"op": "del", "kind": kind, "key": key})
            elif view != old:
                known[key] = view
                ops.append({"op": "put", "kind": kind, "key": key, "view": view})
                if old is None and kind == "Change":
                    new_changes.add(key)
        return self._trim_changes(ops, new_changes)

    def _trim_changes(self, ops: list[dict], new: set[str]) -> list[dict]:
        """Keep the newest CHANGES_KEPT lines: a line put and dropped in one batch is never sent."""
        changes = self.views.get("Change", {})
        if len(changes) <= CHANGES_KEPT:
            return ops
        oldest = sorted(changes, key=lambda k: changes[k].get("time") or 0)[:len(changes) - CHANGES_KEPT]
        for key in oldest:
            del changes[key]
        dropped = set(oldest)
        return [o for o in ops if not (o["kind"] == "Change" and o["key"] in dropped)] + [
            {"op": "del", "kind": "Change", "key": k} for k in oldest if k not in new]

    def snapshot(self) -> dict:
        objects = {kind: dict(views) for kind, views in self.views.items()}
        if "Event" in objects:
            newest = sorted(objects["Event"].items(), key=lambda kv: kv[1].get("time") or 0)[-EVENTS_KEPT:]
            objects["Event"] = dict(newest)
        return {"type": "snapshot", "objects": objects}
