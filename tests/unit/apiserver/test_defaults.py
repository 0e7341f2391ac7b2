"""Defaults as Kubernetes sets them (pkg/apis/{apps,core,storage}/v1/defaults.go): what a user leaves out
is filled in, what a user wrote is kept, and pod-only defaults stay off templates."""
import pytest

from kubelab.manifest import to_dict
from services.apiserver.defaults import apply_defaults, image_pull_policy

from .manifests import (
    DEPLOYMENT, POD_WITH_CLAIM, POD_WITH_PROBES, PV, PVC, REPLICASET, SERVICE, STATEFULSET, STORAGECLASS, load,
)

POD_SPEC_DEFAULTS = {"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                     "securityContext": {}, "schedulerName": "default-scheduler"}


def test_deployment():
    spec = to_dict(load(DEPLOYMENT))["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}
    assert (spec["replicas"], spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]) == (3, 10, 600)
    assert POD_SPEC_DEFAULTS.items() <= spec["template"]["spec"].items()
    assert "enableServiceLinks" not in spec["template"]["spec"]  # a Pod-only default
    container = spec["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert (container["imagePullPolicy"], container["terminationMessagePath"], container["terminationMessagePolicy"]) \
        == ("IfNotPresent", "/dev/termination-log", "File")


def test_deployment_replicas_and_recreate():
    spec = to_dict(load(DEPLOYMENT, spec__replicas="DELETE", spec__strategy={"type": "Recreate"}))["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    partial = to_dict(load(DEPLOYMENT, spec__strategy={"rollingUpdate": {"maxSurge": 1}}))["spec"]["strategy"]
    assert partial == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}}


def test_replicaset():
    assert to_dict(load(REPLICASET, spec__replicas="DELETE"))["spec"]["replicas"] == 1


def test_statefulset():
    spec = to_dict(load(STATEFULSET, spec__replicas="DELETE"))["spec"]
    assert spec["replicas"] == 1
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] == 10  # as written
    claim = spec["volumeClaimTemplates"][0]
    assert claim["spec"]["volumeMode"] == "Filesystem" and claim["status"] == {"phase": "Pending"}


def test_statefulset_on_delete_gets_no_rolling_update():
    spec = to_dict(load(STATEFULSET, spec__updateStrategy={"type": "OnDelete"},
                        spec__podManagementPolicy="Parallel"))["spec"]
    assert spec["updateStrategy"] == {"type": "OnDelete"} and spec["podManagementPolicy"] == "Parallel"


def test_pod():
    spec = to_dict(load(POD_WITH_PROBES))["spec"]
    assert POD_SPEC_DEFAULTS.items() <= spec.items() and spec["enableServiceLinks"] is True
    c = spec["containers"][0]
    assert c["livenessProbe"] == {
        "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP",
                    "httpHeaders": [{"name": "Custom-Header", "value": "Awesome"}]},
        "initialDelaySeconds": 3, "timeoutSeconds": 1, "periodSeconds": 3, "successThreshold": 1,
        "failureThreshold": 3}
    assert c["startupProbe"]["failureThreshold"] == 30 and c["startupProbe"]["periodSeconds"] == 10
    assert c["readinessProbe"]["timeoutSeconds"] == 1


def test_pod_volumes_and_requests():
    pod = load(POD_WITH_CLAIM, spec__volumes=[{"name": "a", "hostPath": {"path": "/data"}}, {"name": "b"},
                                              {"name": "c", "configMap": {"name": "cfg"}}],
               spec__containers__0__resources={"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m"}},
               spec__containers__0__env=[{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}])
    spec = to_dict(pod)["spec"]
    assert spec["volumes"] == [{"name": "a", "hostPath": {"path": "/data", "type": ""}}, {"name": "b", "emptyDir": {}},
                               {"name": "c", "configMap": {"name": "cfg", "defaultMode": 420}}]
    c = spec["containers"][0]
    assert c["resources"]["requests"] == {"cpu": "100m", "memory": "128Mi"}  # requests default to limits
    assert c["env"][0]["valueFrom"]["fieldRef"] == {"apiVersion": "v1", "fieldPath": "spec.nodeName"}


