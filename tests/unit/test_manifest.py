"""Strict manifest decoding and Kubernetes JSON encoding."""
import pytest
import yaml

from kubelab import manifest

DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: "25%"}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
        readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 2}
        livenessProbe: {tcpSocket: {port: http}}
"""


def test_round_trip_keeps_kubernetes_json():
    doc = yaml.safe_load(DEPLOY)
    msg = manifest.from_dict(doc)
    assert manifest.to_dict(msg, compact=True) == doc
    out = manifest.to_dict(msg)
    # plus what Kubernetes always writes, as `kubectl create --dry-run=client -o yaml` shows it
    doc["metadata"]["creationTimestamp"] = None
    doc["spec"]["template"]["metadata"]["creationTimestamp"] = None
    doc["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
    doc["status"] = {}
    assert out == doc
    assert isinstance(out["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], int)
    assert out["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 1
    assert list(out)[:3] == ["apiVersion", "kind", "metadata"]


def test_every_unknown_field_is_named_with_its_path():
    doc = yaml.safe_load(DEPLOY)
    doc["spec"]["replica"] = 3
    doc["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    doc["metadata"]["label"] = {}
    with pytest.raises(manifest.StrictDecodingError) as e:
        manifest.from_dict(doc)
    # in document order, as Kubernetes' strict decoder reports them
    assert e.value.paths == ["metadata.label", "spec.template.spec.containers[0].resource", "spec.replica"]
    assert str(e.value) == ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
                            'unknown field "metadata.label", unknown field "spec.template.spec.containers[0].resource", '
                            'unknown field "spec.replica"')


@pytest.mark.parametrize("api_version", ["app/v1", "v1", "apps/v1beta1"])
def test_wrong_api_version(api_version):
    doc = yaml.safe_load(DEPLOY)
    doc["apiVersion"] = api_version
    with pytest.raises(manifest.NoKindMatchError) as e:
        manifest.from_dict(doc)
    assert str(e.value) == f'no matches for kind "Deployment" in version "{api_version}"'


def test_wrong_types_name_the_field():
    doc = yaml.safe_load(DEPLOY)
    doc["spec"]["replicas"] = "three"
    doc["metadata"]["labels"] = {"app": 5}
    with pytest.raises(manifest.StrictDecodingError) as e:
        manifest.from_dict(doc)
    assert "spec.replicas" in e.value.paths and "metadata.labels" in e.value.paths
    assert "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32" \
        in str(e.value)


@pytest.mark.parametrize("replicas, literal", [(2**31, "2147483648"), (2147483648.0, "2147483648.0"),
                                               (-2**31 - 1, "-2147483649"), (2.5, "2.5")])
def test_a_number_that_is_no_int32_names_the_field_and_the_literal(replicas, literal):
    """encoding/json's literalStore: a number that does not parse as, or overflows, the field's integer type
    (the fuzz test found 2147483648.0 in a containerPort answered without a field path)."""
    doc = yaml.safe_load(DEPLOY)
    doc["spec"]["replicas"] = replicas
    with pytest.raises(manifest.StrictDecodingError) as e:
        manifest.from_dict(doc)
    assert e.value.paths == ["spec.replicas"]
    assert (f"json: cannot unmarshal number {literal} into Go struct field DeploymentSpec.spec.replicas of type "
            "int32") in str(e.value)


def test_the_ends_of_int32_decode():
    doc = yaml.safe_load(DEPLOY)
    for replicas in (2**31 - 1, 0, 3.0):
        doc["spec"]["replicas"] = replicas
        assert manifest.from_dict(doc).spec.replicas == int(replicas)


def test_nulls_are_unset_and_missing_kind_is_reported():
    doc = yaml.safe_load(DEPLOY)
    doc["spec"]["paused"] = None
    assert not manifest.from_dict(doc).spec.paused
    with pytest.raises(manifest.MissingKindError):
        manifest.from_dict({"apiVersion": "v1", "metadata": {"name": "x"}})


def test_multi_document_and_list():
    text = DEPLOY + "\n---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n"
    kinds = [d["kind"] for d in manifest.load_documents(text)]
    assert kinds == ["Deployment", "Namespace"]


def test_quantities_may_be_numbers_as_kubernetes_decodes_them():
    pod = yaml.safe_load("""
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
          - name: app
            image: busybox
            resources: {requests: {cpu: 2, memory: 1.5}, limits: {cpu: 0.5}}
          volumes:
          - {name: scratch, emptyDir: {sizeLimit: 1000}}
        """)
    decoded = manifest.from_dict(pod)
    resources = decoded.spec.containers[0].resources
    assert dict(resources.requests) == {"cpu": "2", "memory": "1.5"} and dict(resources.limits) == {"cpu": "0.5"}
    assert decoded.spec.volumes[0].empty_dir.size_limit == "1000"
    pod["metadata"]["labels"] = {"tier": 2}  # a label is a string, whatever it looks like
    with pytest.raises(manifest.StrictDecodingError):
        manifest.from_dict(pod)
