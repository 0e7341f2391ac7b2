"""kubelab down: stop every process of the cluster (--purge: and remove its state dir).

    kubelab down [--purge] [--timeout S]
"""

from __future__ import annotations

import argparse

from kubelab.cluster.launcher import Launcher

from kubelab.cli.cmd import say

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("down", help="stop every process of the cluster")
    p.add_argument("--purge", action="store_true", help="also remove the state dir (all data)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL")
    p.set_defaults(func=cmd_down)


def cmd_down(args: argparse.Namespace) -> int:
    Launcher(args.state_dir, say=say).down(purge=args.purge, grace=args.timeout)
    return 0
