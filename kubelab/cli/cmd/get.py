"""kubelab get: kubectl's tables, -o wide|json|yaml|name|jsonpath=, -w, -l, --field-selector, -A.

A table of one kind goes as kubectl's does, through the API server's server-side Table over HTTP
(kubelab.cli.servertable: no gRPC, no protobuf loaded, issue 19); everything else, and any failure of that
path, through gRPC (kubelab.cli.listing), which also reports errors in kubectl's words."""

from __future__ import annotations

import argparse
import sys

from kubelab.cli import flags

__all__ = ["register", "OUTPUTS"]

OUTPUTS = ("wide", "json", "yaml", "name")
#: The -o values that take an argument (kubelab.cli.render: jsonpath, columns).
TEMPLATED = ("jsonpath=", flags.CUSTOM_COLUMNS)


def output_error(value: str) -> str | None:
    """kubectl's refusal of an -o it has no printer for; None when it has one."""
    if value and value not in OUTPUTS and not value.startswith(TEMPLATED):
        return (f'error: unable to match a printer suitable for the output format "{value}", allowed '
                'formats are: custom-columns,json,jsonpath,name,wide,yaml')
    return None


def run_get(args: argparse.Namespace) -> int:
    args.output = args.output or ""
    refused = output_error(args.output)
    if refused:
        print(refused, file=sys.stderr)
        return 1
    from kubelab.cli.servertable import get_table

    code = get_table(args)
    if code is not None:
        return code
    from kubelab.cli.listing import cmd_get

    return flags.verb(cmd_get)(args)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("get", help="list objects in kubectl's tables, or as YAML/JSON")
    p.add_argument("resources", nargs="*", metavar="KIND [NAME...]")
    flags.namespace(p, all_namespaces=True)
    p.add_argument("-o", "--output", metavar="FORMAT", help="wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=NAME:.path,...")
    flags.selector(p, "label selector, e.g. app=web,tier!=db")
    p.add_argument("--field-selector", metavar="SEL", help="field selector, e.g. status.phase=Running")
    p.add_argument("-w", "--watch", action="store_true", help="after the list, print a row per change")
    p.add_argument("--watch-only", action="store_true", help="print only the changes")
    p.add_argument("--show-labels", action="store_true", help="add a LABELS column")
    p.add_argument("-L", "--label-columns", action="append", metavar="KEY[,KEY...]",
                   help="a column with the value of each of these labels")
    p.add_argument("--sort-by", metavar="JSONPATH", help="sort the list by this field, e.g. .metadata.name")
    p.add_argument("--no-headers", action="store_true", help="omit the header row")
    p.set_defaults(func=run_get)
