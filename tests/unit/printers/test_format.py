"""Ages, labels, selectors and quantities as the printers render them."""

import pytest

from kubelab.printers import format as fmt
from tests.unit.cli.helpers import NOW, ago, obj

H, M, D = 3600, 60, 86400


@pytest.mark.parametrize("seconds, want", [
    # apimachinery duration_test.go's table, plus the boundaries between its ranges
    (1, "1s"), (70, "70s"), (119, "119s"), (120, "2m"), (190, "3m10s"), (9 * M + 59, "9m59s"), (10 * M, "10m"),
    (70 * M, "70m"), (179 * M, "179m"), (3 * H, "3h"), (4 * H + 30 * M, "4h30m"), (8 * H, "8h"), (47 * H, "47h"),
    (49 * H, "2d1h"), (3 * D, "3d"), ((8 * 24 + 2) * H, "8d"), (367 * D, "367d"),
    ((365 * 2 * 24 + 25) * H, "2y1d"), ((365 * 8 * 24 + 2) * H, "8y"),
    (0, "0s"), (-1, "0s"), (-2, "<invalid>"), (0.9, "0s"), (5.99, "5s"),
])
def test_human_duration(seconds, want):
    assert fmt.human_duration(seconds) == want


def test_since_unset_is_unknown():
    p = obj("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n")
    assert fmt.since(p.metadata, "creation_timestamp", NOW) == "<unknown>"


def test_since_a_timestamp():
    p = obj("apiVersion: v1\nkind: Pod\nmetadata: {{name: x, creationTimestamp: '{t}'}}\n", t=ago(3 * M + 2))
    assert fmt.since(p.metadata, "creation_timestamp", NOW) == "3m2s"



@pytest.mark.parametrize("value, want", [("1Gi", "1Gi"), ("1024Mi", "1Gi"), ("500M", "500M"), ("", "0"),
                                         ("not-a-quantity", "not-a-quantity")])
def test_quantity_canonical(value, want):
    assert fmt.quantity(value) == want


def test_labels_and_selectors():
    assert fmt.format_labels({}) == "<none>"
    assert fmt.format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    d = obj("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector:
    matchLabels: {app: web}
    matchExpressions: [{key: tier, operator: In, values: [a, b]}]
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: i}]}}
""")
    assert fmt.format_label_selector(d.spec.selector) == "app=web,tier in (a,b)"
