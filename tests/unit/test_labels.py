"""Label and field selectors: grammar, matching, canonical form and Kubernetes' error messages."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelab.labels import (
    Operator, SelectorError, everything, label_selector_as_selector, new_requirement, nothing,
    parse_field_selector, parse_selector, selector_from_set, selector_matches,
)

KEY_ERR = ("unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of alphanumeric "
           "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
           "or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


@pytest.mark.parametrize("text, canonical", [
    ("a=b", "a=b"), ("a==b", "a==b"), ("a!=b", "a!=b"), ("a in (x,y)", "a in (x,y)"),
    ("a notin (x)", "a notin (x)"), ("a", "a"), ("!a", "!a"), ("", ""),
    ("  b = c ,  a in ( z , y ) ", "a in (y,z),b=c"),
    ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
    ("in in (in,notin)", "in in (in,notin)"),
    ("app.kubernetes.io/name=web", "app.kubernetes.io/name=web"),
    ("a>5,b<3", "a>5,b<3"), ("a=", "a="),
])
def test_parse_and_canonical_form(text, canonical):
    assert str(parse_selector(text)) == canonical


@pytest.mark.parametrize("text, labels, want", [
    ("app=web", {"app": "web"}, True),
    ("app=web", {"app": "db"}, False),
    ("app=web", {}, False),
    ("app!=web", {}, True),
    ("app!=web", {"app": "web"}, False),
    ("tier in (a,b)", {"tier": "b"}, True),
    ("tier in (a,b)", {}, False),
    ("tier notin (a,b)", {}, True),
    ("tier notin (a,b)", {"tier": "a"}, False),
    ("canary", {"canary": ""}, True),
    ("canary", {}, False),
    ("!canary", {}, True),
    ("!canary", {"canary": "yes"}, False),
    ("app=web,!canary", {"app": "web"}, True),
    ("app=web,!canary", {"app": "web", "canary": "1"}, False),
    ("a=", {"a": ""}, True),
    ("n>5", {"n": "6"}, True), ("n>5", {"n": "5"}, False), ("n>5", {"n": "x"}, False), ("n<5", {"n": "-1"}, True),
    ("", {"anything": "x"}, True),
])
def test_matches(text, labels, want):
    assert parse_selector(text).matches(labels) is want


@pytest.mark.parametrize("text, message", [
    ("-a=b", KEY_ERR),
    ("a=b=c", "found '=', expected: ',' or 'end of string'"),
    ("a in x", "unable to parse requirement: found 'x' expected: '('"),
    ("a in (x", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
    ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
    ("a,", "found '', expected: identifier after ','"),
    (",a", "found ',', expected: !, identifier, or 'end of string'"),
    ("!!a", "unable to parse requirement: found '!', expected: identifier"),
    ("a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"),
])
def test_syntax_errors_read_like_kubernetes(text, message):
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert str(info.value) == message


def test_bad_value_error_names_the_value_path():
    with pytest.raises(SelectorError, match=r"^unable to parse requirement: values\[0\]\[a\]: Invalid value: \"-b\": "
                                           r"a valid label must be an empty string"):
        parse_selector("a=-b")


def test_label_selector_dict():
    sel = label_selector_as_selector({
        "matchLabels": {"app": "db"},
        "matchExpressions": [{"key": "role", "operator": "In", "values": ["master", "replica"]},
                             {"key": "broken", "operator": "DoesNotExist"}],
    })
    assert str(sel) == "app=db,!broken,role in (master,replica)"
    assert sel.matches({"app": "db", "role": "replica"})
    assert not sel.matches({"app": "db", "role": "replica", "broken": "y"})
    assert not sel.matches({"app": "db"})


def test_empty_selector_matches_everything_and_none_matches_nothing():
    assert label_selector_as_selector({}).matches({"a": "b"})
    assert label_selector_as_selector({"matchLabels": {}}).empty()
    assert not label_selector_as_selector(None).matches({})
    assert not nothing().matches({}) and everything().matches({})
    assert str(nothing()) == "" and not nothing().empty()


def test_selector_matches_shortcut():
    assert selector_matches({"matchLabels": {"app": "web"}}, {"app": "web", "x": "y"})
    assert not selector_matches({"matchLabels": {"app": "web"}}, {"app": "db"})
    assert selector_matches({}, {}) and not selector_matches(None, {"app": "web"})


def test_label_selector_errors():
    with pytest.raises(SelectorError, match=r'^"Gt" is not a valid label selector operator$'):
        label_selector_as_selector({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})
    with pytest.raises(SelectorError) as info:
        label_selector_as_selector({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
    assert str(info.value) == "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"
    with pytest.raises(SelectorError) as info:
        label_selector_as_selector({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})
    assert str(info.value) == 'values: Invalid value: ["x"]: values set must be empty for exists and does not exist'
    with pytest.raises(SelectorError, match=r'^key: Invalid value: "a b": name part must consist'):
        label_selector_as_selector({"matchLabels": {"a b": "x"}})


def test_label_selector_protobuf_message():
    meta_pb2 = pytest.importorskip("kubelab.api.v1.meta_pb2")
    msg = meta_pb2.LabelSelector(match_labels={"app": "web"})
    msg.match_expressions.add(key="tier", operator="NotIn", values=["cache"])
    sel = label_selector_as_selector(msg)
    assert str(sel) == "app=web,tier notin (cache)"


def test_new_requirement_validates_operator_and_counts():
    assert str(new_requirement("a", "in", ["y", "x"])) == "a in (x,y)"
    with pytest.raises(SelectorError, match=r'^operator: Unsupported value: "~": supported values: "in", "notin", "=", '):
        new_requirement("a", "~", ["x"])
    with pytest.raises(SelectorError, match="exact-match compatibility requires one single value"):
        new_requirement("a", Operator.EQUALS, ["x", "y"])


def test_selector_from_set():
    assert str(selector_from_set({"b": "2", "a": "1"})) == "a=1,b=2"
    assert selector_from_set({}).empty() and selector_from_set(None).matches({"x": "y"})


_names = st.from_regex(r"[a-z]([a-z0-9]{0,5})?", fullmatch=True)


@given(st.dictionaries(_names, _names, max_size=5), st.dictionaries(_names, _names, max_size=5))
def test_set_selector_round_trips_and_matches_supersets(wanted, extra):
    sel = selector_from_set(wanted)
    assert parse_selector(str(sel)) == sel
    assert sel.matches({**extra, **wanted})


@given(st.lists(st.tuples(_names, st.sampled_from(["in", "notin"]), st.sets(_names, min_size=1, max_size=3)),
                max_size=4))
def test_canonical_form_reparses_to_the_same_selector(parts):
    text = ",".join(f"{k} {op} ({','.join(sorted(vs))})" for k, op, vs in parts)
    sel = parse_selector(text)
    assert parse_selector(str(sel)) == sel
    assert str(parse_selector(str(sel))) == str(sel)


# --- field selectors ----------------------------------------------------------------------------------

def test_field_selector_parse_and_match():
    sel = parse_field_selector("spec.nodeName!=n1,metadata.name==web-0")
    assert [(r.field, r.operator, r.value) for r in sel.requirements] == [
        ("metadata.name", "=", "web-0"), ("spec.nodeName", "!=", "n1")]
    assert str(sel) == "metadata.name=web-0,spec.nodeName!=n1"
    assert sel.matches({"metadata.name": "web-0", "spec.nodeName": "n2"})
    assert not sel.matches({"metadata.name": "web-0", "spec.nodeName": "n1"})
    assert parse_field_selector("spec.nodeName=").matches({})  # a missing field reads as ""
    assert parse_field_selector("").empty()


def test_field_selector_escapes():
    sel = parse_field_selector(r"metadata.name=a\,b\=c\\d")
    assert sel.requirements[0].value == "a,b=c\\d"
    assert str(sel) == r"metadata.name=a\,b\=c\\d"


@pytest.mark.parametrize("text, message", [
    ("name", "invalid selector: 'name'; can't understand 'name'"),
    ("a=b=c", "invalid field selector: unescaped character in value: 61"),
    (r"a=b\x", r"invalid field selector: invalid escape sequence: \x"),
    ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
])
def test_field_selector_errors(text, message):
    with pytest.raises(SelectorError) as info:
        parse_field_selector(text)
    assert str(info.value) == message
