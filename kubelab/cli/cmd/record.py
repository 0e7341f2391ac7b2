"""kubelab record FILE [--duration D] [--probe-interval S]: kubelab.observe.recorder until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from kubelab.cli.durations import parse_duration
from kubelab.cli.session import CliError
from kubelab.client import Client
from kubelab.observe.history import RECORDED_KINDS
from kubelab.observe.recorder import Recorder

__all__ = ["register"]

#: How long the recorder rides out an unreachable API server (chaos kills it) before it gives up.
RETRY_DEADLINE = 300.0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "record", help="record the full watch history to FILE, for `kubelab check`",
        description=f"Watch {', '.join(RECORDED_KINDS)} and write every change to FILE (JSON lines) until "
        "Ctrl-C, SIGTERM or --duration; also writes a small ConfigMap every --probe-interval seconds and "
        "records each acknowledgement, so that `kubelab check FILE` can tell whether acknowledged writes were lost.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--duration", metavar="DURATION", help="stop after DURATION (30s, 2m); default: until Ctrl-C")
    p.add_argument("--probe-interval", type=float, default=1.0, metavar="SECONDS",
                   help="seconds between the recorder's own writes (0: none)")
    p.set_defaults(func=cmd_record)


def cmd_record(args: argparse.Namespace) -> int:
    if not args.server:
        print('error: no cluster to talk to: start one with "kubelab up", or pass --server HOST:PORT', file=sys.stderr)
        return 1
    try:
        duration = parse_duration(args.duration) if args.duration else None
    except CliError as e:
        print(e, file=sys.stderr)
        return 1

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if duration is not None:
            loop.call_later(duration, stop.set)
        async with Client(args.server, retry_deadline=RETRY_DEADLINE) as client:
            with open(args.file, "w") as out:
                await Recorder(client, out, probe_interval=args.probe_interval).run(stop)

    asyncio.run(main())
    print(f"recorded to {args.file}", file=sys.stderr)
    return 0
