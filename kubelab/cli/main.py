"""The `kubelab` command: argument parsing and dispatch; the verbs live in one module per command group.

Adding a command group: write a module with `add_commands(subparsers)` (see `object_cmds` for the
contract) and list it in COMMAND_MODULES. Every parser it adds, nested ones too, gets the global options:

- `--state-dir DIR`: the local cluster (env KUBELAB_STATE_DIR, default ~/.kubelab);
- `--server HOST:PORT`: the API server to talk to (env KUBELAB_SERVER, default: the state dir's).

Before a handler runs, `args.state_dir` is an absolute Path and `args.server` is HOST:PORT or None.
"""

from __future__ import annotations

import argparse
import os
import sys

from kubelab.cli import (chaos_cmd, check_cmd, cluster_cmds, habit_cmds, logs_exec, node_cmds, object_cmds,
                         record_cmd, rollout_cmds, rollout_deploy, run_cmd, timeline_cmd)
from kubelab.cluster.state import STATE_DIR_ENV, find_apiserver, resolve_state_dir

__all__ = ["COMMAND_MODULES", "SERVER_ENV", "build_parser", "main"]

#: The command groups, in the order `kubelab --help` lists them.
COMMAND_MODULES = (cluster_cmds, object_cmds, logs_exec, run_cmd, rollout_cmds, rollout_deploy, node_cmds,
                   habit_cmds, timeline_cmd, record_cmd, check_cmd, chaos_cmd)

SERVER_ENV = "KUBELAB_SERVER"

DESCRIPTION = """\
kubelab: a Kubernetes control plane you can take apart.

Cluster verbs (like docker compose): up, down, ps, component-logs, and the failure verbs kill, stop,
start, restart, pause, resume, partition, heal, each naming a component (apiserver, scheduler, node-2,
redis, ...). Object verbs (like kubectl) talk to the API server.
"""


def add_global_options(parser: argparse.ArgumentParser) -> None:
    """--state-dir and --server; SUPPRESS so that a subcommand never overwrites a value given before it."""
    g = parser.add_argument_group("global options")
    g.add_argument(
        "--state-dir",
        default=argparse.SUPPRESS,
        metavar="DIR",
        help=f"the local cluster's state dir (env {STATE_DIR_ENV}, default ~/.kubelab)",
    )
    g.add_argument(
        "--server",
        default=argparse.SUPPRESS,
        metavar="HOST:PORT",
        help=f"API server to talk to (env {SERVER_ENV}, default: the state dir's cluster)",
    )


def _add_global_options_everywhere(subparsers: argparse._SubParsersAction) -> None:
    seen: set[int] = set()
    for parser in subparsers.choices.values():
        if id(parser) in seen:  # aliases share one parser
            continue
        seen.add(id(parser))
        add_global_options(parser)
        parser.set_defaults(parser_=parser)  # main reports unknown arguments with this parser's usage
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_global_options_everywhere(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubelab", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(subparsers)
    _add_global_options_everywhere(subparsers)
    return parser


def resolve_globals(args: argparse.Namespace) -> None:
    """Fill args.state_dir and args.server from flags, environment and the state dir."""
    args.state_dir = resolve_state_dir(getattr(args, "state_dir", None))
    args.server = getattr(args, "server", None) or os.environ.get(SERVER_ENV) or find_apiserver(args.state_dir)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    intermixed = getattr(args, "intermixed", "")  # verbs whose positionals may come after flags (label)
    if intermixed:
        getattr(args, intermixed).extend(a for a in extras if not a.startswith("-") or a == "-")
        extras = [a for a in extras if a.startswith("-") and a != "-"]
    if extras:
        getattr(args, "parser_", parser).error(f"unrecognized arguments: {' '.join(extras)}")
    resolve_globals(args)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except cluster_cmds.ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
