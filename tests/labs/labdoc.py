"""What a lab's README promises, read from the README itself, so that the lab and its test cannot drift.

A README marks each expected `kubelab timeline` excerpt with an HTML comment on the line before its
code block:

    <!-- expected-timeline: after-restart -->
    ```text
    kubelab                  Component/scheduler   killed (SIGKILL)
    statefulset-controller   Pod/web-2             created
    ```

Each line is `ACTOR  OBJECT  WHAT` (columns two or more spaces apart, the time column left out, since
times differ run to run); `*` matches anything, and WHAT matches the start of the line's text. The
test asserts that the timeline has lines matching them in that order, other lines in between.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

LABS = Path(__file__).resolve().parents[2] / "labs"
_MARK = re.compile(r"<!--\s*expected-timeline:\s*([\w-]+)\s*-->\s*\n```\w*\n(.*?)```", re.S)
_COLUMNS = re.compile(r"\s{2,}")


@dataclass(frozen=True)
class Pattern:
    actor: str
    object: str
    what: str

    def matches(self, actor: str, obj: str, what: str) -> bool:
        return (fnmatch.fnmatchcase(actor, self.actor) and fnmatch.fnmatchcase(obj, self.object)
                and fnmatch.fnmatchcase(what, self.what + "*"))

    def __str__(self) -> str:
        return f"{self.actor}  {self.object}  {self.what}"


def expected_timelines(lab: str) -> dict[str, list[Pattern]]:
    text = (LABS / lab / "README.md").read_text()
    found = {}
    for name, body in _MARK.findall(text):
        patterns = []
        for line in body.strip().splitlines():
            cols = _COLUMNS.split(line.strip(), maxsplit=2)
            assert len(cols) == 3, \
                f"labs/{lab}/README.md: expected-timeline {name}: {line!r} is not ACTOR  OBJECT  WHAT"
            patterns.append(Pattern(*cols))
        found[name] = patterns
    return found


def parse_timeline(output: str) -> list[tuple[str, str, str]]:
    """(actor, object, what) of each `kubelab timeline` line (the first 14 characters are the time)."""
    rows = []
    for line in output.splitlines():
        cols = _COLUMNS.split(line[14:].strip(), maxsplit=2) if len(line) > 14 else []
        if len(cols) == 3:
            rows.append((cols[0], cols[1], cols[2]))
    return rows


def missing_in_order(output: str, patterns: list[Pattern]) -> list[Pattern]:
    """The patterns that do not match, in order, lines of output (empty: the promise holds)."""
    rows = parse_timeline(output)
    i = 0
    for n, p in enumerate(patterns):
        while i < len(rows) and not p.matches(*rows[i]):
            i += 1
        if i == len(rows):
            return patterns[n:]
        i += 1
    return []


_OUTPUT = re.compile(r"<!--\s*expected-output:\s*([\w-]+)\s*-->\s*\n```\w*\n(.*?)```", re.S)


def expected_outputs(lab: str) -> dict[str, list[str]]:
    """Blocks marked `<!-- expected-output: NAME -->`: lines a command's output must contain, in order
    (`*` matches anything; other lines may come between)."""
    text = (LABS / lab / "README.md").read_text()
    return {name: [line.rstrip() for line in body.strip().splitlines()] for name, body in _OUTPUT.findall(text)}


def missing_lines(output: str, patterns: list[str]) -> list[str]:
    lines = output.splitlines()
    i = 0
    for n, p in enumerate(patterns):
        while i < len(lines) and not fnmatch.fnmatchcase(lines[i].rstrip(), p):
            i += 1
        if i == len(lines):
            return patterns[n:]
        i += 1
    return []
