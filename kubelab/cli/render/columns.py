"""`get` options beyond the kind's table: -L, --sort-by, -o custom-columns=.

Mirrors kubectl's cli-runtime printers/customcolumn.go (spec parsing, `<none>` for a missing value,
several values joined by commas), get/sorter.go (--sort-by on a JSONPath, numbers as numbers) and
the label columns of get/humanreadable_flags.go (header: the key's last path segment, upper-cased).
JSONPath and the objects' JSON form are imported by the options that use them: a plain table (the
label columns too) needs neither (issue 19, `kubelab get pods`).
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf.message import Message

from kubelab.cli.flags import CUSTOM_COLUMNS
from kubelab.cli.render.tabwriter import table_writer
from kubelab.cli.session import CliError

__all__ = ["label_columns", "label_headers", "label_cells", "parse_custom_columns", "custom_columns",
           "sort_objects", "CUSTOM_COLUMNS"]



def label_columns(values: list[str] | None) -> list[str]:
    """-L a,b -L c: every key, in order."""
    return [key for v in values or [] for key in v.split(",") if key]


def label_headers(keys: list[str]) -> list[str]:
    return [key.split("/")[-1].upper() for key in keys]


def label_cells(obj: Message, keys: list[str]) -> list[str]:
    return [obj.metadata.labels.get(key, "") for key in keys]


def _expr(path: str) -> str:
    """`.a.b` or `{.a.b}`: the expression inside the braces (RelaxedJSONPathExpression)."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    if path and not path.startswith((".", "$", "[")):
        path = "." + path
    return path


def parse_custom_columns(spec: str) -> list[tuple[str, str]]:
    """NAME:.metadata.name,STATUS:.status.phase -> [(header, expression)]."""
    if not spec:
        raise CliError("error: custom-columns format specified but no custom columns given")
    columns = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep or not header or not path:
            raise CliError(f"error: unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
        columns.append((header, _expr(path)))
    return columns


def _cell(values: list[Any]) -> str:
    if not values or all(v is None for v in values):
        return "<none>"
    return ",".join(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for v in values)


def custom_columns(objs: list[Message], spec: str, *, no_headers: bool = False) -> str:
    from kubelab.cli.render import jsonpath
    from kubelab.cli.render.output import object_dict
    columns = parse_custom_columns(spec)
    rows = [] if no_headers else [[h for h, _ in columns]]
    for obj in objs:
        data = object_dict(obj)
        try:
            rows.append([_cell(jsonpath.evaluate(data, expr)) for _, expr in columns])
        except jsonpath.JSONPathError as e:
            raise CliError(f"error: {e}") from None
    return table_writer().format("".join("\t".join(r) + "\n" for r in rows))


def _sort_key(value: Any) -> tuple:
    """Numbers before strings, each in its own order (the sorter compares like with like)."""
    if isinstance(value, bool):
        return (1, str(value).lower())
    if isinstance(value, (int, float)):
        return (0, value)
    return (1, value if isinstance(value, str) else json.dumps(value, sort_keys=True))


def sort_objects(objs: list[Message], field: str) -> list[Message]:
    """--sort-by: stable, ascending; an expression that selects nothing in any object is kubectl's error."""
    from kubelab.cli.render import jsonpath
    from kubelab.cli.render.output import object_dict
    expr = _expr(field)
    try:
        keyed = [(jsonpath.evaluate(object_dict(o), expr), o) for o in objs]
    except jsonpath.JSONPathError as e:
        raise CliError(f"error: {e}") from None
    if keyed and all(not values for values, _ in keyed):
        raise CliError(f'error: couldn\'t find any field with path "{{{expr}}}" in the list of objects')
    keyed.sort(key=lambda pair: _sort_key(pair[0][0]) if pair[0] else (-1, 0))
    return [o for _, o in keyed]
