"""One line of `kubelab timeline`: when, who acted, on what, and what happened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["Entry", "parse_time", "is_whole_second", "format_entry", "object_ref"]


@dataclass(frozen=True)
class Entry:
    time: float
    """Seconds since the epoch."""
    actor: str
    """The component that acted: an event source (`node-controller`, `kubelet/node-2`), `kubelab` for
    the launcher's failure verbs, a lease holder; `-` when nothing says who."""
    kind: str
    namespace: str
    name: str
    what: str
    source: str = "object"
    """Where the line comes from: event, object (timestamps and conditions), journal, or watch."""
    whole_second: bool = False
    """The time came from a whole-second timestamp (metav1.Time): the change happened during that
    second, so the entry sorts at the second's end (after what caused it) and prints without milliseconds."""

    @property
    def sort_key(self) -> tuple:
        """Time, then, for changes in the same instant (whole-second timestamps), the order in which
        they can happen: a deletion (usually the cause), a creation, the rest, Ready last."""
        rank = 0 if self.what.startswith(("Terminating", "deleted")) else 1 if self.what == "created" else \
            3 if self.what == "Ready" else 2
        return (self.time, rank, self.kind, self.name, self.actor, self.what)

    @property
    def object(self) -> str:
        return f"{self.kind}/{self.name}" if self.kind else self.name


def is_whole_second(value: str | None) -> bool:
    return bool(value) and "." not in value


def parse_time(value: str | None) -> float | None:
    """RFC 3339 (`2026-12-05T12:00:00.123456Z`) as epoch seconds; None for nothing or garbage."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def object_ref(obj: dict) -> tuple[str, str, str]:
    meta = obj.get("metadata", {})
    return obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", "")


def format_entry(e: Entry, *, namespaces: bool = False, width: int = 24) -> str:
    """`12:01:45.120  node-controller        Node/node-2   NotReady (...)`, in local time."""
    stamp = dt.datetime.fromtimestamp(e.time).strftime("%H:%M:%S.%f")[:-3]
    if e.whole_second:
        stamp = stamp[:8] + "    "
    obj = f"{e.namespace}/{e.object}" if namespaces and e.namespace else e.object
    return f"{stamp}  {e.actor:<{width}}  {obj:<28}  {e.what}"
