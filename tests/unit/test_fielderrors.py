"""Field errors must read exactly like apimachinery's (expectations from field/errors_test.go, v1.34)."""

from dataclasses import dataclass

import pytest

from kubelab import fielderrors as fe
from kubelab.fielderrors import ErrorType, Path


def test_path_renders_children_indexes_and_keys():
    p = Path("spec").child("template").child("spec").index(0).key("app")
    assert str(p) == "spec.template.spec[0][app]"
    assert str(Path("metadata", "labels").key("a.b/c")) == "metadata.labels[a.b/c]"
    assert str(Path("spec").child("containers", "ports").index(2)) == "spec.containers.ports[2]"
    assert str(Path("items").index(1).child("name")) == "items[1].name"


def test_path_is_immutable_and_comparable():
    root = Path("spec")
    a, b = root.child("a"), root.child("b")
    assert (str(root), str(a), str(b)) == ("spec", "spec.a", "spec.b")
    assert Path("spec").child("a") == a and hash(Path("spec", "a")) == hash(a)


@pytest.mark.parametrize("err, want", [
    (fe.required(Path("path.to.field"), "the details"), "path.to.field: Required value: the details"),
    (fe.required(Path("spec", "selector")), "spec.selector: Required value"),
    (fe.forbidden(Path("path.to.field"), "the details"), "path.to.field: Forbidden: the details"),
    (fe.too_long(Path("path.to.field"), "the value", 1), "path.to.field: Too long: may not be more than 1 byte"),
    (fe.too_long(Path("path.to.field"), "the value", 2), "path.to.field: Too long: may not be more than 2 bytes"),
    (fe.too_long(Path("path.to.field"), "the value", -1), "path.to.field: Too long: value is too long"),
    (fe.too_many(Path("path.to.field"), 2, 1), "path.to.field: Too many: 2: must have at most 1 item"),
    (fe.too_many(Path("path.to.field"), 3, 2), "path.to.field: Too many: 3: must have at most 2 items"),
    (fe.too_many(Path("path.to.field"), 2, -1), "path.to.field: Too many: 2: has too many items"),
    (fe.too_many(Path("path.to.field"), -1, 1), "path.to.field: Too many: must have at most 1 item"),
    (fe.internal_error(Path("path.to.field"), RuntimeError("the error")), "path.to.field: Internal error: the error"),
    (fe.invalid(Path("path.to.field"), "the value", "the details"),
     'path.to.field: Invalid value: "the value": the details'),
    (fe.invalid("path.to.field", -42, "the details"), "path.to.field: Invalid value: -42: the details"),
    (fe.invalid("path.to.field", True, "the details"), "path.to.field: Invalid value: true: the details"),
    (fe.invalid("path.to.field", ["one", "two", "three"], "the details"),
     'path.to.field: Invalid value: ["one","two","three"]: the details'),
    (fe.invalid("path.to.field", {"one": 1, "two": 2, "three": 3}, "the details"),
     'path.to.field: Invalid value: {"one":1,"three":3,"two":2}: the details'),
    (fe.invalid("path.to.field", None, "the details"), "path.to.field: Invalid value: null: the details"),
    (fe.invalid("path.to.field", fe.OMIT_VALUE, "the details"), "path.to.field: Invalid value: the details"),
    (fe.not_found(Path("path.to.field"), "the value"), 'path.to.field: Not found: "the value"'),
    (fe.not_supported(Path("path.to.field"), "the value", ["val1", "val2"]),
     'path.to.field: Unsupported value: "the value": supported values: "val1", "val2"'),
    (fe.not_supported(Path("path.to.field"), "x", []), 'path.to.field: Unsupported value: "x"'),
    (fe.duplicate(Path("path.to.field"), "the value"), 'path.to.field: Duplicate value: "the value"'),
])
def test_error_formatting_matches_apimachinery(err, want):
    assert str(err) == want


def test_reference_examples_from_kubernetes_behaviour():
    tpl = Path("spec", "template")
    restart = fe.not_supported(tpl.child("spec", "restartPolicy"), "OnFailure", ["Always"])
    assert str(restart) == 'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'
    labels = fe.invalid(tpl.child("metadata", "labels"), {"app": "web"}, "`selector` does not match template `labels`")
    assert str(labels) == ('spec.template.metadata.labels: Invalid value: {"app":"web"}: '
                           "`selector` does not match template `labels`")
    deadline = fe.forbidden(tpl.child("spec", "activeDeadlineSeconds"),
                            "activeDeadlineSeconds in ReplicaSet is not Supported")
    assert str(deadline) == ("spec.template.spec.activeDeadlineSeconds: Forbidden: "
                             "activeDeadlineSeconds in ReplicaSet is not Supported")


