"""The part of kubectl's JSONPath that scripts and `wait --for=jsonpath=` use.

Supported: `{.a.b}`, `{.a[0]}`, `{.a[*].b}`, `{.a[?(@.type=="Ready")].status}`, `{.a['dotted.key']}`,
`{range .items[*]}...{end}`, `{"literal"}`, several `{...}` with literal text between them. Values print as kubectl prints them: strings as
they are, numbers and booleans as JSON, maps and lists as JSON; several results joined by spaces.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["JSONPathError", "evaluate", "render"]


class JSONPathError(ValueError):
    pass


_STEP = re.compile(r"""\.(?P<field>[A-Za-z0-9_\-]+)
                      |\[(?P<index>-?\d+|\*)\]
                      |\[\?\(@\.(?P<fkey>[A-Za-z0-9_.\-]+)\s*(?P<op>==|!=)\s*(?P<fval>"[^"]*"|'[^']*'|[^)\s]+)\)\]
                      |\[(?P<quoted>'[^']*'|"[^"]*")\]
                      |\.\*""", re.X)


def _parse(expr: str) -> list[re.Match]:
    expr = expr.strip()
    if expr.startswith("$"):
        expr = expr[1:]
    if expr in ("", "."):
        return []
    steps, pos = [], 0
    while pos < len(expr):
        m = _STEP.match(expr, pos)
        if m is None:
            raise JSONPathError(f"unrecognized character in action: {expr[pos:]!r}")
        steps.append(m)
        pos = m.end()
    return steps


def _get_path(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _literal(text: str) -> Any:
    if text[:1] in "'\"":
        return text[1:-1]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def evaluate(data: Any, expr: str) -> list[Any]:
    """The values one `{...}` expression selects (an empty list when nothing matches)."""
    current = [data]
    for step in _parse(expr):
        nxt: list[Any] = []
        for value in current:
            if step.group("field") is not None or step.group("quoted") is not None:
                key = step.group("field") if step.group("field") is not None else step.group("quoted")[1:-1]
                if isinstance(value, dict) and key in value:
                    nxt.append(value[key])
            elif step.group("index") is not None:
                if not isinstance(value, list):
                    continue
                if step.group("index") == "*":
                    nxt.extend(value)
                else:
                    i = int(step.group("index"))
                    if -len(value) <= i < len(value):
                        nxt.append(value[i])
            elif step.group("fkey") is not None:
                items = value if isinstance(value, list) else []
                want = _literal(step.group("fval"))
                equal = step.group("op") == "=="
                nxt.extend(v for v in items if (_get_path(v, step.group("fkey")) == want) == equal)
            elif isinstance(value, dict):  # .*
                nxt.extend(value.values())
            elif isinstance(value, list):
                nxt.extend(value)
        current = nxt
    return current


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


_TOKEN = re.compile(r"\{([^{}]*)\}")


def _tokens(template: str) -> list[tuple[str, str]]:
    """("text"|"expr"|"range"|"end"|"literal", value) for each piece of a template."""
    out, pos = [], 0
    for m in _TOKEN.finditer(template):
        if m.start() > pos:
            out.append(("text", template[pos:m.start()]))
        inner = m.group(1).strip()
        if inner.startswith("range "):
            out.append(("range", inner[len("range "):]))
        elif inner == "end":
            out.append(("end", ""))
        elif inner[:1] in "'\"" and inner[-1:] == inner[:1] and len(inner) >= 2:
            out.append(("literal", inner[1:-1]))
        else:
            out.append(("expr", inner))
        pos = m.end()
    if pos < len(template):
        out.append(("text", template[pos:]))
    return out


def _render(tokens: list[tuple[str, str]], i: int, data: Any, nested: bool) -> tuple[str, int]:
    """Render from token i until the matching {end} (nested) or the end; returns (text, next index)."""
    out = []
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "end":
            if not nested:
                raise JSONPathError("not in range, nothing to end")
            return "".join(out), i + 1
        if kind == "range":
            items, after = evaluate(data, value), None
            for item in items:
                text, after = _render(tokens, i + 1, item, True)
                out.append(text)
            if after is None:  # no items: still find where the body ends
                _, after = _render(tokens, i + 1, {}, True)
            i = after
            continue
        if kind == "expr":
            out.append(" ".join(_text(v) for v in evaluate(data, value)))
        else:
            out.append(value)
        i += 1
    if nested:
        raise JSONPathError("unclosed action: {range} without {end}")
    return "".join(out), i


def render(data: Any, template: str) -> str:
    """kubectl -o jsonpath=TEMPLATE: literal text with `{expr}` replaced by the selected values;
    `{range EXPR}...{end}` repeats its body for each selected value, `{"text"}` is literal text."""
    text, _ = _render(_tokens(template), 0, data, False)
    return text.replace("\\n", "\n").replace("\\t", "\t")
