"""The state dir's journal: what the launcher did to which process, and when.

Every failure verb (and every start and stop) appends one JSON line to `<state-dir>/journal.jsonl`:
`{"time": 1764936000.123, "event": "killed", "name": "scheduler", "pid": 1234}`. The API knows nothing
of processes, so this file is how `kubelab timeline` shows "scheduler killed" beside the Events and
object changes it caused. Appends are single `write` calls of one short line (O_APPEND), so two
commands never interleave inside a line.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL", "append", "read"]

JOURNAL = "journal.jsonl"


def append(root: Path, event: str, name: str, at: float | None = None, **fields: Any) -> None:
    """Record that `event` (killed, paused, partitioned, ...) happened to process `name` at `at` (default
    now); pass the time from just before the signal, since the process may act before this line is written."""
    when = time.time() if at is None else at
    line = json.dumps({"time": round(when, 3), "event": event, "name": name, **fields}) + "\n"
    fd = os.open(Path(root) / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def read(root: Path) -> list[dict[str, Any]]:
    """Every entry, oldest first; a line cut short by a crash is skipped."""
    try:
        text = (Path(root) / JOURNAL).read_text()
    except FileNotFoundError:
        return []
    entries = []
    for line in text.splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries
