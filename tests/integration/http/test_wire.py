"""The HTTP API on the wire, as the reference describes it: watch forms, bookmarks, timeoutSeconds,
Table watches, status/binding/eviction subresources, DeleteOptions, field validation warnings."""
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


class Http:
    def __init__(self, address: str):
        self.base = f"http://{address}"

    def request(self, method: str, path: str, body=None, content_type="application/json", accept="application/json",
                timeout: float = 30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": accept})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method: str, path: str, body=None, **kw):
        code, _, data = self.request(method, path, body, **kw)
        return code, json.loads(data)

    def lines(self, path: str, accept="application/json", timeout: float = 30) -> tuple[list[dict], float]:
        """A watch's events until the server ends it, and how long that took."""
        t0 = time.monotonic()
        req = urllib.request.Request(self.base + path, headers={"Accept": accept})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            events = [json.loads(line) for line in r if line.strip()]
        return events, time.monotonic() - t0


@pytest.fixture
def http(http_apiserver):
    return Http(http_apiserver.http)


@pytest.fixture
def ns(http):
    name = f"w-{uuid.uuid4().hex[:6]}"
    assert http.json("POST", "/api/v1/namespaces", {"metadata": {"name": name}})[0] == 201
    return name


def _pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def test_watch_forms_bookmarks_and_timeout(http, ns):
    code, listed = http.json("GET", f"/api/v1/namespaces/{ns}/pods")
    assert code == 200 and listed["items"] == [] and listed["kind"] == "PodList"
    http.json("POST", f"/api/v1/namespaces/{ns}/pods", _pod("a"))
    for form in ("true", "1", "True"):
        events, took = http.lines(f"/api/v1/namespaces/{ns}/pods?watch={form}&timeoutSeconds=1")
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "a")]
        assert events[0]["object"]["kind"] == "Pod" and events[0]["object"]["apiVersion"] == "v1"
        assert 0.9 < took < 10
    rv = listed["metadata"]["resourceVersion"]
    events, _ = http.lines(f"/api/v1/namespaces/{ns}/pods?watch=true&resourceVersion={rv}"
                           "&allowWatchBookmarks=true&timeoutSeconds=3")
    assert events[0]["type"] == "ADDED"
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]  # the fixture sends one a second when idle
    assert bookmarks and bookmarks[0]["object"]["kind"] == "Pod"
    assert int(bookmarks[-1]["object"]["metadata"]["resourceVersion"]) >= int(events[0]["object"]["metadata"]["resourceVersion"])


def test_table_watch_sends_columns_once(http, ns):
    http.json("POST", f"/api/v1/namespaces/{ns}/pods", _pod("a"))
    http.json("POST", f"/api/v1/namespaces/{ns}/pods", _pod("b"))
    events, _ = http.lines(f"/api/v1/namespaces/{ns}/pods?watch=true&timeoutSeconds=1", accept=TABLE)
    assert [e["object"]["kind"] for e in events] == ["Table", "Table"]
    assert "columnDefinitions" in events[0]["object"] and "columnDefinitions" not in events[1]["object"]
    assert events[1]["object"]["rows"][0]["cells"][:3] == ["b", "0/1", "Pending"]


def test_an_expired_resource_version_is_an_error_event(http, ns):
    for i in range(210):  # the fixture keeps 200 changes
        http.json("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"c{i}"}})
    events, _ = http.lines(f"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion=3")
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
    assert status["message"].startswith("too old resource version: 3 (")


def test_status_binding_and_eviction(http, ns):
    http.json("POST", f"/api/v1/namespaces/{ns}/pods", _pod("a"))
    path = f"/api/v1/namespaces/{ns}/pods/a"
    code, status = http.json("POST", f"{path}/binding", {"apiVersion": "v1", "kind": "Binding",
                                                         "metadata": {"name": "a"}, "target": {"name": "node-9"}})
    assert (code, status["status"]) == (201, "Success")
    pod = http.json("GET", path)[1]
    assert pod["spec"]["nodeName"] == "node-9"
    pod["status"]["phase"] = "Running"
    pod["spec"]["hostname"] = "ignored-on-status"
    code, updated = http.json("PUT", f"{path}/status", pod)
    assert code == 200 and updated["status"]["phase"] == "Running" and "hostname" not in updated["spec"]
    code, _ = http.json("PATCH", f"{path}/status", {"status": {"message": "hi"}},
                        content_type="application/merge-patch+json")
    assert code == 200 and http.json("GET", path)[1]["status"]["message"] == "hi"
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "a", "namespace": ns},
                "deleteOptions": {"gracePeriodSeconds": 0}}
    code, status = http.json("POST", f"{path}/eviction", eviction)
    assert (code, status["status"]) == (201, "Success")
    assert http.json("GET", path)[0] == 404


