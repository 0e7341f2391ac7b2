"""The PATCH types by Content-Type: merge (RFC 7386), JSON patch (RFC 6902), strategic, apply."""
import json

import pytest

from kubelab.api import registry
from kubelab.errors import ApiError
from services.apiserver.http.paths import Target
from services.apiserver.http.patches import APPLY, JSON, MERGE, STRATEGIC, patch_function, validated

DEPLOY = Target(registry.by_kind("Deployment"), "default", "web")
LIVE = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"a": "1"}},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "web", "image": "x"},
                                                                       {"name": "side", "image": "y"}]}}}}


def _apply(media, patch, current=LIVE, manager=""):
    return patch_function(media, json.dumps(patch).encode(), DEPLOY, manager)(json.loads(json.dumps(current)))


def test_merge_patch_replaces_lists_and_null_deletes():
    got = _apply(MERGE, {"metadata": {"labels": {"a": None}}, "spec": {"template": {"spec": {
        "containers": [{"name": "web", "image": "z"}]}}}})
    assert "labels" not in got["metadata"] or got["metadata"]["labels"] == {}
    assert got["spec"]["template"]["spec"]["containers"] == [{"name": "web", "image": "z"}]


def test_strategic_patch_merges_containers_by_name():
    got = _apply(STRATEGIC, {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "z"}]}}}})
    assert [c["image"] for c in got["spec"]["template"]["spec"]["containers"]] == ["z", "y"]


def test_json_patch_and_its_errors():
    assert _apply(JSON, [{"op": "replace", "path": "/spec/replicas", "value": 3}])["spec"]["replicas"] == 3
    with pytest.raises(ApiError) as e:
        _apply(JSON, [{"op": "test", "path": "/spec/replicas", "value": 9}])
    assert e.value.reason == "Invalid"
    with pytest.raises(ApiError) as e:
        _apply(JSON, {"op": "replace"})
    assert e.value.reason == "BadRequest"


def test_apply_needs_a_field_manager_and_records_it():
    with pytest.raises(ApiError, match="fieldManager: Required value"):
        patch_function(APPLY, b"{}", DEPLOY, "")
    got = _apply(APPLY, {"spec": {"replicas": 4}}, manager="me")
    assert got["spec"]["replicas"] == 4
    assert [(m["manager"], m["operation"]) for m in got["metadata"]["managedFields"]] == [("me", "Apply")]
    again = _apply(APPLY, {"spec": {"replicas": 5}}, current=got, manager="me")
    assert len(again["metadata"]["managedFields"]) == 1


def test_unknown_media_type_is_415():
    with pytest.raises(ApiError) as e:
        patch_function("text/plain", b"{}", DEPLOY, "")
    assert e.value.reason == "UnsupportedMediaType"


def test_strict_validation_of_a_patch_names_the_field_patch():
    body = json.dumps({"spec": {"replica": 2}}).encode()
    strict = validated(patch_function(MERGE, body, DEPLOY, ""), DEPLOY, body, "Strict", [])
    with pytest.raises(ApiError) as e:
        strict(json.loads(json.dumps(LIVE)))
    assert e.value.reason == "Invalid" and e.value.causes[0][0] == "patch"
    assert 'strict decoding error: unknown field "spec.replica"' in e.value.message
    warnings = []
    warned = validated(patch_function(MERGE, body, DEPLOY, ""), DEPLOY, body, "Warn", warnings)
    assert "replica" not in warned(json.loads(json.dumps(LIVE)))["spec"]
    assert warnings == ['unknown field "spec.replica"']