def test_error_exposes_parts_for_bad_request_details():
    err = fe.invalid(Path("spec", "replicas"), -1, "must be greater than or equal to 0")
    assert err.field == "spec.replicas"
    assert err.type is ErrorType.INVALID and err.type.value == "FieldValueInvalid"
    assert err.bad_value == -1 and err.detail == "must be greater than or equal to 0"
    assert err.error_body() == "Invalid value: -1: must be greater than or equal to 0"


def test_nil_path_renders_like_go():
    assert str(fe.invalid(None, "x", "bad")) == '<nil>: Invalid value: "x": bad'


@pytest.mark.parametrize("s, want", [
    ("plain", '"plain"'),
    ('say "hi"\\', '"say \\"hi\\"\\\\"'),
    ("a\nb\tc", '"a\\nb\\tc"'),
    ("\x00\x7f", '"\\x00\\x7f"'),
    ("héllo 世界", '"héllo 世界"'),
    ("\u00a0\u200b", '"\\u00a0\\u200b"'),
    ("\U000e0001", '"\\U000e0001"'),
])
def test_go_quote(s, want):
    assert fe.go_quote(s) == want


@pytest.mark.parametrize("value, want", [
    (1.5, "1.5"), (1e6, "1e+06"), (123456.0, "123456"), (1e-5, "1e-05"), (100.0, "100"), (-0.25, "-0.25"),
])
def test_floats_render_as_go_percent_v(value, want):
    assert fe.render_value(value) == want


def test_json_values_are_go_style():
    assert fe.render_value({"b": [1.0, 1e21, 1e-7], "a": "<&>"}) == '{"a":"\\u003c\\u0026\\u003e","b":[1,1e+21,1e-7]}'
    assert fe.render_value(("x", 2)) == '["x",2]'
    assert fe.render_value([]) == "[]"


def test_structs_keep_field_order():
    @dataclass
    class Tiny:
        stringField: str
        intField: int
        boolField: bool

    err = fe.invalid("path.to.field", Tiny("stringval", 9376, True), "the details")
    assert str(err) == 'path.to.field: Invalid value: {"stringField":"stringval","intField":9376,"boolField":true}: the details'


def test_protobuf_messages_render_as_json_in_field_order():
    meta_pb2 = pytest.importorskip("kubelab.api.v1.meta_pb2")
    sel = meta_pb2.LabelSelector(match_labels={"b": "2", "a": "1"})
    sel.match_expressions.add(key="k", operator="In", values=["x"])
    assert fe.render_value(sel) == '{"matchLabels":{"a":"1","b":"2"},"matchExpressions":[{"key":"k","operator":"In","values":["x"]}]}'


def test_invalid_object_message_is_kubernetes_status_message():
    one = [fe.required(Path("spec", "selector"))]
    assert fe.invalid_object_message("Deployment", "web", one, group="apps") == \
        'Deployment.apps "web" is invalid: spec.selector: Required value'
    two = [fe.required(Path("spec", "a")), fe.invalid(Path("spec", "b"), "x", "bad"), fe.required(Path("spec", "a"))]
    assert fe.invalid_object_message("Deployment", "web", two, group="apps") == \
        'Deployment.apps "web" is invalid: [spec.a: Required value, spec.b: Invalid value: "x": bad]'
    assert fe.invalid_object_message("Pod", "p", one) == 'Pod "p" is invalid: spec.selector: Required value'
    assert fe.invalid_object_message("Pod", "p", []) == 'Pod "p" is invalid'


def test_aggregate_of_duplicates_has_no_brackets():
    same = [fe.required("a"), fe.required("a")]
    assert fe.aggregate_message(same) == "a: Required value"


def test_kubectl_rendering_one_and_many():
    one = [fe.not_supported(Path("spec", "template", "spec", "restartPolicy"), "Never", ["Always"])]
    assert fe.kubectl_invalid_message("Deployment", "web", one) == (
        'The Deployment "web" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": '
        'supported values: "Always"')
    many = [("spec.a", "Required value"), ("spec.b", 'Invalid value: "x": bad'), ("spec.a", "Required value")]
    assert fe.kubectl_invalid_message("Deployment", "web", many) == (
        'The Deployment "web" is invalid: \n* spec.a: Required value\n* spec.b: Invalid value: "x": bad')
    assert fe.kubectl_invalid_message("Deployment", "web", []) == 'The Deployment "web" is invalid'
