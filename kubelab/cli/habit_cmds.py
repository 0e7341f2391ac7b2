"""The kubectl verbs students reach for beyond the core ones: label, annotate, taint, patch,
api-resources, explain, edit, cp, port-forward. One module per verb group; this one only registers them."""

from __future__ import annotations

import argparse
import asyncio

from kubelab.cli import label_cmds
from kubelab.cli.object_cmds import _verb
from kubelab.cli.session import CliError, Session

__all__ = ["add_commands"]


def _local(module: str, name: str):
    """A verb that needs no cluster: the kind registry and the protos answer it."""
    def handler(args: argparse.Namespace) -> int:
        import importlib
        import sys

        verb = getattr(importlib.import_module(f"kubelab.cli.{module}"), name)
        try:
            return asyncio.run(verb(Session(args, None)))
        except CliError as e:
            print(str(e), file=sys.stderr)
            return 1
    return handler


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    label_cmds.add_commands(subparsers)

    p = subparsers.add_parser("patch", help="update fields of an object (like kubectl patch)")
    p.add_argument("resources", nargs="*", metavar="KIND NAME | KIND/NAME")
    p.add_argument("-p", "--patch", metavar="PATCH", help="the patch, JSON or YAML")
    p.add_argument("--patch-file", metavar="FILE", help="a file holding the patch")
    p.add_argument("--type", default="strategic", metavar="TYPE", help="strategic (default), merge or json")
    p.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: default)")
    p.add_argument("--dry-run", nargs="?", const="client", default="none", choices=("none", "client", "server"),
                   help="only show the result; nothing is written")
    p.add_argument("-o", "--output", metavar="FORMAT", help="print the patched object: yaml, json or name")
    p.set_defaults(func=_verb("patch_cmd", "cmd_patch"))

    p = subparsers.add_parser("edit", help="edit an object in $KUBE_EDITOR or $EDITOR (like kubectl edit)")
    p.add_argument("resources", nargs="*", metavar="KIND NAME | KIND/NAME")
    p.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: default)")
    p.set_defaults(func=_verb("edit_cmd", "cmd_edit"))

    p = subparsers.add_parser("cp", help="copy files to and from a container, through tar (like kubectl cp)")
    p.add_argument("src", metavar="SRC", help="a local path, or POD:PATH")
    p.add_argument("dest", metavar="DEST", help="a local path, or POD:PATH")
    p.add_argument("-c", "--container", help="the container (default: the pod's default or first one)")
    p.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: default)")
    p.set_defaults(func=_verb("cp_cmd", "cmd_cp"))

    p = subparsers.add_parser("port-forward", help="forward local ports to a pod (like kubectl port-forward)")
    p.add_argument("pod", metavar="POD|TYPE/NAME", help="the pod, or deploy/NAME, sts/NAME ... (its first pod)")
    p.add_argument("ports", nargs="*", metavar="[LOCAL:]REMOTE", help="e.g. 8080:80")
    p.add_argument("--address", default="127.0.0.1", help="the local address to listen on (default 127.0.0.1)")
    p.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: default)")
    p.set_defaults(func=_verb("portforward_cmd", "cmd_port_forward"))

    p = subparsers.add_parser("api-resources", help="list the kinds the API server serves")
    p.add_argument("--namespaced", choices=("true", "false"), help="only namespaced (true) or cluster-scoped kinds")
    p.add_argument("-o", "--output", choices=("name", "wide"), help="name: only the resource names")
    p.add_argument("--no-headers", action="store_true", help="omit the header row")
    p.set_defaults(func=_local("api_cmds", "cmd_api_resources"))

    p = subparsers.add_parser("explain", help="the fields of a kind, with their types (like kubectl explain)")
    p.add_argument("resource", metavar="KIND[.FIELD...]", help="e.g. pods.spec.containers")
    p.add_argument("--recursive", action="store_true", help="every nested field, without descriptions")
    p.set_defaults(func=_local("api_cmds", "cmd_explain"))
