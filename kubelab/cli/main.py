"""The `kubelab` command: argument parsing and dispatch through a table of verbs.

VERBS lists every verb, in the order `kubelab --help` shows them, with the module that registers it and
its one-line help. `main` imports only the module of the verb on the command line (so `kubelab ps` and
`kubelab --help` import no gRPC, and `kubelab get` no cluster launcher); `kubelab --help` is built from
the table's help strings alone. A verb module (kubelab.cli.cmd) exposes `register(subparsers)`, which adds
a parser for each verb the table maps to that module and sets its `func`. Every parser it adds, nested
ones too, gets the global options:

- `--state-dir DIR`: the local cluster (env KUBELAB_STATE_DIR, default ~/.kubelab);
- `--server HOST:PORT`: the API server to talk to (env KUBELAB_SERVER, default: the state dir's).

Before a handler runs, `args.state_dir` is an absolute Path and `args.server` is HOST:PORT or None;
`args.http_server` is the state dir cluster's HTTP API (HOST:PORT) when args.server is its, else None.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NamedTuple

from kubelab.cluster.state import STATE_DIR_ENV, apiserver_addresses, resolve_state_dir

__all__ = ["SERVER_ENV", "VERBS", "Verb", "build_parser", "main", "verb_modules"]

SERVER_ENV = "KUBELAB_SERVER"


class Verb(NamedTuple):
    name: str
    module: str
    """The module (under kubelab.cli) whose register(subparsers) adds the verb."""
    help: str
    aliases: tuple[str, ...] = ()


#: Every verb, in the order `kubelab --help` lists them.
VERBS = (
    Verb("up", "cmd.up", "start the cluster (Redis, API server, components, N nodes)"),
    Verb("down", "cmd.down", "stop every process of the cluster"),
    Verb("ps", "cmd.ps", "list the processes: pid, state, health, role", ("status",)),
    Verb("component-logs", "cmd.component_logs", "print a component's log", ("clogs",)),
    Verb("kill", "cmd.failure", "SIGKILL a component; it stays down until `start`"),
    Verb("stop", "cmd.failure", "SIGTERM a component (SIGKILL after --timeout)"),
    Verb("start", "cmd.failure", "start a killed or stopped component"),
    Verb("restart", "cmd.failure", "stop, then start a component"),
    Verb("pause", "cmd.failure", "SIGSTOP a component: it keeps its connections but does nothing"),
    Verb("resume", "cmd.failure", "SIGCONT a paused component"),
    Verb("partition", "cmd.failure", "cut a component's connection to its upstream at TCP level"),
    Verb("heal", "cmd.failure", "undo `partition`"),
    Verb("ui", "cmd.ui", "serve the live web view of the cluster, with the failure verbs"),
    Verb("apply", "cmd.apply", "create or update objects from manifests (like kubectl apply)"),
    Verb("create", "cmd.create",
         "create objects from manifests (like kubectl create -f), or a configmap or secret"),
    Verb("get", "cmd.get", "list objects in kubectl's tables, or as YAML/JSON"),
    Verb("describe", "cmd.describe", "show an object in detail, with its events"),
    Verb("delete", "cmd.delete", "delete objects by name, selector or manifest"),
    Verb("scale", "cmd.scale", "set the replicas of a Deployment, ReplicaSet or StatefulSet"),
    Verb("events", "cmd.events", "list events (kubectl events)"),
    Verb("wait", "cmd.wait", "wait for a condition, a value, or deletion of objects"),
    Verb("logs", "cmd.logs", "print a container's logs (like kubectl logs)"),
    Verb("exec", "cmd.exec", "run a command in a container (like kubectl exec)"),
    Verb("run", "cmd.run", "run a bare pod from an image (like kubectl run)"),
    Verb("rollout", "cmd.rollout", "manage the rollout of a Deployment or a StatefulSet (status, history, undo, "
         "restart; pause, resume: Deployments)"),
    Verb("cordon", "cmd.drain", "mark a node unschedulable (like kubectl cordon)"),
    Verb("uncordon", "cmd.drain", "mark a node schedulable again"),
    Verb("drain", "cmd.drain", "cordon a node and evict its pods (like kubectl drain)"),
    Verb("label", "cmd.label", "update the labels of objects (like kubectl label)"),
    Verb("annotate", "cmd.label", "update the annotations of objects (like kubectl annotate)"),
    Verb("taint", "cmd.label", "update the taints of nodes (like kubectl taint)"),
    Verb("patch", "cmd.patch", "update fields of an object (like kubectl patch)"),
    Verb("edit", "cmd.edit", "edit an object in $KUBE_EDITOR or $EDITOR (like kubectl edit)"),
    Verb("cp", "cmd.cp", "copy files to and from a container, through tar (like kubectl cp)"),
    Verb("port-forward", "cmd.port_forward", "forward local ports to a pod (like kubectl port-forward)"),
    Verb("api-resources", "cmd.explain", "list the kinds the API server serves"),
    Verb("explain", "cmd.explain", "the fields of a kind, with their types (like kubectl explain)"),
    Verb("timeline", "cmd.timeline", "what happened, in order: Events, object changes and failure verbs"),
    Verb("record", "cmd.record", "record the full watch history to FILE, for `kubelab check`"),
    Verb("check", "cmd.check", "check a recorded history against kubelab's invariants"),
    Verb("chaos", "cmd.chaos", "run a seeded, replayable fault schedule against the cluster, then heal everything"),
)

_BY_NAME = {name: v for v in VERBS for name in (v.name, *v.aliases)}

DESCRIPTION = """\
kubelab: a Kubernetes control plane you can take apart.

