"""API errors as metav1.Status (apimachinery pkg/api/errors/errors.go), with their HTTP codes.

The one mapping from the API server's errors (``kubelab.errors.ApiError``) to what an HTTP client
reads: the code from the reason (falling back on the gRPC code), details naming the object, and the
field causes with their CauseType.
"""
from __future__ import annotations

import grpc

from kubelab.api.registry import KindInfo
from kubelab.errors import ApiError, is_invalid
from kubelab.fielderrors import ErrorType

__all__ = ["http_code", "status_body", "success", "not_found_path"]

_BY_REASON = {
    "NotFound": 404, "AlreadyExists": 409, "Conflict": 409, "Invalid": 422, "BadRequest": 400,
    "Expired": 410, "Gone": 410, "Forbidden": 403, "Unauthorized": 401, "ServiceUnavailable": 503,
    "Timeout": 504, "TooManyRequests": 429, "InternalError": 500, "MethodNotAllowed": 405,
    "NotAcceptable": 406, "UnsupportedMediaType": 415, "RequestEntityTooLarge": 413,
}
_BY_CODE = {
    grpc.StatusCode.NOT_FOUND: 404, grpc.StatusCode.ALREADY_EXISTS: 409, grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.INVALID_ARGUMENT: 400, grpc.StatusCode.OUT_OF_RANGE: 410,
    grpc.StatusCode.FAILED_PRECONDITION: 409, grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.PERMISSION_DENIED: 403, grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429, grpc.StatusCode.UNAUTHENTICATED: 401,
}
_CAUSE_TYPES = sorted(((t.message, t.value) for t in ErrorType), key=lambda m: -len(m[0]))


def http_code(err: ApiError) -> int:
    return _BY_REASON.get(err.reason) or _BY_CODE.get(err.code, 500)


def _cause(field: str, text: str) -> dict:
    """A StatusCause from a (field, "field: Body") pair: the body without the field, typed by its words."""
    body = text[len(field) + 2:] if field and text.startswith(field + ": ") else text
    reason = next((value for words, value in _CAUSE_TYPES if body.startswith(words)), "FieldValueInvalid")
    cause = {"reason": reason, "message": body}
    if field:
        cause["field"] = field
    return cause


def status_body(err: ApiError, info: KindInfo | None = None, name: str = "") -> dict:
    """The Status for err; details name the object as Kubernetes does (the Kind for Invalid, else the
    plural resource) when the request named one."""
    code = http_code(err)
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": err.message, "reason": err.reason, "code": code}
    details: dict = {}
    if name:
        details["name"] = name
    if info is not None and (name or is_invalid(err)):
        if info.group:
            details["group"] = info.group
        details["kind"] = info.kind if is_invalid(err) else info.plural
    if err.causes and is_invalid(err):
        details["causes"] = [_cause(f, t) for f, t in err.causes]
    if details:
        body["details"] = details
    return body


def success(code: int = 200, details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}
    if details:
        body["details"] = details
    return body


def not_found_path() -> ApiError:
    """What kube-apiserver answers for a path it does not serve."""
    return ApiError(grpc.StatusCode.NOT_FOUND, "NotFound", "the server could not find the requested resource")
