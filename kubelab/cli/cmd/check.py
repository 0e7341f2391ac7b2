"""kubelab check FILE: kubelab.observe.invariants over a `kubelab record` file; exit 1 on a violation."""

from __future__ import annotations

import argparse
import sys

from kubelab.observe.history import HistoryError, describe, read_history
from kubelab.observe.invariants import INVARIANTS, check

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check", help="check a recorded history against kubelab's invariants",
        description=f"Replay FILE (from `kubelab record`) and check: {', '.join(INVARIANTS)}. Each violation "
        "is printed with the records that show it; the exit status is 1 when there is one.")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    try:
        records = read_history(args.file)
    except (OSError, HistoryError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    violations = check(records)
    changes = sum(1 for r in records if r.type in ("ADDED", "MODIFIED", "DELETED"))
    for v in violations:
        print(f"VIOLATION {v.invariant}: {v.message}")
        for rec in v.evidence:
            print(f"    {describe(rec)}")
    if not records or records[-1].type != "END":
        print(f"note: {args.file} has no END record: the recorder was stopped before its final lists, so lost "
              "writes at the end cannot be told")
    verdict = f"{len(violations)} violation(s)" if violations else "all invariants hold"
    print(f"checked {changes} changes in {len(records)} records against {len(INVARIANTS)} invariants: {verdict}")
    return 1 if violations else 0
