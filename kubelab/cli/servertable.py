"""`kubelab get KIND` as kubectl gets it: the API server's Table (server-side printing), over its HTTP API.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and only lays the rows out
(cli-runtime printers/tableprinter.go); the API server fills the cells with the same printers
(kubelab.printers.tables) that `kubelab get` uses over gRPC, so the two print the same table. This path
loads neither gRPC nor protobuf, which is most of a command's start-up (issue 19: `kubelab get pods`).

It serves the common case only: one kind, no names, a table or `-o wide`, no watch, sort or label
columns, the cluster of the state dir (whose HTTP address it knows). Anything else, and any answer but
a Table (refused, timed out, an error status), returns None and the caller takes the gRPC path, which
reports errors in kubectl's words: this path never prints an error of its own.
"""
from __future__ import annotations

import argparse
import http.client
import json
import sys
import urllib.parse

from kubelab.api import kinds
from kubelab.cli.render.tabwriter import table_writer
from kubelab.printers import TABLE_MEDIA

__all__ = ["get_table"]

#: Seconds for the whole answer; a server that does not answer in time is the gRPC path's to report.
TIMEOUT = 3.0


def get_table(args: argparse.Namespace) -> int | None:
    """Print the table and return the exit status, or None when this path does not apply or failed."""
    kind = _kind(args)
    if kind is None:
        return None
    namespace = "" if args.all_namespaces else (args.namespace or kinds.DEFAULT_NAMESPACE)
    table = _fetch(args.http_server, kind, namespace, args.selector or "", args.field_selector or "")
    if table is None:
        return None
    with_ns = args.all_namespaces and kind.namespaced
    text = layout(table, wide=args.output == "wide", with_namespace=with_ns, headers=not args.no_headers)
    if text:
        sys.stdout.write(text)
        sys.stdout.flush()
    elif kind.namespaced and not args.all_namespaces:
        print(f"No resources found in {namespace} namespace.", file=sys.stderr, flush=True)
    else:
        print("No resources found", file=sys.stderr, flush=True)
    return 0


def _kind(args: argparse.Namespace) -> kinds.Kind | None:
    """The one kind the command lists, if this path can serve the command."""
    if not getattr(args, "http_server", None) or len(args.resources) != 1:
        return None
    if (args.output or "") not in ("", "wide") or args.watch or args.watch_only or args.sort_by \
            or args.label_columns or args.show_labels:
        return None
    word = args.resources[0]
    if "," in word or "/" in word:
        return None
    try:
        kind = kinds.lookup(word)
    except kinds.UnknownKind:
        return None  # `all`, or a typo: the gRPC path says what the server has
    return None if kind.kind == "Endpoints" else kind  # its deprecation warning is the gRPC path's


def _fetch(address: str, kind: kinds.Kind, namespace: str, label_selector: str, field_selector: str
           ) -> dict | None:
    query = {k: v for k, v in (("labelSelector", label_selector), ("fieldSelector", field_selector)) if v}
    path = kind.collection_path(namespace) + ("?" + urllib.parse.urlencode(query) if query else "")
    host, _, port = address.rpartition(":")
    conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=TIMEOUT)
    try:
        conn.request("GET", path, headers={"Accept": TABLE_MEDIA, "User-Agent": "kubelab"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            return None
        table = json.loads(body)
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    return table if isinstance(table, dict) and table.get("kind") == "Table" else None


def layout(table: dict, *, wide: bool, with_namespace: bool, headers: bool = True) -> str:
    """A Table's rows as `kubelab get` prints them: the priority-0 columns (all with wide), NAMESPACE first
    with -A, rows by namespace and name (the order of the gRPC path); "" when there are no rows."""
    columns = table.get("columnDefinitions") or []
    keep = [i for i, c in enumerate(columns) if wide or not c.get("priority")]
    rows = sorted(table.get("rows") or [], key=_namespace_and_name)
    if not rows:
        return ""
    lines = []
    if headers:
        lines.append((["NAMESPACE"] if with_namespace else []) + [columns[i]["name"].upper() for i in keep])
    for row in rows:
        cells = [str(row["cells"][i]) for i in keep]
        lines.append(([_namespace_and_name(row)[0]] if with_namespace else []) + cells)
    return table_writer().format("".join("\t".join(line) + "\n" for line in lines))


def _namespace_and_name(row: dict) -> tuple[str, str]:
    meta = (row.get("object") or {}).get("metadata") or {}
    return meta.get("namespace", ""), meta.get("name", "")
