"""The one mapping from what a request raised to the API error it answers, the same over gRPC and HTTP."""
from __future__ import annotations

import json

import grpc
import pytest
import redis.exceptions

from kubelab import errors as api
from kubelab.api import registry
from services.apiserver import errors
from services.apiserver.http.responses import errors_middleware
from services.apiserver.servicer import ApiServerServicer
from services.apiserver.watchcache import NotReady, TooLarge, TooOld, WatchClosed

POD = registry.by_kind("Pod")

CASES = [
    (TooOld("too old resource version: 1 (5)"), grpc.StatusCode.OUT_OF_RANGE, "Expired", 410,
     "too old resource version: 1 (5)"),
    (TooLarge("Too large resource version: 9, current: 5"), grpc.StatusCode.DEADLINE_EXCEEDED, "Timeout", 504,
     "Too large resource version: 9, current: 5"),
    (NotReady("storage is unavailable"), grpc.StatusCode.UNAVAILABLE, "ServiceUnavailable", 503,
     "storage is unavailable"),
    (WatchClosed("the API server's storage was reset; relist", "OUT_OF_RANGE"), grpc.StatusCode.OUT_OF_RANGE,
     "Expired", 410, "the API server's storage was reset; relist"),
    (WatchClosed("watcher could not keep up", "RESOURCE_EXHAUSTED"), grpc.StatusCode.RESOURCE_EXHAUSTED,
     "TooManyRequests", 429, "watcher could not keep up"),
    (redis.exceptions.ConnectionError("refused"), grpc.StatusCode.UNAVAILABLE, "ServiceUnavailable", 503,
     "storage unavailable: refused"),
    (ZeroDivisionError("division by zero"), grpc.StatusCode.INTERNAL, "InternalError", 500,
     "Internal error occurred: division by zero"),
]


@pytest.mark.parametrize("exc, code, reason, http, message", CASES)
def test_each_internal_error_has_one_api_error(exc, code, reason, http, message):
    err = errors.to_api_error(exc)
    assert (err.code, err.reason, err.message) == (code, reason, message)


def test_an_api_error_passes_through_unchanged():
    err = errors.not_found(POD, "web-0")
    assert errors.to_api_error(err) is err
    assert api.is_not_found(errors.to_api_error(err))


def test_the_predicates_read_the_mapped_errors():
    assert api.is_gone(errors.to_api_error(TooOld("x")))
    assert api.is_timeout(errors.to_api_error(TooLarge("x")))
    assert api.is_service_unavailable(errors.to_api_error(NotReady("x")))
    assert api.is_too_many_requests(errors.to_api_error(WatchClosed("slow", "RESOURCE_EXHAUSTED")))


class Aborted(Exception):
    pass


class FakeContext:
    async def abort_with_status(self, status):
        self.status = status
        raise Aborted


@pytest.mark.parametrize("exc, code, reason, http, message", CASES)
async def test_grpc_answers_with_the_mapping(exc, code, reason, http, message):
    async def fails(request, context):
        raise exc
    context = FakeContext()
    with pytest.raises(Aborted):
        await ApiServerServicer._guard(None, fails)(None, context)
    assert context.status.code == code and context.status.details == message
    assert api.reason_for_error(RecordedRpcError(context.status)) == reason


@pytest.mark.parametrize("exc, code, reason, http, message", CASES)
async def test_http_answers_with_the_mapping(exc, code, reason, http, message):
    async def fails(request):
        raise exc
    resp = await errors_middleware(FakeRequest(), fails)
    body = json.loads(resp.body)
    assert (resp.status, body["code"], body["reason"], body["message"]) == (http, http, reason, message)


class FakeRequest(dict):
    path = "/api/v1/pods"


class RecordedRpcError(grpc.RpcError):
    """What a client receives for an aborted status."""

    def __init__(self, status: grpc.Status):
        self.status = status

    def code(self):
        return self.status.code

    def details(self):
        return self.status.details

    def trailing_metadata(self):
        return self.status.trailing_metadata
