"""Go durations as kubectl's flags take them: `30s`, `1m30s`, `2h`, `500ms`, a bare number of seconds."""

from __future__ import annotations

import re

from kubelab.cli.session import CliError

__all__ = ["parse_duration"]

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in a Go duration string; raises CliError with Go's message when it is not one."""
    s = text.strip()
    if re.fullmatch(r"\d+(\.\d*)?", s):
        return float(s)
    sign = -1.0 if s.startswith("-") else 1.0
    body = s.lstrip("+-")
    pos, total = 0, 0.0
    while pos < len(body):
        m = _PART.match(body, pos)
        if m is None:
            raise CliError(f'error: time: invalid duration "{text}"')
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not body:
        raise CliError(f'error: time: invalid duration "{text}"')
    return sign * total
