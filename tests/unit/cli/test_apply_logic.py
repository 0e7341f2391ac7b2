"""apply's pure parts: three-way merge, the last-applied annotation, manifests, targets, error texts."""

import json

import grpc
import pytest

from kubelab.cli.cmd.apply import last_applied
from kubelab.cli.errors import format_api_error
from kubelab.cli.manifests import read_documents
from kubelab.cli.merge import contains, patch_of, three_way, identity_changed, merge_patch_between
from kubelab.cli.session import CliError
from kubelab.cli.targets import multiple_types, parse_targets
from kubelab.errors import ApiError

LIVE = {"metadata": {"name": "web", "resourceVersion": "7", "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {"replicas": 5, "template": {"spec": {"containers": [
            {"name": "nginx", "image": "nginx", "imagePullPolicy": "Always", "command": ["nginx"]}]}}}}


def test_unchanged_when_the_live_object_has_every_value():
    modified = {"metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx", "command": ["nginx"]}]}}}}
    assert three_way(modified, modified, LIVE) is None


def test_changes_keep_defaults_and_fields_set_by_others():
    modified = {"metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.27", "command": ["nginx"]}]}}}}
    merged = three_way(None, modified, LIVE)
    assert merged["spec"]["replicas"] == 5  # set by `scale`, not in the manifest
    assert merged["metadata"]["resourceVersion"] == "7"
    assert merged["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1"}
    assert merged["spec"]["template"]["spec"]["containers"] == [
        {"name": "nginx", "image": "nginx:1.27", "imagePullPolicy": "Always", "command": ["nginx"]}]


def test_fields_removed_from_the_manifest_are_removed():
    original = {"spec": {"replicas": 5, "template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx", "command": ["nginx"]}]}}}}
    modified = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}
    merged = three_way(original, modified, LIVE)
    assert "replicas" not in merged["spec"]
    assert merged["spec"]["template"]["spec"]["containers"] == [
        {"name": "nginx", "image": "nginx", "imagePullPolicy": "Always"}]



def deployment(strategy: dict | None, volumes: list[dict], image: str = "nginx") -> dict:
    spec = {"replicas": 1, "template": {"spec": {"containers": [{"name": "nginx", "image": image}],
                                                 "volumes": volumes}}}
    if strategy is not None:
        spec["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": spec}


ROLLING = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
PVC_VOLUME = {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}


def test_retain_keys_switches_a_deployment_to_recreate():
    live = deployment(ROLLING, [PVC_VOLUME])
    live["spec"]["replicas"] = 3  # set by `scale`: kept, retainKeys is for the strategy struct only
    applied = deployment(None, [PVC_VOLUME])
    del applied["spec"]["replicas"]
    modified = deployment({"type": "Recreate"}, [PVC_VOLUME])
    del modified["spec"]["replicas"]
    merged = three_way(applied, modified, live)
    assert merged["spec"]["strategy"] == {"type": "Recreate"}  # the defaulted rollingUpdate is gone
    assert merged["spec"]["replicas"] == 3
    # the old workaround, `rollingUpdate: null`, leaves no null behind
    modified["spec"]["strategy"]["rollingUpdate"] = None
    assert three_way(applied, modified, live)["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_keeps_what_the_manifest_names_and_the_defaults_inside_it():
    live = deployment(ROLLING, [PVC_VOLUME])
    modified = deployment({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}, [PVC_VOLUME], "nginx:2")
    merged = three_way(None, modified, live)
    # RollingUpdateDeployment itself is not retainKeys: its defaulted maxUnavailable stays
    assert merged["spec"]["strategy"] == {"type": "RollingUpdate",
                                          "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}


def test_retain_keys_default_alone_is_no_change():
    # the live rollingUpdate is the server's default for the type the manifest names: nothing to write
    modified = deployment({"type": "RollingUpdate"}, [PVC_VOLUME])
    assert three_way(modified, modified, deployment(ROLLING, [PVC_VOLUME])) is None
    changed = deployment({"type": "RollingUpdate"}, [PVC_VOLUME], "nginx:2")
    assert three_way(modified, changed, deployment(ROLLING, [PVC_VOLUME]))["spec"]["strategy"] == {
        "type": "RollingUpdate"}  # written without it, as kubectl's patch does; the server defaults it again


def test_retain_keys_statefulset_update_strategy():
    live = {"kind": "StatefulSet", "metadata": {"name": "db"},
            "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}}}
    modified = {"kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {"updateStrategy": {"type": "OnDelete"}}}
    merged = three_way(None, modified, live)
    assert merged["spec"] == {"replicas": 3, "updateStrategy": {"type": "OnDelete"}}


def test_retain_keys_a_volume_changes_its_source():
    config = {"name": "cfg", "configMap": {"name": "settings", "defaultMode": 420}}
    live = deployment(ROLLING, [{"name": "data", "emptyDir": {}}, config])
    # no last-applied source to drop (the object was created, not applied): retainKeys drops emptyDir
    modified = deployment(None, [PVC_VOLUME, {"name": "cfg", "configMap": {"name": "settings"}}])
    merged = three_way(None, modified, live)
    assert merged["spec"]["template"]["spec"]["volumes"] == [PVC_VOLUME, config]  # defaultMode: inside the source
    assert merged["spec"]["strategy"] == ROLLING  # the manifest names no strategy: the live one stays
    pod_live = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"volumes": [{"name": "data", "emptyDir": {}}]}}
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"volumes": [PVC_VOLUME]}}
    assert three_way(None, pod, pod_live)["spec"]["volumes"] == [PVC_VOLUME]


