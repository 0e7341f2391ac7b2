"""kubelab events (kubectl events): LAST SEEN, TYPE, REASON, OBJECT, MESSAGE, oldest first; -w follows."""

from __future__ import annotations

import argparse
import time

from google.protobuf.message import Message

from kubelab.cli import flags
from kubelab.cli.render import output
from kubelab.cli.render.tabwriter import table_writer
from kubelab.cli.session import CliError, Session
from kubelab.cli.targets import resolve_kind
from kubelab.printers import format as fmt

__all__ = ["register", "cmd_events", "event_row", "interval"]


def interval(e: Message, now: float) -> str:
    """getInterval: `5s`, or `3s (x4 over 2m)` for a repeated event."""
    first = fmt.since(e, "event_time", now)
    if fmt.timestamp_seconds(e, "event_time") is None:
        first = fmt.since(e, "first_timestamp", now)
    if e.HasField("series"):
        return f"{fmt.since(e.series, 'last_observed_time', now)} (x{e.series.count} over {first})"
    if e.count > 1:
        return f"{fmt.since(e, 'last_timestamp', now)} (x{e.count} over {first})"
    return first


def _clip(text: str) -> str:
    """escapeCell: a cell ends at its first line break."""
    for i, c in enumerate(text):
        if c in "\f\n\r":
            return text[:i] + "..."
    return text


def event_row(e: Message, now: float, all_namespaces: bool) -> str:
    cells = [interval(e, now), _clip(e.type), _clip(e.reason),
             f"{_clip(e.involved_object.kind)}/{_clip(e.involved_object.name)}", _clip(e.message.strip())]
    return "\t".join(([e.metadata.namespace] if all_namespaces else []) + cells) + "\n"


def _sort_time(e: Message) -> tuple[float, int]:
    """eventTime of kubectl events' SortableEvents; ties keep the order the events were written in."""
    if e.HasField("series"):
        when = fmt.timestamp_seconds(e.series, "last_observed_time") or 0.0
    else:
        when = fmt.timestamp_seconds(e, "last_timestamp") or fmt.timestamp_seconds(e, "event_time") or 0.0
    rv = e.metadata.resource_version
    return when, int(rv) if rv.isdigit() else 0


def _for_target(ctx: Session) -> tuple[str, str] | None:
    """--for KIND/NAME as the (kind, name) an event's involvedObject must have."""
    target = ctx.args.for_object
    if not target:
        return None
    kind, sep, name = target.partition("/")
    if not sep or not name:
        raise CliError("error: --for must be in resource/name form")
    return resolve_kind(kind).kind, name


def _types(ctx: Session) -> set[str] | None:
    if not ctx.args.types:
        return None
    types = {t.strip().lower() for t in ctx.args.types.split(",") if t.strip()}
    if types - {"normal", "warning"}:
        raise CliError("error: valid --types are Normal or Warning")
    return types


def _keep(e: Message, types: set[str] | None, target: tuple[str, str] | None) -> bool:
    if types is not None and e.type.lower() not in types:
        return False
    return target is None or (e.involved_object.kind, e.involved_object.name) == target


async def cmd_events(ctx: Session) -> int:
    a = ctx.args
    if a.output not in (None, "", "json", "yaml"):
        raise CliError(f'error: unable to match a printer suitable for the output format "{a.output}", allowed '
                       "formats are: json,yaml")
    ns = "" if ctx.all_namespaces else ctx.namespace
    target, types = _for_target(ctx), _types(ctx)
    writer = table_writer()
    header = [] if a.no_headers else [(["NAMESPACE"] if ctx.all_namespaces else []) +
                                      ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]]
    if a.watch:
        first = True
        async for ev in ctx.client.watch("Event", ns):
            if ev.type in ("BOOKMARK", "DELETED") or ev.object is None or not _keep(ev.object, types, target):
                continue
            if a.output:
                ctx.out(_render([ev.object], a.output, single=True))
                continue
            head = "".join("\t".join(h) + "\n" for h in header) if first else ""
            ctx.out(writer.format(head + event_row(ev.object, time.time(), ctx.all_namespaces)))
            first = False
        return ctx.status()
    events, _ = await ctx.client.list("Event", ns)
    events = sorted((e for e in events if _keep(e, types, target)), key=_sort_time)
    if a.output:
        ctx.out(_render(events, a.output, single=False))
        return ctx.status()
    if not events:
        ctx.note("No events found." if ctx.all_namespaces else f"No events found in {ctx.namespace} namespace.")
        return ctx.status()
    now = time.time()
    text = "".join("\t".join(h) + "\n" for h in header) + "".join(event_row(e, now, ctx.all_namespaces)
                                                                  for e in events)
    ctx.out(writer.format(text))
    return ctx.status()


def _render(events: list[Message], fmt_name: str, *, single: bool) -> str:
    if single:
        data = output.object_dict(events[0])
    else:
        data = {"apiVersion": "v1", "items": [output.object_dict(e) for e in events], "kind": "EventList",
                "metadata": {"resourceVersion": ""}}
    return output.dumps_json(data) if fmt_name == "json" else output.dumps_yaml(data)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("events", help="list events (kubectl events)")
    flags.namespace(p, all_namespaces=True)
    p.add_argument("-w", "--watch", action="store_true", help="after the list, print events as they come")
    p.add_argument("--for", dest="for_object", metavar="KIND/NAME", help="only events about this object")
    p.add_argument("--types", metavar="TYPES", help="only these types: Normal, Warning (comma-separated)")
    p.add_argument("-o", "--output", metavar="FORMAT", help="json or yaml")
    p.add_argument("--no-headers", action="store_true", help="omit the header row")
    p.set_defaults(func=flags.verb(cmd_events))
