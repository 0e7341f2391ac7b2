"""The flags several verbs share, defined once (kubectl's genericclioptions and cmdutil flag helpers).

    namespace(p)        -n/--namespace NS, and -A/--all-namespaces where the verb lists
    files(p)            -f/--filename FILE (repeatable), -R/--recursive
    dry_run(p)          --dry-run[=none|client|server], -o/--output
    selector(p, help)   -l/--selector SEL
    target(p)           the KIND NAME | KIND/NAME positionals and -n
    parse_bool          Go's strconv.ParseBool, for --flag=BOOL options

And how a verb's parser gets its `func`: `verb(fn)` runs `async fn(ctx)` with an API client (run_verb),
`local(fn)` without one (the kind registry and the protos answer it).
"""

from __future__ import annotations

import argparse
from typing import Awaitable, Callable

__all__ = ["dry_run", "files", "local", "namespace", "parse_bool", "selector", "target", "verb",
           "CUSTOM_COLUMNS"]

#: The prefix of `-o custom-columns=NAME:.path,...` (kubelab.cli.render.columns prints it).
CUSTOM_COLUMNS = "custom-columns="


def parse_bool(value: str) -> bool:
    if value.lower() in ("true", "1", "yes", ""):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(
        f'invalid argument "{value}": strconv.ParseBool: parsing "{value}": invalid syntax')


def namespace(p: argparse.ArgumentParser, *, all_namespaces: bool = False) -> None:
    p.add_argument("-n", "--namespace", metavar="NS", help="the namespace (default: default)")
    if all_namespaces:
        p.add_argument("-A", "--all-namespaces", action="store_true",
                       help="list the requested objects across all namespaces")


def files(p: argparse.ArgumentParser, *, required: bool = False) -> None:
    p.add_argument("-f", "--filename", action="append", default=[], required=required, metavar="FILE",
                   help="a manifest file, a directory of them, or - for stdin (repeatable)")
    p.add_argument("-R", "--recursive", action="store_true", help="process directories recursively")


def dry_run(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", nargs="?", const="client", default="none", metavar="none|client|server",
                   help="only show what would be sent: client (nothing sent) or server (validated, not stored)")
    p.add_argument("-o", "--output", metavar="FORMAT", help="print the objects: yaml, json, name or jsonpath=...")


def selector(p: argparse.ArgumentParser, help: str = "label selector") -> None:
    p.add_argument("-l", "--selector", metavar="SEL", help=help)


def target(p: argparse.ArgumentParser) -> None:
    """One object: KIND NAME or KIND/NAME, in a namespace."""
    p.add_argument("resources", nargs="*", metavar="KIND NAME | KIND/NAME")
    namespace(p)


Verb = Callable[..., Awaitable[int]]


def verb(fn: Verb) -> Callable[[argparse.Namespace], int]:
    """A parser's func: run `async fn(ctx)` with a client to args.server (kubelab.cli.session.run_verb)."""
    def handler(args: argparse.Namespace) -> int:
        from kubelab.cli.session import run_verb

        return run_verb(args, fn)
    return handler


def local(fn: Verb) -> Callable[[argparse.Namespace], int]:
    """A parser's func for a verb that needs no cluster: `async fn(ctx)` with no client."""
    def handler(args: argparse.Namespace) -> int:
        import asyncio
        import sys

        from kubelab.cli.session import CliError, Session

        try:
            return asyncio.run(fn(Session(args, None)))
        except CliError as e:
            print(str(e), file=sys.stderr)
            return 1
    return handler
