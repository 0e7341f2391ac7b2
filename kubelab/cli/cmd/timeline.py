"""kubelab timeline [--since 5m] [-l SEL] [--kinds pods,nodes,...] [-n NS] [-w]: kubelab.observe.timeline."""

from __future__ import annotations

import argparse
import time

from kubelab.api import registry
from kubelab.cli import flags
from kubelab.cli.durations import parse_duration
from kubelab.cli.session import CliError, Session
from kubelab.cluster import journal
from kubelab.labels import SelectorError, everything, parse_selector
from kubelab.manifest import to_dict
from kubelab.observe.entries import Entry, format_entry
from kubelab.observe.timeline import COMPONENT, Filter, KINDS, follow, reconstruct, snapshot

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "timeline", help="what happened, in order: Events, object changes and failure verbs",
        description="One chronological view: Events, what objects' timestamps and conditions say happened, "
        "and the failure verbs the launcher carried out (kill, pause, partition, ...). Columns: time, the "
        "component that acted, the object, what happened. -w goes on with live changes.")
    p.add_argument("--since", metavar="DURATION", help="only the last DURATION (5m, 90s)")
    p.add_argument("-l", "--selector", default="", metavar="SEL",
                   help="only objects with these labels and their Events (Nodes and components always shown)")
    p.add_argument("--kinds", default="", metavar="KIND,...",
                   help=f"only these kinds ({', '.join(KINDS)}, component)")
    p.add_argument("-n", "--namespace", metavar="NS", help="only this namespace (default: all)")
    p.add_argument("-w", "--watch", action="store_true", help="after the past, print changes as they happen")
    p.set_defaults(func=flags.verb(cmd_timeline))


def _kinds(text: str) -> frozenset[str] | None:
    names = [k.strip() for k in text.split(",") if k.strip()]
    if not names:
        return None
    kinds = set()
    for name in names:
        if name.lower() in ("component", "components"):
            kinds.add(COMPONENT)
            continue
        try:
            kinds.add(registry.lookup(name).kind)
        except registry.UnknownKind:
            raise CliError(f'error: the server doesn\'t have a resource type "{name}"') from None
    return frozenset(kinds)


def new_filter(args: argparse.Namespace) -> Filter:
    try:
        selector = parse_selector(args.selector) if args.selector else everything()
    except SelectorError as e:
        raise CliError(f"error: {e}") from None
    since = time.time() - parse_duration(args.since) if args.since else None
    return Filter(since=since, kinds=_kinds(args.kinds), selector=selector, namespace=args.namespace)


async def cmd_timeline(ctx: Session) -> int:
    flt = new_filter(ctx.args)

    def emit(e: Entry) -> None:
        ctx.out(format_entry(e) + "\n")

    if ctx.args.watch:
        await follow(ctx.client, ctx.args.state_dir, flt, emit)
        return ctx.status()
    objects, _ = await snapshot(ctx.client)
    events, _ = await ctx.client.list("Event")
    entries = reconstruct(objects, [to_dict(e) for e in events], journal.read(ctx.args.state_dir), flt)
    for e in entries:
        emit(e)
    if not entries:
        ctx.note("No entries found.")
    return ctx.status()
