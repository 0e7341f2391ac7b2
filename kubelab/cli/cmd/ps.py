"""kubelab ps (alias status): every process of the local cluster, its pid, state, health, role and address.

    kubelab ps [-o table|json] [--timeout S]

It reads the state dir, /proc and each process' health (kubelab.cluster.status), and imports no gRPC:
health is asked over a bare HTTP/2 socket (kubelab.cluster.h2health), leader roles over the HTTP API.
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("ps", aliases=["status"], help="list the processes: pid, state, health, role")
    p.add_argument("--format", "-o", "--output", dest="format", choices=("table", "json"), default="table",
                   help="table (default) or json")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds a health check may take")
    p.set_defaults(func=cmd_ps)


def cmd_ps(args: argparse.Namespace) -> int:
    from kubelab.cluster.state import StateDir
    from kubelab.cluster.status import format_table, rows

    sd = StateDir(args.state_dir)
    if not sd.exists():
        raise RuntimeError(f"no cluster in {sd.root} (start one with `kubelab up`)")  # main: `error: ...`
    table = rows(sd, timeout=args.timeout)
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in table], indent=2))
    else:
        print(format_table(table))
    return 0
