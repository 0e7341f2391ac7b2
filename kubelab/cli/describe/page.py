"""A describe page's parts: the layout (PrefixWriter + tabwriter), shared sections, the events table, and
kubectl's generic page for kinds without their own (kubectl pkg/describe/describe.go)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message

from kubelab.cli.merge import LAST_APPLIED
from kubelab.printers import format as fmt
from kubelab.cli.render.tabwriter import describe_writer

__all__ = ["PrefixWriter", "Related", "annotations_multiline", "describe_events", "describe_generic",
           "labels_multiline", "rfc1123z"]

MAX_ANNOTATION_LEN = 140



def rfc1123z(parent: Message, field: str) -> str:
    """Go's time.RFC1123Z in the local zone (`Mon, 02 Jan 2006 15:04:05 -0700`), as describe shows times."""
    t = fmt.timestamp_seconds(parent, field)
    if t is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    return dt.datetime.fromtimestamp(int(t)).astimezone().strftime("%a, %d %b %Y %H:%M:%S %z")

class PrefixWriter:
    """describe's PrefixWriter: each level indents by two spaces; flush() ends a tabwriter section."""

    def __init__(self) -> None:
        self._sections: list[list[str]] = [[]]

    def write(self, level: int, text: str) -> None:
        self._sections[-1].append("  " * level + text)

    def line(self, text: str = "") -> None:
        """WriteLine: text and a newline, no indentation."""
        self._sections[-1].append(text + "\n")

    def flush(self) -> None:
        self._sections.append([])

    def render(self) -> str:
        writer = describe_writer()
        return "".join(writer.format("".join(s)) for s in self._sections)


@dataclass
class Related:
    """What a page shows besides the object itself."""

    events: list[Message] | None = None  # None: events not shown
    pods: list[Message] = field(default_factory=list)  # owned pods, pods using a claim, pods on a node
    replica_sets: tuple[list[Message], list[Message]] = ((), ())  # (old, new) of a Deployment
    lease: Message | None = None  # a node's lease
    endpoint_slices: list[Message] = field(default_factory=list)  # a Service's, by kubernetes.io/service-name
    now: float = field(default_factory=time.time)


def labels_multiline(w: PrefixWriter, title: str, labels, initial: str = "", inner: str = "\t") -> None:
    w.write(0, f"{initial}{title}:{inner}")
    if not labels:
        w.line("<none>")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, initial + inner)
        w.write(0, f"{key}={labels[key]}\n")


def annotations_multiline(w: PrefixWriter, title: str, annotations) -> None:
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in annotations if k != LAST_APPLIED)
    if not keys:
        w.line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for part in value.split("\n"):
                short = part if len(part) <= MAX_ANNOTATION_LEN - 2 else part[:MAX_ANNOTATION_LEN - 2] + "..."
                w.write(0, f"\t  {short}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def tolerations_multiline(w: PrefixWriter, title: str, tolerations, initial: str = "") -> None:
    w.write(0, f"{initial}{title}:\t")
    if not tolerations:
        w.line("<none>")
        return
    for i, t in enumerate(sorted(tolerations, key=lambda t: t.key)):
        if i:
            w.write(0, initial + "\t")
        text = t.key + (f"={t.value}" if t.value else "") + (f":{t.effect}" if t.effect else "")
        if t.operator == "Exists" and not t.value:
            text += " op=Exists" if (t.key or t.effect) else "op=Exists"
        if t.HasField("toleration_seconds"):
            text += f" for {t.toleration_seconds}s"
        w.write(0, text + "\n")


def taints_multiline(w: PrefixWriter, title: str, taints) -> None:
    w.write(0, f"{title}:\t")
    if not taints:
        w.line("<none>")
        return
    for i, t in enumerate(sorted(taints, key=lambda t: f"{t.effect},{t.key}")):
        if i:
            w.write(0, "\t")
        w.write(0, (f"{t.key}={t.value}:{t.effect}" if t.value else f"{t.key}:{t.effect}") + "\n")


def _event_sort_key(ev: Message) -> tuple[float, int]:
    """SortableEvents orders by lastTimestamp; ties (same second) keep the order they were written in."""
    when = fmt.timestamp_seconds(ev, "last_timestamp") or fmt.timestamp_seconds(ev, "event_time") or 0.0
    rv = ev.metadata.resource_version
    return when, int(rv) if rv.isdigit() else 0


def describe_events(w: PrefixWriter, events: list[Message], now: float) -> None:
    """DescribeEvents: `Events:  <none>`, or the Type/Reason/Age/From/Message table."""
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.flush()
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in sorted(events, key=_event_sort_key):
        first = fmt.since(e, "event_time", now)
        if fmt.timestamp_seconds(e, "event_time") is None:
            first = fmt.since(e, "first_timestamp", now)
        if e.HasField("series"):
            interval = f"{fmt.since(e.series, 'last_observed_time', now)} (x{e.series.count} over {first})"
        elif e.count > 1:
            interval = f"{fmt.since(e, 'last_timestamp', now)} (x{e.count} over {first})"
        else:
            interval = first
        source = e.source.component or e.reporting_component
        w.write(1, f"{e.type}\t{e.reason}\t{interval}\t{source}\t{e.message.strip()}\n")


def _smart_label(field_name: str) -> str:
    """smartLabelFor: `storageClassName` -> `Storage Class Name`."""
    if any(not (c.isalpha() or c == "-") for c in field_name):
        return field_name
    parts, word = [], ""
    for c in field_name:
        if c.isupper() and word and not word[-1].isupper():
            parts.append(word)
            word = c
        else:
            word += c
    parts.append(word)
    acronyms = {"API", "URL", "UID", "OSB", "GUID"}
    return " ".join(p.upper() if p.upper() in acronyms else p[:1].upper() + p[1:] for p in parts)


def _unstructured(w: PrefixWriter, level: int, content: dict[str, Any], prefix: str, skip: set[str]) -> None:
    for key in sorted(content):
        value, path = content[key], f"{prefix}.{key}"
        if path in skip:
            continue
        if isinstance(value, dict):
            w.write(level, f"{_smart_label(key)}:\n")
            _unstructured(w, level + 1, value, path, skip)
        elif isinstance(value, list):
            w.write(level, f"{_smart_label(key)}:\n")
            for item in value:
                if isinstance(item, dict):
                    _unstructured(w, level + 1, item, path, skip)
                else:
                    w.write(level + 1, f"{item}\n")
        else:
            text = ("true" if value else "false") if isinstance(value, bool) else value
            w.write(level, f"{_smart_label(key)}:\t{text}\n")


def describe_generic(obj: Message, related: Related, w: PrefixWriter) -> None:
    """genericDescriber: name, namespace, labels, annotations, then every field."""
    from kubelab.cli.render.output import object_dict

    w.write(0, f"Name:\t{obj.metadata.name}\n")
    w.write(0, f"Namespace:\t{obj.metadata.namespace}\n")
    labels_multiline(w, "Labels", obj.metadata.labels)
    annotations_multiline(w, "Annotations", obj.metadata.annotations)
    skip = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
            ".metadata.annotations"}
    _unstructured(w, 0, object_dict(obj), "", skip)