Cluster verbs (like docker compose): up, down, ps, component-logs, and the failure verbs kill, stop,
start, restart, pause, resume, partition, heal, each naming a component (apiserver, scheduler, node-2,
redis, ...). Object verbs (like kubectl) talk to the API server.
"""

#: Global options that take a value (the verb is the first other word of the command line).
_VALUED_GLOBALS = ("--state-dir", "--server")


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


def verb_modules() -> list[str]:
    """The verb modules, each once, in table order."""
    return list(dict.fromkeys(v.module for v in VERBS))


def _load(module: str):
    return importlib.import_module(f"kubelab.cli.{module}")


def _parser(modules: list[str] | None) -> argparse.ArgumentParser:
    """The parser with the verbs of `modules` registered for real (None: every module). With no modules,
    every verb is there by name and help only, which is all `kubelab --help` needs; with some, the other
    verbs are left out (the command line names one of these modules' verbs)."""
    parser = argparse.ArgumentParser(
        prog="kubelab", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    registered: set[str] = set()
    for verb in VERBS:
        if modules is None or verb.module in modules:
            if verb.module not in registered:
                registered.add(verb.module)
                _load(verb.module).register(subparsers)
        elif not modules:
            subparsers.add_parser(verb.name, aliases=list(verb.aliases), help=verb.help)
    _add_global_options_everywhere(subparsers)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The whole parser, every verb registered (tests; `main` builds only what the command line needs)."""
    return _parser(None)


def chosen_verb(argv: list[str]) -> tuple[Verb | None, bool]:
    """(the verb named on the command line, whether any word stands where a verb could): the first word
    that is neither an option nor a global option's value."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word in _VALUED_GLOBALS:
            skip = True
        elif not word.startswith("-") or word == "-":
            return _BY_NAME.get(word), True
    return None, False


def _parser_for(argv: list[str]) -> argparse.ArgumentParser:
    verb, worded = chosen_verb(argv)
    if verb is not None:
        return _parser([verb.module])
    if not worded:  # `kubelab`, `kubelab --help`: the table's help strings are enough
        return _parser([])
    return build_parser()  # an unknown word (a typo, an abbreviated global option): argparse decides


def resolve_globals(args: argparse.Namespace) -> None:
    """Fill args.state_dir and args.server from flags, environment and the state dir; args.http_server is
    the HTTP API of the state dir's cluster when that is the one talked to (None otherwise)."""
    args.state_dir = resolve_state_dir(getattr(args, "state_dir", None))
    args.server = getattr(args, "server", None) or os.environ.get(SERVER_ENV)
    args.http_server = None
    if not args.server:
        args.server, args.http_server = apiserver_addresses(args.state_dir)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser_for(argv)
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
    except (RuntimeError, OSError) as e:  # ClusterError and ProxyError are RuntimeErrors
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
