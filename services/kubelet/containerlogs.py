"""Reading container logs: CRI-format files (`<RFC 3339 time> <stdout|stderr> <F|P> <text>`) turned back
into the container's output, with kubectl's options: --tail, --since, --timestamps, -f.

`render` is pure; `follow` polls the file while the run is alive and returns once it ended and every
line was delivered.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LogLine", "parse_line", "render", "read_log", "follow", "follow_lines", "by_stream"]


@dataclass(frozen=True)
class LogLine:
    time: str
    stream: str
    full: bool
    text: bytes

    @property
    def epoch(self) -> float:
        head, _, frac = self.time.rstrip("Z").partition(".")
        t = dt.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc).timestamp()
        return t + (float("0." + frac) if frac else 0.0)


def parse_line(raw: bytes) -> LogLine | None:
    parts = raw.rstrip(b"\n").split(b" ", 3)
    if len(parts) < 3:
        return None
    text = parts[3] if len(parts) == 4 else b""
    return LogLine(parts[0].decode(), parts[1].decode(), parts[2] == b"F", text)


def render(lines: list[LogLine], *, tail: int | None = None, since: float | None = None,
           timestamps: bool = False) -> bytes:
    """The output as the container wrote it (partial lines joined), filtered as kubectl asks."""
    if since is not None:
        lines = [ln for ln in lines if ln.epoch >= since]
    if tail is not None:
        complete = [i for i, ln in enumerate(lines) if ln.full]
        if tail <= 0:
            return b""
        if len(complete) > tail:
            lines = lines[complete[-tail - 1] + 1:]
    out = bytearray()
    start_of_line = True
    for ln in lines:
        if timestamps and start_of_line:
            out += ln.time.encode() + b" "
        out += ln.text
        if ln.full:
            out += b"\n"
        start_of_line = ln.full
    return bytes(out)


def by_stream(lines: list[LogLine]) -> list[tuple[str, bytes]]:
    """The output per stream, in order: consecutive records of one stream rendered together."""
    groups: list[tuple[str, list[LogLine]]] = []
    for ln in lines:
        if groups and groups[-1][0] == ln.stream:
            groups[-1][1].append(ln)
        else:
            groups.append((ln.stream, [ln]))
    return [(stream, render(group)) for stream, group in groups]


def read_log(path: Path) -> tuple[list[LogLine], int]:
    """Every complete record of the file, and the offset after the last one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    end = data.rfind(b"\n") + 1
    lines = [ln for ln in (parse_line(r) for r in data[:end].split(b"\n") if r) if ln is not None]
    return lines, end


async def follow(path: Path, offset: int, alive: Callable[[], bool], *, timestamps: bool = False,
                 interval: float = 0.1) -> AsyncIterator[bytes]:
    """New output after offset until `alive()` is false and the file has nothing more."""
    async for lines in follow_lines(path, offset, alive, interval=interval):
        yield render(lines, timestamps=timestamps)


async def follow_lines(path: Path, offset: int, alive: Callable[[], bool], *,
                       interval: float = 0.1) -> AsyncIterator[list[LogLine]]:
    """The records written after offset, in batches, until `alive()` is false and the file has no more."""
    while True:
        running = alive()
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            data = b""
        end = data.rfind(b"\n") + 1
        if end:
            offset += end
            yield [ln for ln in (parse_line(r) for r in data[:end].split(b"\n") if r) if ln is not None]
        elif not running:
            return
        else:
            await asyncio.sleep(interval)
