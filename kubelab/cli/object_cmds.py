"""Object verbs, like kubectl's: apply, create, get, describe, delete, scale, events, wait.

    kubelab apply -f FILE|DIR|URL|- [-n NS] [-R] [--dry-run=client|server] [-o yaml|json|name]
    kubelab create -f FILE|DIR|URL|- [-n NS] [-R] [--dry-run=client|server] [-o yaml|json|name]
    kubelab create configmap NAME [--from-literal K=V] [--from-file [K=]PATH] [--from-env-file PATH]
    kubelab create secret generic NAME [--from-literal K=V] [--from-file [K=]PATH] [--type TYPE]
    kubelab get KIND [NAME...] | KIND/NAME... [-o wide|json|yaml|name|jsonpath=...|custom-columns=...] [-w]
                [-l SEL] [--field-selector SEL] [-n NS | -A] [--show-labels] [-L KEY] [--sort-by PATH] [--no-headers]
    kubelab describe KIND [NAME...] | KIND/NAME... [-l SEL] [-n NS | -A]
    kubelab delete KIND NAME... | KIND/NAME... | -f FILE | KIND -l SEL | KIND --all
                [--grace-period N] [--force] [--cascade background|foreground|orphan] [--wait=false]
    kubelab scale KIND NAME | KIND/NAME --replicas N [--current-replicas N]
    kubelab events [-w] [-A] [--for KIND/NAME] [--types Normal,Warning] [-o json|yaml]
    kubelab wait KIND/NAME... --for=condition=Ready[=True]|--for=delete|--for=jsonpath='{...}'=VALUE
                [--timeout 30s]

logs, exec (kubelab.cli.logs_exec), rollout (kubelab.cli.cmd.rollout) and the node verbs (kubelab.cli.node_cmds)
live in their own modules.
Contract with `kubelab.cli.main`: `add_commands(subparsers)` adds one parser per verb and sets
`func`; main adds --state-dir/--server and resolves args.server before calling it.
"""

from __future__ import annotations

import argparse

from kubelab.cli import create_cmds
from kubelab.cli.session import run_verb

__all__ = ["add_commands"]


def _verb(module: str, name: str):
    """A parser's func: import the verb lazily (keeps `kubelab --help` fast), run it with a client."""
    def handler(args: argparse.Namespace) -> int:
        import importlib

        verb = getattr(importlib.import_module(f"kubelab.cli.{module}"), name)
        return run_verb(args, verb)
    return handler


def _bool(value: str) -> bool:
    if value.lower() in ("true", "1", "yes", ""):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f'invalid argument "{value}": strconv.ParseBool: parsing "{value}": invalid syntax')


def _namespace_flags(p: argparse.ArgumentParser, *, all_namespaces: bool = True) -> None:
    p.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: default)")
    if all_namespaces:
        p.add_argument("-A", "--all-namespaces", action="store_true",
                       help="list the requested objects across all namespaces")


