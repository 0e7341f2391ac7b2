"""ApiError -> metav1.Status, as apimachinery's errors.go builds them (reference section 6)."""
import grpc

from kubelab.api import registry
from kubelab.fielderrors import invalid as field_invalid, required
from services.apiserver import errors
from services.apiserver.http.status import http_code, status_body

POD = registry.by_kind("Pod")
DEPLOY = registry.by_kind("Deployment")


def test_not_found_names_the_plural_resource():
    body = status_body(errors.not_found(DEPLOY, "web4"), DEPLOY, "web4")
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'deployments.apps "web4" not found', "reason": "NotFound", "code": 404,
                    "details": {"name": "web4", "group": "apps", "kind": "deployments"}}


def test_invalid_is_422_with_the_kind_and_typed_causes():
    errs = [required("spec.containers[0].image"), field_invalid("spec.containers[0].name", "C", "bad name")]
    body = status_body(errors.invalid(POD, "p9", errs), POD, "p9")
    assert body["code"] == 422 and body["reason"] == "Invalid"
    assert body["details"] == {"name": "p9", "kind": "Pod", "causes": [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"},
        {"reason": "FieldValueInvalid", "message": 'Invalid value: "C": bad name', "field": "spec.containers[0].name"}]}


def test_codes_follow_the_reason():
    assert http_code(errors.already_exists(POD, "x")) == 409
    assert http_code(errors.conflict("pods", "x")) == 409
    assert http_code(errors.bad_request("strict decoding error")) == 400
    assert http_code(errors.expired("too old resource version: 1 (5)")) == 410
    assert http_code(errors.forbidden("no")) == 403
    assert http_code(errors.unavailable("redis")) == 503
    assert http_code(errors.ApiError(grpc.StatusCode.RESOURCE_EXHAUSTED, "TooManyRequests", "slow")) == 429
    assert http_code(errors.internal("boom")) == 500


def test_a_status_without_an_object_has_no_details():
    body = status_body(errors.expired("too old resource version: 1 (1000)"))
    assert "details" not in body and body["message"] == "too old resource version: 1 (1000)"
