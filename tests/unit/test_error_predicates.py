"""The error predicates of kubelab/errors.py read ApiErrors, raw gRPC errors and anything else."""
from __future__ import annotations

import grpc
import pytest

from kubelab import errors
from kubelab.errors import ApiError


class RawRpcError(grpc.RpcError):
    def __init__(self, code):
        self._code = code

    def code(self):
        return self._code

    def details(self):
        return "raw"


@pytest.mark.parametrize("predicate, reason", [
    (errors.is_not_found, "NotFound"), (errors.is_already_exists, "AlreadyExists"),
    (errors.is_conflict, "Conflict"), (errors.is_invalid, "Invalid"), (errors.is_bad_request, "BadRequest"),
    (errors.is_gone, "Expired"), (errors.is_gone, "Gone"), (errors.is_forbidden, "Forbidden"),
    (errors.is_timeout, "Timeout"), (errors.is_too_many_requests, "TooManyRequests"),
    (errors.is_service_unavailable, "ServiceUnavailable"),
])
def test_each_predicate_matches_its_reason_only(predicate, reason):
    assert predicate(ApiError(grpc.StatusCode.UNKNOWN, reason, "m"))
    assert not predicate(ApiError(grpc.StatusCode.UNKNOWN, "SomethingElse", "m"))


def test_raw_rpc_errors_are_read_by_their_code():
    assert errors.is_not_found(RawRpcError(grpc.StatusCode.NOT_FOUND))
    assert errors.is_conflict(RawRpcError(grpc.StatusCode.ABORTED))
    assert errors.is_gone(RawRpcError(grpc.StatusCode.OUT_OF_RANGE))
    assert not errors.is_not_found(RawRpcError(grpc.StatusCode.ALREADY_EXISTS))


def test_other_exceptions_are_unknown():
    assert errors.reason_for_error(ValueError("x")) == "Unknown"
    assert errors.reason_for_error(None) == "Unknown"
    assert not errors.is_not_found(KeyError("NotFound"))


def test_precondition_failed_is_a_conflict_told_apart_by_its_code():
    failed = ApiError(grpc.StatusCode.FAILED_PRECONDITION, "Conflict", "Precondition failed: UID in precondition: x")
    assert errors.is_precondition_failed(failed) and errors.is_conflict(failed)
    assert not errors.is_precondition_failed(ApiError(grpc.StatusCode.ABORTED, "Conflict", "modified"))
    assert errors.is_precondition_failed(RawRpcError(grpc.StatusCode.FAILED_PRECONDITION))
    assert not errors.is_precondition_failed(RawRpcError(grpc.StatusCode.ABORTED))
    assert not errors.is_precondition_failed(ValueError("x"))
