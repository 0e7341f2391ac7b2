"""Server-side Table printing (apiserver's TableConvertor, meta.k8s.io/v1 Table).

The columns and cells are ``kubelab.printers.tables``' (printers.go): one definition for `kubelab get` and
for kubectl's `get` through this server. Each row carries the object's metadata
as a PartialObjectMetadata (kubectl's NAMESPACE column and --show-labels read it), or the whole object
with includeObject=Object.
"""
from __future__ import annotations

from google.protobuf.message import Message

from kubelab import manifest
from kubelab.printers import TABLE_MEDIA
from kubelab.printers import tables as printers

__all__ = ["TABLE_MEDIA", "wants_table", "new_table", "column_definitions", "table_row"]

_DESCRIPTIONS = {"NAME": "Name must be unique within a namespace.",
                 "AGE": "CreationTimestamp is a timestamp representing the server time when this object was "
                        "created."}


def wants_table(accept: str) -> bool:
    return "as=Table" in accept.replace(" ", "")


def column_definitions(kind: str) -> list[dict]:
    cols = printers.table(kind).columns
    # kubectl upper-cases the names it prints, so the CLI's upper-case names print the same
    return [{"name": c.name, "type": "string",
             "format": "name" if c.name == "NAME" else "", "description": _DESCRIPTIONS.get(c.name, ""),
             "priority": 1 if c.wide else 0} for c in cols]


def table_row(msg: Message, kind: str, now: float, include: str = "Metadata") -> dict:
    row: dict = {"cells": printers.table(kind).cells(msg, now)}
    if include == "Object":
        row["object"] = manifest.to_dict(msg)
    elif include != "None":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                         "metadata": manifest.to_dict(msg).get("metadata", {})}
    return row


def new_table(kind: str, msgs: list[Message], now: float, resource_version: str = "", cont: str = "",
              include: str = "Metadata", headers: bool = True) -> dict:
    meta: dict = {}
    if resource_version:
        meta["resourceVersion"] = resource_version
    if cont:
        meta["continue"] = cont
    table = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
    if headers:
        table["columnDefinitions"] = column_definitions(kind)
    table["rows"] = [table_row(m, kind, now, include) for m in msgs]
    return table