def test_a_patch_that_changes_nothing_writes_nothing(http, ns):
    """Maps (labels, annotations) in another order are no change: same resourceVersion, as kubectl's
    `patched (no change)` relies on. Before the stored form was deterministic, a quarter of these wrote."""
    for i in range(20):
        pod = _pod(f"p{i}")
        pod["metadata"]["labels"] = {f"l{k}-{uuid.uuid4().hex[:6]}": "v" for k in range(4)}
        pod["metadata"]["annotations"] = {f"a{k}-{uuid.uuid4().hex[:6]}": "v" for k in range(4)}
        code, created = http.json("POST", f"/api/v1/namespaces/{ns}/pods", pod)
        assert code == 201
        for patch in ({"spec": {"containers": [{"name": "c", "image": "busybox"}]}},
                      {"metadata": {"labels": created["metadata"]["labels"]}}):
            code, patched = http.json("PATCH", f"/api/v1/namespaces/{ns}/pods/p{i}", patch,
                                      content_type="application/merge-patch+json")
            assert code == 200
            assert patched["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"], i


def test_delete_options_preconditions_and_dry_run(http, ns):
    created = http.json("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "c"}})[1]
    path = f"/api/v1/namespaces/{ns}/configmaps/c"
    code, status = http.json("DELETE", path, {"preconditions": {"uid": "nope"}})
    assert (code, status["reason"]) == (409, "Conflict") and "Precondition failed: UID in precondition: nope" in status["message"]
    assert http.json("DELETE", path, {"dryRun": ["All"]})[0] == 200
    assert http.json("GET", path)[0] == 200
    code, gone = http.json("DELETE", path, {"preconditions": {"uid": created["metadata"]["uid"]},
                                            "propagationPolicy": "Background"})
    assert code == 200 and gone["metadata"]["name"] == "c"
    assert http.json("GET", path)[1]["reason"] == "NotFound"
    code, status = http.json("DELETE", path, {"propagationPolicy": "Sometimes"})
    assert (code, status["reason"]) == (400, "BadRequest") and 'Unsupported value: "Sometimes"' in status["message"]


def test_field_validation_warn_drops_unknown_fields_with_a_warning(http, ns):
    body = {"metadata": {"name": "c", "colour": "red"}, "data": {"k": "v"}}
    code, headers, data = http.request("POST", f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Warn", body)
    assert code == 201 and headers["Warning"] == r'299 - "unknown field \"metadata.colour\""'
    assert "colour" not in json.loads(data)["metadata"]
    code, status = http.json("POST", f"/api/v1/namespaces/{ns}/configmaps?fieldValidation=Strict",
                             {**body, "metadata": {"name": "d", "colour": "red"}})
    assert (code, status["reason"]) == (400, "BadRequest")
    assert status["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding '
                                 'error: unknown field "metadata.colour"')


def test_unknown_paths_and_methods_are_status_objects(http):
    code, status = http.json("GET", "/api/v1/foos")
    assert (code, status["reason"], status["message"]) == (404, "NotFound",
                                                           "the server could not find the requested resource")
    assert http.json("GET", "/apis/batch/v1")[0] == 404
    assert http.json("GET", "/openapi/v3/apis/batch/v1")[0] == 404


def test_strict_patch_is_invalid_on_field_patch(http, ns):
    http.json("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "c"}})
    path = f"/api/v1/namespaces/{ns}/configmaps/c"
    code, status = http.json("PATCH", f"{path}?fieldValidation=Strict", {"metadata": {"colour": "red"}},
                             content_type="application/merge-patch+json")
    assert (code, status["reason"]) == (422, "Invalid")
    assert status["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "patch", "message":
                                            'Invalid value: "{\\"metadata\\": {\\"colour\\": \\"red\\"}}": '
                                            'strict decoding error: unknown field "metadata.colour"'}]
    code, headers, _ = http.request("PATCH", path, {"metadata": {"colour": "red"}, "data": {"k": "v"}},
                                    content_type="application/strategic-merge-patch+json")
    assert code == 200 and "metadata.colour" in headers["Warning"]
    assert http.json("GET", path)[1]["data"] == {"k": "v"}


def test_health_endpoints(http):
    for path in ("/healthz", "/livez", "/readyz"):
        code, _, body = http.request("GET", path)
        assert (code, body) == (200, b"ok")
