"""-o json|yaml|name|jsonpath=: Kubernetes JSON with sorted keys, Lists, go-yaml's quoting."""

import json

from kubelab.cli.render import jsonpath
from kubelab.cli.render.output import dumps_yaml, object_name, render_objects
from tests.unit.cli.helpers import obj

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: default
  creationTimestamp: '2026-05-01T11:59:30.123456Z'
  labels: {app: web}
spec:
  containers: [{name: app, image: busybox, command: [sh, -c, "echo <hi> && sleep 1"]}]
status: {phase: Pending}
"""


def test_single_object_json_four_space_indent_sorted_keys_second_precision():
    text = render_objects([obj(POD)], "json", single=True)
    assert text.startswith('{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {\n')
    data = json.loads(text)
    assert list(data) == ["apiVersion", "kind", "metadata", "spec", "status"]
    assert list(data["metadata"]) == sorted(data["metadata"])
    assert data["metadata"]["creationTimestamp"] == "2026-05-01T11:59:30Z"
    assert "\\u003chi\\u003e \\u0026\\u0026" in text  # Go's encoder escapes <, > and &


def test_several_objects_make_a_list():
    data = json.loads(render_objects([obj(POD), obj(POD)], "json", single=False))
    assert data["apiVersion"] == "v1" and data["kind"] == "List"
    assert data["metadata"] == {"resourceVersion": ""}
    assert [i["metadata"]["name"] for i in data["items"]] == ["web-0", "web-0"]
    assert list(data) == ["apiVersion", "items", "kind", "metadata"]


def test_yaml_like_kubectl():
    text = render_objects([obj(POD)], "yaml", single=True)
    assert text.splitlines()[:4] == ["apiVersion: v1", "kind: Pod", "metadata:",
                                     '  creationTimestamp: "2026-05-01T11:59:30Z"']
    assert "  containers:\n  - command:\n    - sh\n" in text
    assert render_objects([obj(POD)] * 2, "yaml", single=False).endswith("kind: List\nmetadata:\n  resourceVersion: \"\"\n")


def test_yaml_quoting():
    assert dumps_yaml({"a": "", "b": "true", "c": "1", "d": "plain text", "e": "two\nlines\n"}) == (
        'a: ""\nb: "true"\nc: "1"\nd: plain text\ne: |\n  two\n  lines\n')


def test_names():
    assert object_name(obj(POD)) == "pod/web-0"
    d = obj("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n")
    assert object_name(d) == "deployment.apps/web"
    sc = obj("apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: s}\nprovisioner: p\n")
    assert render_objects([sc], "name", single=True) == "storageclass.storage.k8s.io/s\n"


def test_jsonpath_output_and_expressions():
    assert render_objects([obj(POD)], "jsonpath={.metadata.name} {.status.phase}", single=True) == "web-0 Pending"
    assert render_objects([obj(POD)] * 2, "jsonpath={.items[*].metadata.name}", single=False) == "web-0 web-0"
    data = {"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "X", "status": "False"}]},
            "metadata": {"labels": {"app.kubernetes.io/name": "web"}}, "spec": {"replicas": 3, "paused": False}}
    assert jsonpath.render(data, '{.status.conditions[?(@.type=="Ready")].status}') == "True"
    assert jsonpath.render(data, "{.metadata.labels['app.kubernetes.io/name']}") == "web"
    assert jsonpath.render(data, "{.spec.replicas}/{.spec.paused}") == "3/false"
    assert jsonpath.render(data, "{.status.conditions[-1].type}") == "X"
    assert jsonpath.evaluate(data, ".missing.field") == []


def test_jsonpath_range_and_literals():
    from kubelab.cli.render import jsonpath
    data = {"items": [{"metadata": {"name": "a"}, "status": {"phase": "Running"}},
                      {"metadata": {"name": "b"}, "status": {"phase": "Pending"}}]}
    template = '{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'
    assert jsonpath.render(data, template) == "a\tRunning\nb\tPending\n"
    assert jsonpath.render({"items": []}, "x{range .items[*]}{.a}{end}y") == "xy"
    for bad in ("{range .items[*]}{.a}", "{end}"):
        try:
            jsonpath.render(data, bad)
        except jsonpath.JSONPathError:
            continue
        raise AssertionError(f"{bad!r} should not render")
