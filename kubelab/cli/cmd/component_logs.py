"""kubelab component-logs (alias clogs): print a component's log, `<state-dir>/logs/NAME.log`.

    kubelab component-logs NAME [-f] [--tail N] [--path]

NAME is what `kubelab ps` lists: redis, proxy, apiserver, scheduler, ..., node-1, node-2, ...
"""

from __future__ import annotations

import argparse
import sys

from kubelab.cluster.launcher import ClusterError, tail
from kubelab.cluster.logs import LogFollower
from kubelab.cluster.state import StateDir

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("component-logs", aliases=["clogs"], help="print a component's log")
    p.add_argument("name", metavar="NAME", help="a name from `kubelab ps`")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    p.add_argument("--tail", type=int, metavar="N", help="only the last N lines")
    p.add_argument("--path", action="store_true", help="print the log file's path instead")
    p.set_defaults(func=cmd_component_logs)


def cmd_component_logs(args: argparse.Namespace) -> int:
    sd = StateDir(args.state_dir)
    path = sd.log_file(args.name)
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in sd.logs.glob("*.log"))) or "none"
        raise ClusterError(f"no log for {args.name!r} in {sd.logs} (logs: {known})")
    if args.path:
        print(path)
        return 0
    size = path.stat().st_size
    if args.tail is not None:
        lines = tail(path, args.tail)
        sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        with open(path, "rb") as f:
            sys.stdout.write(f.read(size).decode(errors="replace"))
    sys.stdout.flush()
    if args.follow:
        follower = LogFollower(sys.stdout, prefix=False)
        follower.add(args.name, path, offset=size)
        follower.run()  # until Ctrl-C
    return 0
