"""The coursework's failure verbs, each naming a process of `kubelab ps` (apiserver, scheduler, node-2, ...).

    kubelab kill|stop|start|restart|pause|resume NAME
    kubelab partition NAME [--reject]
    kubelab heal [NAME]                               (no NAME: heal every partition)
"""

from __future__ import annotations

import argparse

from kubelab.cluster.launcher import Launcher

from kubelab.cli.cmd import say

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    verbs = {
        "kill": "SIGKILL a component; it stays down until `start`",
        "stop": "SIGTERM a component (SIGKILL after --timeout)",
        "start": "start a killed or stopped component",
        "restart": "stop, then start a component",
        "pause": "SIGSTOP a component: it keeps its connections but does nothing",
        "resume": "SIGCONT a paused component",
    }
    for verb, text in verbs.items():
        p = subparsers.add_parser(verb, help=text)
        p.add_argument("name", metavar="NAME", help="a name from `kubelab ps`")
        if verb in ("stop", "start", "restart"):
            p.add_argument("--timeout", type=float, default=None, help="seconds to wait (stop: grace period)")
        if verb in ("start", "restart"):
            p.add_argument("--no-wait", action="store_true", help="do not wait until it is SERVING")
        p.set_defaults(func=cmd_process_verb, verb=verb)

    p = subparsers.add_parser("partition", help="cut a component's connection to its upstream at TCP level")
    p.add_argument("name", metavar="NAME", help="a component (its API path), apiserver (its Redis path) or redis")
    p.add_argument("--reject", action="store_true", help="refuse new connections instead of letting them hang")
    p.set_defaults(func=cmd_partition)

    p = subparsers.add_parser("heal", help="undo `partition`")
    p.add_argument("name", metavar="NAME", nargs="?", help="what to heal (default: every partition)")
    p.set_defaults(func=cmd_heal)


def cmd_process_verb(args: argparse.Namespace) -> int:
    launcher = Launcher(args.state_dir, say=say)
    verb, name = args.verb, args.name
    if verb == "kill":
        launcher.kill(name)
    elif verb == "stop":
        launcher.stop(name, grace=args.timeout or 10.0)
    elif verb == "start":
        launcher.start(name, wait=not args.no_wait, timeout=args.timeout or 60.0)
    elif verb == "restart":
        launcher.restart(name, wait=not args.no_wait, timeout=args.timeout or 60.0)
    elif verb == "pause":
        launcher.pause(name)
    elif verb == "resume":
        launcher.resume(name)
    return 0


def cmd_partition(args: argparse.Namespace) -> int:
    Launcher(args.state_dir, say=say).partition(args.name, mode="reject" if args.reject else "drop")
    return 0


def cmd_heal(args: argparse.Namespace) -> int:
    Launcher(args.state_dir, say=say).heal(args.name)
    return 0