@pytest.mark.parametrize("image, policy", [
    ("nginx", "Always"), ("nginx:latest", "Always"), ("nginx:1.27", "IfNotPresent"),
    ("registry.k8s.io/nginx-slim:0.24", "IfNotPresent"), ("localhost:5000/app", "Always"),
    ("localhost:5000/app:v1", "IfNotPresent"), ("busybox@sha256:" + "a" * 64, "IfNotPresent"),
])
def test_image_pull_policy(image, policy):
    assert image_pull_policy(image) == policy


def test_explicit_values_are_kept():
    spec = to_dict(load(POD_WITH_CLAIM, spec__restartPolicy="Never", spec__dnsPolicy="Default",
                        spec__containers__0__imagePullPolicy="Never"))["spec"]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["containers"][0]["imagePullPolicy"]) == \
        ("Never", "Default", "Never")


def test_service():
    svc = to_dict(load(SERVICE, spec__clusterIP="DELETE", spec__ports=[{"port": 80}, {"port": 53, "protocol": "UDP",
                                                                                      "targetPort": "dns"}]))
    spec = svc["spec"]
    assert (spec["type"], spec["sessionAffinity"], spec["internalTrafficPolicy"]) == ("ClusterIP", "None", "Cluster")
    assert spec["ports"] == [{"protocol": "TCP", "port": 80, "targetPort": 80},
                             {"protocol": "UDP", "port": 53, "targetPort": "dns"}]
    node_port = to_dict(load(SERVICE, spec__clusterIP="DELETE", spec__type="NodePort"))["spec"]
    assert node_port["externalTrafficPolicy"] == "Cluster"
    assert to_dict(load(SERVICE))["spec"]["clusterIPs"] == ["None"]


def test_persistent_volumes_claims_and_classes():
    pv = to_dict(load(PV))
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain" and pv["spec"]["volumeMode"] == "Filesystem"
    assert pv["status"] == {"phase": "Pending"}
    pvc = to_dict(load(PVC))
    assert pvc["spec"]["volumeMode"] == "Filesystem" and pvc["status"] == {"phase": "Pending"}
    sc = to_dict(load(STORAGECLASS, volumeBindingMode="DELETE"))
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")
    kept = to_dict(load(STORAGECLASS, reclaimPolicy="Retain"))
    assert (kept["reclaimPolicy"], kept["volumeBindingMode"]) == ("Retain", "WaitForFirstConsumer")


def test_namespace_and_node():
    ns = to_dict(load("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n"))
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "demo"} and ns["status"] == {"phase": "Active"}
    node = to_dict(load({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
                         "status": {"capacity": {"cpu": "4", "memory": "8Gi"}}}))
    assert node["status"]["allocatable"] == {"cpu": "4", "memory": "8Gi"}


def test_defaulting_twice_changes_nothing():
    for text in (DEPLOYMENT, STATEFULSET, POD_WITH_PROBES, SERVICE, PV, PVC, STORAGECLASS):
        once = load(text)
        twice = apply_defaults(load(text))
        assert once == twice, text


def test_a_remembered_pod_spec_gets_the_same_defaults():
    """Pods' defaults are remembered by their spec: a second pod with the same spec (a controller's replica)
    gets from memory exactly what the first got from the walk, its own metadata untouched; a spec that has
    its defaults already is left as it is; a spec too large to remember is walked every time."""
    from services.apiserver import defaults
    first = load(POD_WITH_CLAIM, defaults=False)
    second = load(POD_WITH_CLAIM, defaults=False, metadata__name="another")
    bare = first.spec.SerializeToString(deterministic=True)
    defaults._pod_memo.clear()
    apply_defaults(first)
    assert list(defaults._pod_memo) == [bare] and first.spec.restart_policy == "Always"
    apply_defaults(second)
    assert second.spec == first.spec and second.metadata.name == "another"
    assert to_dict(second)["spec"]["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    again = load(POD_WITH_CLAIM)  # defaulted on load: its spec is what the memory holds for the bare one
    assert apply_defaults(again).spec == first.spec
    big = load(POD_WITH_CLAIM, defaults=False,
               spec__containers__0__env=[{"name": f"V{i}", "value": "v" * 100} for i in range(200)])
    defaults._pod_memo.clear()
    assert apply_defaults(big).spec.restart_policy == "Always" and not defaults._pod_memo
