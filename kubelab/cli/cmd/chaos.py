"""kubelab chaos --seed N --duration D [--faults ...] [--targets ...] [--dry-run]: kubelab.observe.chaos."""

from __future__ import annotations

import argparse
import sys

from kubelab.cli.durations import parse_duration
from kubelab.cli.session import CliError
from kubelab.cluster.launcher import ClusterError, Launcher
from kubelab.cluster.state import StateDir
from kubelab.observe.chaos import Chaos, FAULTS, default_targets, format_step, new_schedule

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "chaos", help="run a seeded, replayable fault schedule against the cluster, then heal everything",
        description="Print a fault schedule drawn from --seed, then carry it out one fault at a time (each "
        "undone before the next); the same seed, duration, faults and targets give the same schedule.")
    p.add_argument("--seed", type=int, required=True, metavar="N")
    p.add_argument("--duration", required=True, metavar="DURATION", help="how long the schedule lasts (60s, 5m)")
    p.add_argument("--faults", default=",".join(FAULTS), metavar="F,...", help=f"from {','.join(FAULTS)}")
    p.add_argument("--targets", default="", metavar="NAME,...",
                   help="components to hit (default: every one but redis and proxy)")
    p.add_argument("--hold", default="3-8", metavar="MIN-MAX", help="seconds each fault lasts (default 3-8)")
    p.add_argument("--dry-run", action="store_true", help="print the schedule only")
    p.set_defaults(func=cmd_chaos)


def _say(line: str) -> None:
    print(line, flush=True)


def _split(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def cmd_chaos(args: argparse.Namespace) -> int:
    sd = StateDir(args.state_dir)
    if not sd.exists():
        raise ClusterError(f"no cluster in {sd.root} (start one with `kubelab up`)")
    try:
        duration = parse_duration(args.duration)
        low, _, high = args.hold.partition("-")
        hold = (float(low), float(high or low))
    except (CliError, ValueError):
        print(f"error: invalid --duration {args.duration!r} or --hold {args.hold!r} (e.g. --duration 60s --hold 3-8)",
              file=sys.stderr)
        return 1
    faults = _split(args.faults)
    bad = [f for f in faults if f not in FAULTS]
    if bad:
        print(f"error: unknown fault {bad[0]!r} in --faults (accepted: {', '.join(FAULTS)})", file=sys.stderr)
        return 1
    processes = sd.load().processes
    targets = _split(args.targets) or default_targets(processes)
    unknown = [t for t in targets if t not in processes]
    if unknown:
        print(f"error: no component named {unknown[0]!r} in --targets (components: {', '.join(processes)})",
              file=sys.stderr)
        return 1
    steps = new_schedule(args.seed, duration, faults, targets, hold=hold)
    print(f"chaos seed={args.seed} duration={duration:g}s faults={','.join(sorted(set(faults)))} "
          f"targets={','.join(sorted(set(targets)))}: {len(steps)} faults", flush=True)
    for step in steps:
        print("  " + format_step(step), flush=True)
    if args.dry_run:
        return 0
    Chaos(Launcher(args.state_dir, say=lambda line: None), say=_say).run(steps)
    return 0
