"""kubelab ui: serve the live web view of the cluster (services/ui, docs/ui.md) in the foreground.

    kubelab ui [--listen ADDR]
"""

from __future__ import annotations

import argparse
import os
import sys

from kubelab.cluster.launcher import ClusterError
from kubelab.cluster.specs import child_env

from kubelab.cli.cmd import say

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ui", help="serve the live web view of the cluster, with the failure verbs")
    p.add_argument("--listen", default="127.0.0.1:8081", metavar="ADDR", help="HOST:PORT to serve the page on")
    p.set_defaults(func=cmd_ui)


def cmd_ui(args: argparse.Namespace) -> int:
    """Run the web view (services/ui) in the foreground, on this cluster, until Ctrl-C."""
    if not args.server:
        raise ClusterError(f"no cluster in {args.state_dir} (start one with `kubelab up`, or give --server)")
    argv = [sys.executable, "-m", "services.ui", "--apiserver", args.server, "--listen", "127.0.0.1:0",
            "--http-listen", args.listen, "--state-dir", str(args.state_dir)]
    say(f"event=ui url=http://{args.listen}/ hint='Ctrl-C stops it'")
    os.execve(sys.executable, argv, child_env({"PYTHONUNBUFFERED": "1"}))  # it is the page's server from here on
