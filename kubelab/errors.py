"""API errors as clients and the server see them.

    ApiError              an error the API server returned (or would return)
      .code               gRPC code: NOT_FOUND, ALREADY_EXISTS, ABORTED (conflict),
                          INVALID_ARGUMENT (invalid / bad request), OUT_OF_RANGE (expired
                          resourceVersion), FAILED_PRECONDITION, UNAVAILABLE, ...
      .reason             Kubernetes' Status reason: NotFound, AlreadyExists, Conflict,
                          Invalid, BadRequest, Expired, Forbidden, ServiceUnavailable, ...
      .message            Kubernetes' Status message, e.g. ``pods "x" not found``
      .causes             (field path, description) pairs

The reason travels as a google.rpc.ErrorInfo detail, the causes as google.rpc.BadRequest.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

__all__ = ["ApiError", "from_rpc_error", "DOMAIN"]

DOMAIN = "kubelab.io"

_DEFAULT_REASONS = {
    grpc.StatusCode.NOT_FOUND: "NotFound", grpc.StatusCode.ALREADY_EXISTS: "AlreadyExists",
    grpc.StatusCode.ABORTED: "Conflict", grpc.StatusCode.INVALID_ARGUMENT: "BadRequest",
    grpc.StatusCode.OUT_OF_RANGE: "Expired", grpc.StatusCode.UNAVAILABLE: "ServiceUnavailable",
    grpc.StatusCode.PERMISSION_DENIED: "Forbidden", grpc.StatusCode.FAILED_PRECONDITION: "Conflict",
    grpc.StatusCode.DEADLINE_EXCEEDED: "Timeout",
}


@dataclass
class ApiError(Exception):
    code: grpc.StatusCode
    reason: str
    message: str
    causes: list[tuple[str, str]] = field(default_factory=list)
    answered: bool = False
    """The API server itself gave this answer (its status carries an ErrorInfo), rather than the
    transport failing to reach it (refused, timed out): both are UNAVAILABLE in gRPC."""

    def __str__(self) -> str:
        return self.message

    def to_status(self) -> grpc.Status:
        info = any_pb2.Any()
        info.Pack(error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN))
        details = [info]
        if self.causes:
            bad = any_pb2.Any()
            bad.Pack(error_details_pb2.BadRequest(field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=_utf8(f), description=_utf8(d))
                for f, d in self.causes]))
            details.append(bad)
        return rpc_status.to_status(status_pb2.Status(
            code=getattr(code_pb2, self.code.name), message=_utf8(self.message), details=details))


def _utf8(text: str) -> str:
    """Text quoting user input (lone surrogates included) made valid UTF-8 for the wire."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def from_rpc_error(err: grpc.RpcError) -> ApiError:
    """Read the reason and causes back out of a gRPC error."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    reason, causes = _DEFAULT_REASONS.get(code, code.name.title().replace("_", "")), []
    answered = False
    try:
        status = rpc_status.from_call(err)
    except (ValueError, AttributeError):
        status = None
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, answered = info.reason or reason, True
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                causes = [(v.field, v.description) for v in bad.field_violations]
    message = err.details() if hasattr(err, "details") else str(err)
    return ApiError(code, reason, message or "", causes, answered)
