"""The official `kubernetes` Python client against the API server's HTTP API."""
import threading
import time
import uuid

import pytest
from kubernetes import client, config, watch

from tests.integration.http import mirror_controller


@pytest.fixture
def api(kubeconfig_file):
    cfg = client.Configuration()
    config.load_kube_config(config_file=kubeconfig_file, client_configuration=cfg)
    with client.ApiClient(cfg) as c:
        yield c


@pytest.fixture
def ns(api):
    name = f"py-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(api).create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def _cm(name, labels=None, data=None):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data or {"k": "v"})


def _wait(what, check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_create_list_patch_delete(api, ns):
    v1, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    created = v1.create_namespaced_config_map(ns, _cm("a", {"app": "x"}))
    assert created.metadata.uid and created.metadata.resource_version
    v1.create_namespaced_config_map(ns, _cm("b", {"app": "y"}))
    assert [c.metadata.name for c in v1.list_namespaced_config_map(ns, label_selector="app=x").items] == ["a"]
    page = v1.list_namespaced_config_map(ns, limit=1)
    assert len(page.items) == 1 and page.metadata._continue
    rest = v1.list_namespaced_config_map(ns, limit=1, _continue=page.metadata._continue)
    assert [page.items[0].metadata.name, rest.items[0].metadata.name] == ["a", "b"]
    patched = v1.patch_namespaced_config_map("a", ns, {"data": {"k2": "v2"}, "metadata": {"labels": {"app": None}}})
    assert patched.data == {"k": "v", "k2": "v2"} and not patched.metadata.labels
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"serviceName": "db", "replicas": 1, "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"containers": [{"name": "db", "image": "busybox"}]}}}}
    apps.create_namespaced_stateful_set(ns, sts)
    apps.patch_namespaced_stateful_set("db", ns, [{"op": "replace", "path": "/spec/replicas", "value": 3}])
    assert apps.read_namespaced_stateful_set_scale("db", ns).spec.replicas == 3
    v1.delete_namespaced_config_map("a", ns)
    with pytest.raises(client.ApiException) as e:
        v1.read_namespaced_config_map("a", ns)
    assert e.value.status == 404 and '"reason":"NotFound"' in e.value.body


def test_watch_and_resume(api, ns):
    v1 = client.CoreV1Api(api)
    start = v1.list_namespaced_config_map(ns).metadata.resource_version
    v1.create_namespaced_config_map(ns, _cm("one"))
    w = watch.Watch()
    seen = []
    for event in w.stream(v1.list_namespaced_config_map, ns, resource_version=start, timeout_seconds=2):
        seen.append((event["type"], event["object"].metadata.name))
        w.stop()
    assert seen == [("ADDED", "one")]
    v1.create_namespaced_config_map(ns, _cm("two"))
    resumed = [(e["type"], e["object"].metadata.name) for e in
               watch.Watch().stream(v1.list_namespaced_config_map, ns, resource_version=w.resource_version,
                                    timeout_seconds=1)]
    assert resumed == [("ADDED", "two")]


def test_a_too_old_resource_version_is_410_expired(api, ns):
    v1 = client.CoreV1Api(api)
    for i in range(210):  # the fixture's API server keeps 200 changes
        v1.create_namespaced_config_map(ns, _cm(f"c{i}"))
    with pytest.raises(client.ApiException) as e:
        list(watch.Watch().stream(v1.list_namespaced_config_map, ns, resource_version="2", timeout_seconds=1))
    assert e.value.status == 410 and "too old resource version" in e.value.reason


def test_a_controller_survives_an_api_server_restart(api, ns, http_apiserver):
    v1 = client.CoreV1Api(api)
    stop = threading.Event()
    thread = threading.Thread(target=mirror_controller.run, args=(v1, ns, stop), daemon=True)
    thread.start()
    try:
        v1.create_namespaced_config_map(ns, _cm("first", {"mirror": "yes"}))
        _wait("first-mirror", lambda: "first-mirror" in _names(v1, ns))
        http_apiserver.stop()
        http_apiserver.start()
        v1.create_namespaced_config_map(ns, _cm("second", {"mirror": "yes"}))
        _wait("second-mirror", lambda: "second-mirror" in _names(v1, ns))
    finally:
        stop.set()
        thread.join(10)


def _names(v1, ns):
    return {c.metadata.name for c in v1.list_namespaced_config_map(ns).items}