def _file_flags(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument("-f", "--filename", action="append", default=[], required=required, metavar="FILE",
                   help="a manifest file, a directory of them, or - for stdin (repeatable)")
    p.add_argument("-R", "--recursive", action="store_true", help="process directories recursively")


def _dry_run_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", nargs="?", const="client", default="none", metavar="none|client|server",
                   help="only show what would be sent: client (nothing sent) or server (validated, not stored)")
    p.add_argument("-o", "--output", metavar="FORMAT", help="print the objects: yaml, json, name or jsonpath=...")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("apply", help="create or update objects from manifests (like kubectl apply)")
    _file_flags(p, required=True)
    _namespace_flags(p, all_namespaces=False)
    _dry_run_flags(p)
    p.set_defaults(func=_verb("apply_cmd", "cmd_apply"))

    p = subparsers.add_parser("create", help="create objects from manifests (like kubectl create -f), "
                                             "or a configmap or secret")
    _file_flags(p, required=False)
    _namespace_flags(p, all_namespaces=False)
    _dry_run_flags(p)
    p.set_defaults(func=_verb("apply_cmd", "cmd_create"))
    create_cmds.add_create_subcommands(p, _verb)

    p = subparsers.add_parser("get", help="list objects in kubectl's tables, or as YAML/JSON")
    p.add_argument("resources", nargs="*", metavar="KIND [NAME...]")
    _namespace_flags(p)
    p.add_argument("-o", "--output", metavar="FORMAT", help="wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=NAME:.path,...")
    p.add_argument("-l", "--selector", metavar="SEL", help="label selector, e.g. app=web,tier!=db")
    p.add_argument("--field-selector", metavar="SEL", help="field selector, e.g. status.phase=Running")
    p.add_argument("-w", "--watch", action="store_true", help="after the list, print a row per change")
    p.add_argument("--watch-only", action="store_true", help="print only the changes")
    p.add_argument("--show-labels", action="store_true", help="add a LABELS column")
    p.add_argument("-L", "--label-columns", action="append", metavar="KEY[,KEY...]",
                   help="a column with the value of each of these labels")
    p.add_argument("--sort-by", metavar="JSONPATH", help="sort the list by this field, e.g. .metadata.name")
    p.add_argument("--no-headers", action="store_true", help="omit the header row")
    p.set_defaults(func=_verb("get_cmd", "cmd_get"))

    p = subparsers.add_parser("describe", help="show an object in detail, with its events")
    p.add_argument("resources", nargs="*", metavar="KIND [NAME...]")
    _namespace_flags(p)
    p.add_argument("-l", "--selector", metavar="SEL", help="label selector")
    p.add_argument("--show-events", type=_bool, default=True, metavar="BOOL", help="show events (default true)")
    p.set_defaults(func=_verb("describe_cmd", "cmd_describe"))

    p = subparsers.add_parser("delete", help="delete objects by name, selector or manifest")
    p.add_argument("resources", nargs="*", metavar="KIND [NAME...]")
    _file_flags(p, required=False)
    _namespace_flags(p)
    p.add_argument("-l", "--selector", metavar="SEL", help="delete the objects matching this label selector")
    p.add_argument("--all", action="store_true", help="delete every object of the kind in the namespace")
    p.add_argument("--grace-period", type=int, default=-1, metavar="SECONDS",
                   help="seconds a pod gets to terminate (-1: its own; 0 needs --force)")
    p.add_argument("--force", action="store_true", help="remove immediately, without waiting for termination")
    p.add_argument("--cascade", default="background", metavar="MODE",
                   help="background (default), foreground or orphan")
    p.add_argument("--wait", type=_bool, default=True, nargs="?", const=True, metavar="BOOL",
                   help="wait until the objects are gone (default true)")
    p.add_argument("--timeout", default="0s", metavar="DURATION", help="how long to wait (0: no limit)")
    p.add_argument("--ignore-not-found", action="store_true", help="a missing object is not an error")
    p.set_defaults(func=_verb("delete_cmd", "cmd_delete"))

    p = subparsers.add_parser("scale", help="set the replicas of a Deployment, ReplicaSet or StatefulSet")
    p.add_argument("resources", nargs="*", metavar="KIND NAME")
    _file_flags(p, required=False)
    _namespace_flags(p, all_namespaces=False)
    p.add_argument("--replicas", type=int, required=True, metavar="N", help="the new number of replicas")
    p.add_argument("--current-replicas", type=int, default=-1, metavar="N",
                   help="only scale if the current replicas are N")
    p.set_defaults(func=_verb("scale_cmd", "cmd_scale"))

    p = subparsers.add_parser("events", help="list events (kubectl events)")
    _namespace_flags(p)
    p.add_argument("-w", "--watch", action="store_true", help="after the list, print events as they come")
    p.add_argument("--for", dest="for_object", metavar="KIND/NAME", help="only events about this object")
    p.add_argument("--types", metavar="TYPES", help="only these types: Normal, Warning (comma-separated)")
    p.add_argument("-o", "--output", metavar="FORMAT", help="json or yaml")
    p.add_argument("--no-headers", action="store_true", help="omit the header row")
    p.set_defaults(func=_verb("events_cmd", "cmd_events"))

    p = subparsers.add_parser("wait", help="wait for a condition, a value, or deletion of objects")
    p.add_argument("resources", nargs="*", metavar="KIND/NAME")
    _file_flags(p, required=False)
    _namespace_flags(p)
    p.add_argument("--for", dest="for_", required=True, metavar="CONDITION",
                   help="condition=NAME[=VALUE], delete, create, or jsonpath='{.path}'[=VALUE]")
    p.add_argument("-l", "--selector", metavar="SEL", help="wait for the objects matching this selector")
    p.add_argument("--all", action="store_true", help="wait for every object of the kind")
    p.add_argument("--timeout", default="30s", metavar="DURATION", help="give up after this long (default 30s)")
    p.set_defaults(func=_verb("wait_cmd", "cmd_wait"))

