"""`kubelab get KIND` through the API server's Table (kubelab.cli.servertable): which commands it serves
and how it lays a Table out; the same table over gRPC is tests/e2e/habits/test_get_paths.py's."""
from __future__ import annotations

import argparse

import pytest

from kubelab.cli import servertable


def args(*resources: str, **kw) -> argparse.Namespace:
    base = dict(resources=list(resources), output="", watch=False, watch_only=False, sort_by=None,
                label_columns=None, show_labels=False, all_namespaces=False, namespace=None, selector=None,
                field_selector=None, no_headers=False, http_server="127.0.0.1:1")
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.mark.parametrize("a, kind", [
    (args("pods"), "Pod"), (args("po", output="wide"), "Pod"), (args("deployments.apps"), "Deployment"),
    (args("pvc", all_namespaces=True, selector="app=web"), "PersistentVolumeClaim"),
])
def test_serves_one_kind_as_a_table(a, kind):
    assert servertable._kind(a).kind == kind


@pytest.mark.parametrize("a", [
    args("pods", http_server=None),  # --server or KUBELAB_SERVER: a cluster whose HTTP API is not known
    args("pods", "web-0"), args("pod/web-0"), args("pods,svc"), args("all"), args("nosuchkind"),
    args("pods", output="yaml"), args("pods", output="jsonpath={.items}"), args("pods", watch=True),
    args("pods", watch_only=True), args("pods", sort_by=".metadata.name"), args("pods", label_columns=["app"]),
    args("pods", show_labels=True),
    args("endpoints"),  # the v1.33 deprecation warning is the gRPC path's
])
def test_leaves_everything_else_to_the_grpc_path(a):
    assert servertable._kind(a) is None


def table(*rows: tuple[str, str, list[str]]) -> dict:
    return {"kind": "Table", "columnDefinitions": [
        {"name": "NAME", "priority": 0}, {"name": "READY", "priority": 0}, {"name": "IP", "priority": 1}],
        "rows": [{"cells": cells, "object": {"metadata": {"namespace": ns, "name": name}}}
                 for ns, name, cells in rows]}


def test_layout_sorts_by_namespace_and_name_and_keeps_the_wide_columns_for_wide():
    t = table(("b", "web-1", ["web-1", "1/1", "10.0.0.2"]), ("a", "web-0", ["web-0", "0/1", "10.0.0.1"]),
              ("b", "db-0", ["db-0", "1/1", "<none>"]))
    assert servertable.layout(t, wide=False, with_namespace=False) == (
        "NAME    READY\n"
        "web-0   0/1\n"
        "db-0    1/1\n"
        "web-1   1/1\n")
    assert servertable.layout(t, wide=True, with_namespace=True) == (
        "NAMESPACE   NAME    READY   IP\n"
        "a           web-0   0/1     10.0.0.1\n"
        "b           db-0    1/1     <none>\n"
        "b           web-1   1/1     10.0.0.2\n")
    assert servertable.layout(t, wide=False, with_namespace=False, headers=False).splitlines()[0] == "web-0   0/1"


def test_layout_of_no_rows_is_empty():
    assert servertable.layout(table(), wide=False, with_namespace=False) == ""
