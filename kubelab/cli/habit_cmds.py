"""The kubectl verbs students reach for beyond the core ones: label, annotate, taint, patch,
api-resources, explain, edit, cp, port-forward. One module per verb group; this one only registers them."""

from __future__ import annotations

import argparse

from kubelab.cli import label_cmds
from kubelab.cli.object_cmds import _verb

__all__ = ["add_commands"]


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