def test_retain_keys_only_where_the_kubernetes_types_have_them():
    # elsewhere extra live keys stay: a Service port keeps its defaults
    live = {"kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}]}}
    modified = {"kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}], "type": "NodePort"}}
    assert three_way(None, modified, live)["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]

def test_containment_rules():
    assert contains({"a": [1, 2], "b": True}, {"a": [1, 2]})
    assert not contains({"a": [1, 2, 3]}, {"a": [1, 2]})  # plain lists are atomic
    assert not contains({"a": 1}, {"a": True}) and not contains({"a": True}, {"a": 1})
    assert contains({"ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 81}]},
                    {"ports": [{"containerPort": 81}, {"containerPort": 80}]})  # keyed: order is free
    assert patch_of({"spec": {"replicas": 1, "x": 2}}, {"spec": {"replicas": 3, "x": 2}}) == {"spec": {"replicas": 3}}


def test_last_applied_annotation_like_kubectl():
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}}
    modified = last_applied(doc, "default")
    text = modified["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert text == ('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web",'
                    '"namespace":"default"},"spec":{"replicas":2}}\n')
    assert doc == {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                   "spec": {"replicas": 2}}  # the input is not changed


def test_manifests_every_document_with_its_error(tmp_path):
    (tmp_path / "a.yaml").write_text("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: app/v1
kind: Deployment
metadata: {name: web}
---
metadata: {name: nokind}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: s}}
""")
    (tmp_path / "b.yml").write_text("a: b: c\n")
    (tmp_path / "notes.txt").write_text("ignored")
    docs = list(read_documents([str(tmp_path)]))
    assert [(d.info.kind if d.info else None, d.name) for d in docs] == [
        ("Deployment", "web"), (None, "web"), (None, "nokind"), ("Service", "s"), (None, "")]
    a = str(tmp_path / "a.yaml")
    assert docs[1].error == (f'error: resource mapping not found for name: "web" namespace: "" from "{a}": '
                             'no matches for kind "Deployment" in version "app/v1"\nensure CRDs are installed first')
    assert docs[2].error.startswith(f'error: error validating "{a}": error validating data: kind not set')
    assert docs[4].error == (f"error: error parsing {tmp_path / 'b.yml'}: error converting YAML to JSON: yaml: "
                             "line 1: mapping values are not allowed here")


def test_missing_file():
    with pytest.raises(FileNotFoundError, match='the path "nope.yaml" does not exist'):
        list(read_documents(["nope.yaml"]))


def test_targets():
    assert [(t.info.kind, t.names) for t in parse_targets(["po", "a", "b"])] == [("Pod", ["a", "b"])]
    assert [(t.info.kind, t.names) for t in parse_targets(["pod/a", "pvc/b", "pod/c"])] == [
        ("Pod", ["a", "c"]), ("PersistentVolumeClaim", ["b"])]
    assert [t.info.kind for t in parse_targets(["pv,pvc"])] == ["PersistentVolume", "PersistentVolumeClaim"]
    assert [t.info.kind for t in parse_targets(["all"])] == ["Pod", "Service", "Deployment", "ReplicaSet",
                                                             "StatefulSet"]
    with pytest.raises(CliError, match='the server doesn\'t have a resource type "foo"'):
        parse_targets(["foo"])
    with pytest.raises(CliError, match="there is no need to specify a resource type"):
        parse_targets(["pods", "pod/a"])
    assert multiple_types(["pv,pvc"]) and multiple_types(["all"]) and multiple_types(["pod/a", "svc/b"])
    assert not multiple_types(["pods", "a"]) and not multiple_types(["pod/a", "pod/b"])


def invalid(*causes):
    texts = [f"{f}: {m}" for f, m in causes]
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, "Invalid", f'Deployment.apps "web" is invalid: {body}',
                    [(f, t) for (f, _), t in zip(causes, texts)])


def test_error_texts():
    nf = ApiError(grpc.StatusCode.NOT_FOUND, "NotFound", 'pods "x" not found')
    assert format_api_error(nf) == 'Error from server (NotFound): pods "x" not found'
    bad = ApiError(grpc.StatusCode.INVALID_ARGUMENT, "BadRequest", 'Deployment in version "v1" cannot be handled')
    assert format_api_error(bad, verb="creating", source="deploy.yaml") == (
        'Error from server (BadRequest): error when creating "deploy.yaml": Deployment in version "v1" cannot be handled')
    one = invalid(("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"))
    assert format_api_error(one) == (
        'The Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0')
    # from a file: the file, the object and the field, in the form kubectl gives an error from a file
    assert format_api_error(one, verb="creating", source="x.yaml") == (
        'Error from server (Invalid): error when creating "x.yaml": Deployment.apps "web" is invalid: '
        'spec.replicas: Invalid value: -1: must be greater than or equal to 0')
    two = invalid(("spec.a", "Required value"), ("spec.b", 'Unsupported value: "x"'))
    assert format_api_error(two) == ('The Deployment "web" is invalid: \n* spec.a: Required value\n'
                                     '* spec.b: Unsupported value: "x"')
    assert json.dumps(format_api_error(two)).count("\\n") == 2


def test_edit_patch_carries_only_what_the_edit_changed():
    """kubectl edit's two-way patch: the kubelet's status written meanwhile, or a resourceVersion that
    moved on, is no part of it; a removed key is null; a changed list goes whole (RFC 7386)."""
    original = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "ed", "resourceVersion": "7", "labels": {"app": "web", "tier": "x"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}], "activeDeadlineSeconds": 30},
                "status": {"phase": "Pending"}}
    edited = {"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "ed", "resourceVersion": "7", "labels": {"app": "edited"}},
              "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}], "activeDeadlineSeconds": 30},
              "status": {"phase": "Pending"}}
    patch = merge_patch_between(original, edited)
    assert patch == {"metadata": {"labels": {"app": "edited", "tier": None}},
                     "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}
    assert not identity_changed(patch)
    assert merge_patch_between(original, original) == {}
    assert merge_patch_between({"a": 1}, {"a": True}) == {"a": True}  # equal in Python, not in JSON


def test_edit_refuses_a_changed_identity():
    base = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ed"}}
    for changed in ({**base, "kind": "Service"}, {**base, "apiVersion": "v2"}, {**base, "metadata": {"name": "x"}}):
        assert identity_changed(merge_patch_between(base, changed))
    assert not identity_changed(merge_patch_between(base, {**base, "metadata": {"name": "ed", "labels": {}}}))
