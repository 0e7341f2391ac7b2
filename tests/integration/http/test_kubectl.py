"""The real kubectl against the API server's HTTP API (no nodes: objects, tables, errors, patches)."""
import json
import time
import uuid

import pytest
import yaml

from tests.support import ROOT

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:%s", env: [{name: A, value: "1"}]}
"""


@pytest.fixture
def ns(kubectl):
    name = f"t-{uuid.uuid4().hex[:6]}"
    kubectl("create", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n")
    return name


def _apply(kubectl, ns, tmp_path, text, *flags):
    f = tmp_path / "m.yaml"
    f.write_text(text)
    return kubectl("apply", "-n", ns, "-f", str(f), *flags)


def test_version_and_api_resources(kubectl):
    assert "Server Version: v1.32.0" in kubectl.out("version")
    lines = kubectl.out("api-resources").splitlines()
    assert lines[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in [line.split() for line in lines]
    wide = kubectl.out("api-resources", "-o", "wide", "--api-group=apps")
    assert "all" in wide and "watch" in wide


def test_get_prints_the_servers_tables(kubectl, ns, tmp_path):
    _apply(kubectl, ns, tmp_path, DEPLOY % (2, "1.26"))
    out = kubectl.out("get", "deploy", "-n", ns, "-o", "wide").splitlines()
    assert out[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]
    assert out[1].split()[:3] == ["web", "0/2", "0"] and "nginx:1.26" in out[1] and "app=web" in out[1]
    every = kubectl.out("get", "deploy", "-A", "--show-labels").splitlines()
    assert every[0].split()[0] == "NAMESPACE" and every[0].split()[-1] == "LABELS"
    row = next(line.split() for line in every if ns in line)
    assert row[0] == ns and row[-1] == "app=web"
    everything = kubectl.out("get", "all", "-n", ns)
    assert "deployment.apps/web" in everything
    assert kubectl.out("get", "ns", ns, "--no-headers").split()[:2] == [ns, "Active"]


def test_output_formats(kubectl, ns, tmp_path):
    _apply(kubectl, ns, tmp_path, DEPLOY % (2, "1.26"))
    doc = yaml.safe_load(kubectl.out("get", "deploy", "web", "-n", ns, "-o", "yaml"))
    assert doc["kind"] == "Deployment" and doc["spec"]["replicas"] == 2
    assert "last-applied-configuration" in str(doc["metadata"]["annotations"])
    listed = json.loads(kubectl.out("get", "deploy", "-n", ns, "-o", "json"))
    assert listed["kind"] == "List" and [i["metadata"]["name"] for i in listed["items"]] == ["web"]
    assert kubectl.out("get", "deploy", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}") \
        == "nginx:1.26"
    cols = kubectl.out("get", "deploy", "-n", ns, "-o", "custom-columns=N:.metadata.name,R:.spec.replicas")
    assert cols.split() == ["N", "R", "web", "2"]


def test_apply_configures_with_a_strategic_merge_patch(kubectl, ns, tmp_path):
    assert "deployment.apps/web created" in _apply(kubectl, ns, tmp_path, DEPLOY % (2, "1.26")).stdout
    assert "deployment.apps/web configured" in _apply(kubectl, ns, tmp_path, DEPLOY % (3, "1.27")).stdout
    assert "deployment.apps/web unchanged" in _apply(kubectl, ns, tmp_path, DEPLOY % (3, "1.27")).stdout
    got = json.loads(kubectl.out("get", "deploy", "web", "-n", ns, "-o", "json"))
    assert got["spec"]["replicas"] == 3
    assert got["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert got["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "A", "value": "1"}]


def test_server_side_apply_creates_then_merges_and_records_the_manager(kubectl, ns, tmp_path):
    assert "serverside-applied" in _apply(kubectl, ns, tmp_path, DEPLOY % (1, "1.26"), "--server-side").stdout
    _apply(kubectl, ns, tmp_path, DEPLOY % (4, "1.26"), "--server-side", "--field-manager=me")
    got = json.loads(kubectl.out("get", "deploy", "web", "-n", ns, "-o", "json", "--show-managed-fields"))
    assert got["spec"]["replicas"] == 4
    assert {"kubectl", "me"} <= {m["manager"] for m in got["metadata"]["managedFields"]}


def test_label_annotate_patch_scale(kubectl, ns, tmp_path):
    _apply(kubectl, ns, tmp_path, DEPLOY % (1, "1.26"))
    assert "deployment.apps/web labeled" in kubectl.out("label", "deploy", "web", "-n", ns, "tier=fe")
    assert "annotated" in kubectl.out("annotate", "deploy", "web", "-n", ns, "note=hi")
    kubectl("label", "deploy", "web", "-n", ns, "app-")
    assert kubectl.out("scale", "deploy", "web", "-n", ns, "--replicas=5").strip() == "deployment.apps/web scaled"
    kubectl("patch", "deploy", "web", "-n", ns, "-p",
            '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}')
    kubectl("patch", "deploy", "web", "-n", ns, "--type=merge", "-p", '{"spec":{"minReadySeconds":2}}')
    kubectl("patch", "deploy", "web", "-n", ns, "--type=json", "-p",
            '[{"op":"add","path":"/spec/template/spec/containers/0/env/-","value":{"name":"B","value":"2"}}]')
    got = json.loads(kubectl.out("get", "deploy", "web", "-n", ns, "-o", "json"))
    assert got["metadata"]["labels"] == {"tier": "fe"} and got["metadata"]["annotations"]["note"] == "hi"
    assert got["spec"]["replicas"] == 5 and got["spec"]["minReadySeconds"] == 2
    c = got["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "nginx:1.28" and [e["name"] for e in c["env"]] == ["A", "B"]
    assert kubectl.out("patch", "deploy", "web", "-n", ns, "--type=merge", "-p",
                       '{"spec":{"minReadySeconds":2}}').strip() == "deployment.apps/web patched (no change)"


def test_kubectls_own_errors(kubectl, ns, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((DEPLOY % (1, "1.26")).replace("replicas: 1", "replica: 1"))
    r = kubectl("create", "-n", ns, "-f", str(bad), check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == (f'Error from server (BadRequest): error when creating "{bad}": Deployment in '
                                'version "v1" cannot be handled as a Deployment: strict decoding error: unknown '
                                'field "spec.replica"')
    invalid = tmp_path / "inv.yaml"
    invalid.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p9}\nspec:\n  containers:\n  - name: C\n")
    r = kubectl("create", "-n", ns, "-f", str(invalid), check=False)
    assert r.stderr.splitlines()[0] == 'The Pod "p9" is invalid: '
    assert "* spec.containers[0].image: Required value" in r.stderr
    r = kubectl("get", "pod", "nope", "-n", ns, check=False)
    assert r.stderr.strip() == 'Error from server (NotFound): pods "nope" not found'
    _apply(kubectl, ns, tmp_path, DEPLOY % (1, "1.26"))
    r = kubectl("create", "-n", ns, "-f", str(tmp_path / "m.yaml"), check=False)
    assert 'Error from server (AlreadyExists): error when creating' in r.stderr and 'deployments.apps "web" already exists' in r.stderr


def test_explain(kubectl):
    out = kubectl.out("explain", "deployment.spec.replicas")
    assert "KIND:       Deployment" in out and "FIELD: replicas <integer>" in out
    fields = kubectl.out("explain", "pods.spec")
    assert "containers\t<[]Container>" in fields


def test_delete_with_dry_run_and_preconditions(kubectl, ns, tmp_path):
    _apply(kubectl, ns, tmp_path, DEPLOY % (1, "1.26"))
    assert "(server dry run)" in kubectl.out("delete", "deploy", "web", "-n", ns, "--dry-run=server")
    assert "web" in kubectl.out("get", "deploy", "-n", ns)
    assert kubectl.out("delete", "deploy", "web", "-n", ns).strip() == 'deployment.apps "web" deleted'
    assert "No resources found" in kubectl("get", "deploy", "-n", ns).stderr


def test_get_watch_prints_changes_as_they_happen(kubectl, ns, tmp_path):
    watch = kubectl.popen("get", "deploy", "-n", ns, "-w")
    try:
        _apply(kubectl, ns, tmp_path, DEPLOY % (1, "1.26"))
        kubectl("scale", "deploy", "web", "-n", ns, "--replicas=3")
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline and not any(line.split()[1:2] == ["0/3"] for line in lines[1:]):
            line = watch.stdout.readline()
            if not line:
                break
            lines.append(line)
        assert lines[0].split()[:2] == ["NAME", "READY"]
        assert any(line.split()[:2] == ["web", "0/3"] for line in lines[1:]), lines
        assert watch.poll() is None  # the watch stays open
    finally:
        watch.kill()
        watch.wait()


def test_validate_warn_prints_the_servers_warnings(kubectl, ns):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, colour: red}\ndata: {k: v}\n"
    r = kubectl("create", "-n", ns, "--validate=warn", "-f", "-", stdin=cm)
    assert r.stdout.strip() == "configmap/c created"
    assert r.stderr.strip() == 'Warning: unknown field "metadata.colour"'


def test_the_seeds_manifests_as_written_get_kubectls_own_errors(kubectl, ns):
    as_written = ROOT / "examples" / "seed" / "as-written"
    r = kubectl("apply", "-n", ns, "-f", str(as_written), check=False)
    assert r.returncode == 1
    assert r.stdout == "storageclass.storage.k8s.io/google-storage created\n"
    assert r.stderr.splitlines() == [
        'resource mapping not found for name: "random-number-generator" namespace: "" from '
        f'"{as_written}/deploy-random-number-generator.yaml": no matches for kind "Deployment" in version "app/v1"',
        "ensure CRDs are installed first",
        f'Error from server (BadRequest): error when creating "{as_written}/pvc-definition.yaml": '
        'PersistentVolumeClaim in version "v1" cannot be handled as a PersistentVolumeClaim: strict decoding '
        'error: unknown field "spec.resource"']
    kubectl("delete", "storageclass", "google-storage")
