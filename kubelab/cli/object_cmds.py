"""Object verbs, like kubectl's: apply, create, get, describe, delete, scale, events, wait, logs, exec, ...

Not written yet (issue 4, "Object verbs"). Contract with `kubelab.cli.main`:

- `add_commands(subparsers)` adds one parser per verb with `subparsers.add_parser(...)` and sets
  `func=handler` on it (`parser.set_defaults(func=...)`);
- do not add `--state-dir` or `--server`: main adds them to every parser (nested ones too) and, before
  calling the handler, resolves `args.state_dir` (a Path) and `args.server` (HOST:PORT of the API server
  from --server, else KUBELAB_SERVER, else the state dir's cluster.json; None if there is none);
- `handler(args)` returns the exit status (None means 0); errors to stderr in kubectl's form.
"""

from __future__ import annotations

import argparse

__all__ = ["add_commands"]


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the object verbs (none yet)."""
