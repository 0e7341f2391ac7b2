"""Discovery documents, Tables and OpenAPI as kubectl reads them (reference sections 3, 4 and 7)."""
import json

from kubelab.api.v1 import core_pb2
from kubelab.printers import tables as printers
from services.apiserver.http import discovery, openapi, paths, tables


def _resources(group, version):
    return {r["name"]: r for r in discovery.resource_list(group, version)["resources"]}


def test_version_reports_minor_32():
    assert discovery.version()["minor"] == "32" and discovery.version()["gitVersion"].startswith("v1.32")


def test_core_resources_with_short_names_categories_and_subresources():
    res = _resources("", "v1")
    assert res["pods"]["shortNames"] == ["po"] and res["pods"]["categories"] == ["all"]
    assert res["pods"]["kind"] == "Pod" and res["pods"]["singularName"] == "pod" and res["pods"]["namespaced"]
    assert "watch" in res["pods"]["verbs"] and "patch" in res["pods"]["verbs"]
    assert res["pods/eviction"]["group"] == "policy" and res["pods/eviction"]["kind"] == "Eviction"
    assert res["pods/exec"]["kind"] == "PodExecOptions"
    assert not res["nodes"]["namespaced"] and "categories" not in res["nodes"]


def test_apps_scale_subresources_are_autoscaling_v1_scale():
    res = _resources("apps", "v1")
    for name in ("deployments", "replicasets", "statefulsets"):
        assert res[f"{name}/scale"] | {"name": ""} == {
            "name": "", "singularName": "", "namespaced": True, "kind": "Scale", "group": "autoscaling",
            "version": "v1", "verbs": ["get", "patch", "update"]}
        assert res[name]["categories"] == ["all"]
    assert "categories" not in res["controllerrevisions"]


def test_group_list_and_unknown_group_version():
    names = [g["name"] for g in discovery.group_list()["groups"]]
    assert {"apps", "storage.k8s.io", "coordination.k8s.io"} <= set(names) and "" not in names
    assert discovery.resource_list("batch", "v1") is None


def test_paths():
    t = paths.parse("", "v1", "namespaces/default/pods/x/status")
    assert (t.info.kind, t.namespace, t.name, t.subresource) == ("Pod", "default", "x", "status")
    t = paths.parse("", "v1", "namespaces/default")
    assert (t.info.kind, t.name) == ("Namespace", "default")
    t = paths.parse("", "v1", "namespaces/ns1/status")
    assert (t.info.kind, t.name, t.subresource) == ("Namespace", "ns1", "status")
    assert paths.parse("", "v1", "pods").namespace == ""
    assert paths.parse("", "v1", "namespaces/default/nodes") is None
    assert paths.parse("apps", "v1", "pods") is None


def test_table_uses_the_cli_printers_columns_and_carries_metadata():
    pod = core_pb2.Pod()
    pod.metadata.name, pod.metadata.namespace = "x", "default"
    pod.metadata.labels["app"] = "x"
    pod.metadata.creation_timestamp.FromSeconds(1000)
    pod.spec.containers.add(name="c", image="busybox")
    table = tables.new_table("Pod", [pod], 1600.0, "7")
    cols = printers.table("Pod").columns
    assert [c["name"] for c in table["columnDefinitions"]] == [c.name for c in cols]
    assert [c["priority"] for c in table["columnDefinitions"]] == [int(c.wide) for c in cols]
    assert table["rows"][0]["cells"] == printers.table("Pod").cells(pod, 1600.0)
    assert table["rows"][0]["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                          "metadata": {"name": "x", "namespace": "default", "labels": {"app": "x"},
                                                       "creationTimestamp": "1970-01-01T00:16:40Z"}}
    assert table["metadata"] == {"resourceVersion": "7"}
    assert "columnDefinitions" not in tables.new_table("Pod", [pod], 0, headers=False)


def test_openapi_patch_operations_carry_field_validation():
    body, digest = openapi.document("apps", "v1")
    doc = json.loads(body)
    op = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert op["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in [p["name"] for p in op["parameters"]]
    dep = doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert dep["x-kubernetes-group-version-kind"] == [{"group": "apps", "version": "v1", "kind": "Deployment"}]
    spec = doc["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]
    assert spec["replicas"]["type"] == "integer"
    assert openapi.root()["paths"]["apis/apps/v1"]["serverRelativeURL"] == f"/openapi/v3/apis/apps/v1?hash={digest}"
    assert openapi.document("batch", "v1") is None


def test_aggregated_discovery_carries_the_legacy_rows():
    core = discovery.aggregated(core=True)
    assert core["kind"] == "APIGroupDiscoveryList" and len(core["items"]) == 1
    assert "name" not in core["items"][0]["metadata"]
    pods = next(r for r in core["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["responseKind"] == {"group": "", "version": "v1", "kind": "Pod"} and pods["scope"] == "Namespaced"
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    eviction = next(s for s in pods["subresources"] if s["subresource"] == "eviction")
    assert eviction["responseKind"] == {"group": "policy", "version": "v1", "kind": "Eviction"}
    groups = discovery.aggregated(core=False)
    apps = next(i for i in groups["items"] if i["metadata"]["name"] == "apps")
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    scale = next(s for s in deploy["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert discovery.wants_aggregated("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                                      "application/json")
    assert not discovery.wants_aggregated("application/json")
