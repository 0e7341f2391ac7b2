"""Following component logs: `kubelab up` in the foreground and `kubelab component-logs NAME -f`.

Each process writes its own file, `<state-dir>/logs/<name>.log`; following means reading the new complete
lines of every file and printing them, in the foreground `up` with a coloured `name |` prefix per component
as docker compose does. Files are read, not piped, so that components outlive the command that shows them.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TextIO

__all__ = ["LogFollower", "use_colour"]

COLOURS = ("36", "33", "32", "35", "34", "96", "93", "92", "95", "94")  # ANSI foreground colours
POLL_SECONDS = 0.1


def use_colour(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and "NO_COLOR" not in os.environ


class _Source:
    def __init__(self, name: str, path: Path, offset: int):
        self.name, self.path, self.offset = name, path, offset
        self.partial = b""


class LogFollower:
    """Prints new lines of several log files, each prefixed with its component's name."""

    def __init__(self, out: TextIO = sys.stdout, colour: bool = False, prefix: bool = True, width: int = 0):
        """width: at least this many columns for names, so that prefixes line up from the first line."""
        self.out, self.colour, self.prefix = out, colour, prefix
        self.sources: list[_Source] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.width = width

    def add(self, name: str, path: Path, offset: int | None = None) -> None:
        """Follow path from byte offset (default: its current end); a missing file is awaited."""
        if offset is None:
            offset = path.stat().st_size if path.exists() else 0
        with self.lock:
            if any(s.name == name for s in self.sources):
                return
            self.sources.append(_Source(name, path, offset))
            self.width = max(self.width, len(name))

    def _label(self, index: int, name: str) -> str:
        if not self.prefix:
            return ""
        label = f"{name.ljust(self.width)} | "
        if self.colour:
            return f"\x1b[{COLOURS[index % len(COLOURS)]}m{label}\x1b[0m"
        return label

    def poll(self) -> bool:
        """Print what was appended since the last poll; True if anything was."""
        printed = False
        with self.lock:
            sources = list(enumerate(self.sources))
        for i, src in sources:
            try:
                with open(src.path, "rb") as f:
                    if os.fstat(f.fileno()).st_size < src.offset:  # truncated or replaced
                        src.offset = 0
                    f.seek(src.offset)
                    data = f.read()
            except FileNotFoundError:
                continue
            if not data:
                continue
            src.offset += len(data)
            *lines, src.partial = (src.partial + data).split(b"\n")
            label = self._label(i, src.name)
            for line in lines:
                self.out.write(label + line.decode(errors="replace") + "\n")
            printed = printed or bool(lines)
        if printed:
            self.out.flush()
        return printed

    def run(self) -> None:
        """Poll until stop is set, then print what is left."""
        while not self.stop.is_set():
            if not self.poll():
                self.stop.wait(POLL_SECONDS)
        self.poll()

    def start(self) -> threading.Thread:
        t = threading.Thread(target=self.run, name="log-follower", daemon=True)
        t.start()
        return t
