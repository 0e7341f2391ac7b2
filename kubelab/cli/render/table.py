"""`kubelab get`'s table rows: the kind's columns (kubelab.printers.tables) with the NAMESPACE column and the
`kind/` name prefix the client adds (cli-runtime printers/tableprinter.go, decorateTable)."""

from __future__ import annotations

from google.protobuf.message import Message

from kubelab.printers.tables import table

__all__ = ["header", "row"]


def header(kind: str, *, wide: bool = False, with_namespace: bool = False) -> list[str]:
    names = [c.name for c in table(kind).columns if wide or not c.wide]
    return (["NAMESPACE"] if with_namespace else []) + names


def row(obj: Message, kind: str, now: float, *, wide: bool = False, with_namespace: bool = False,
        name_prefix: str = "") -> list[str]:
    """One object's cells; name_prefix (`pod/`) when several kinds share the output."""
    t = table(kind)
    cells = t.cells(obj, now)
    cells = [c for c, col in zip(cells, t.columns) if wide or not col.wide]
    name_at = next((i for i, col in enumerate(c for c in t.columns if wide or not c.wide)
                    if col.name == "NAME"), None)
    if name_prefix and name_at is not None:
        cells[name_at] = name_prefix + cells[name_at]
    return ([obj.metadata.namespace] if with_namespace else []) + cells
