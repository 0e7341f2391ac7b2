"""docs/architecture.md names real files and functions: every kubelab path it cites exists, and every name
written right after a Python file (`services/x/y.py` `name`, `Class.method`, ... separated by commas, "and"
or "then"; an arrow leaves the file) is defined in that file. A rename that leaves the walkthrough
pointing at nothing fails here, naming the line to fix."""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"

_CODE = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(r"^(kubelab|services|protos|examples|tests|docs)/[\w./<>-]*$")
_PY = re.compile(r"^(?:kubelab|services)/[\w/]+\.py$")
_SAME_FILE = re.compile(r"^\s*(?:,|and|then)?\s*$")
"""What may stand between a file and the names that follow it (anything else, an arrow included, ends the run)."""
_NAME = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:\(.*\))?$")


def _text() -> str:
    return re.sub(r"```.*?```", "", DOC.read_text(), flags=re.S)  # code blocks hold commands and the diagram


@functools.cache
def _defined(path: str) -> frozenset[str]:
    """Names a module defines: functions, classes, their methods, and assignments at module or class
    level or to `self.<name>`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse((ROOT / path).read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        for t in targets:
            if isinstance(t, ast.Name):
                names.add(t.id)
            elif isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                names.add(t.attr)
    return frozenset(names)


def test_every_cited_path_exists():
    missing = []
    for n, line in enumerate(_text().splitlines(), 1):
        for code in _CODE.findall(line):
            for word in code.split():
                word = word.rstrip(".,:;)")
                if _PATH.match(word) and "<" not in word and not (ROOT / word).exists():
                    missing.append(f"line {n}: {word}")
    assert not missing, "docs/architecture.md cites paths that do not exist:\n" + "\n".join(missing)


def _cited() -> list[tuple[int, str, str]]:
    """(line, file, name) for every name written right after a Python file."""
    out = []
    for n, line in enumerate(_text().splitlines(), 1):
        path, end = None, 0
        for m in _CODE.finditer(line):
            code, gap = m.group(1), line[end:m.start()]
            end = m.end()
            if _PY.match(code):
                path = code
            elif path is not None and _SAME_FILE.match(gap) and (name := _NAME.match(code)):
                out.append((n, path, name.group(1)))
            else:
                path = None
    return out


def test_names_after_a_file_are_defined_in_it():
    wrong = [f"line {n}: `{name}` is not defined in {path}" for n, path, name in _cited()
             if not all(part in _defined(path) for part in name.split("."))]
    assert not wrong, "docs/architecture.md names what its files do not define:\n" + "\n".join(wrong)


def test_the_checks_see_the_walkthrough():
    """The patterns above must keep matching the page, or the test before would pass on nothing."""
    assert len(_cited()) > 100
