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

Ask what an error means with the predicates, never by comparing strings or codes (apimachinery's
``errors.IsNotFound``): ``is_not_found(err)``, ``is_conflict``, ``is_already_exists``, ``is_invalid``,
``is_bad_request``, ``is_gone`` (an expired resourceVersion), ``is_forbidden``, ``is_timeout``,
``is_too_many_requests``, ``is_service_unavailable``, and ``is_precondition_failed`` (the Conflict of a
delete whose uid or resourceVersion precondition no longer holds); ``reason_for_error(err)`` gives the
reason itself.
Each accepts any exception: an ``ApiError``, a raw ``grpc.RpcError`` (read as ``from_rpc_error`` would)
or anything else (``False``; reason "Unknown").

google.rpc's messages and grpc_status are imported where an error is encoded or decoded, not with this
module: a command that gets no error does not load them (issue 19, CLI start-up).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import grpc

__all__ = ["ApiError", "from_rpc_error", "DOMAIN", "reason_for_error", "is_not_found", "is_already_exists",
           "is_conflict", "is_invalid", "is_bad_request", "is_gone", "is_forbidden", "is_timeout",
           "is_too_many_requests", "is_service_unavailable", "is_precondition_failed"]

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
        from google.protobuf import any_pb2
        from google.rpc import code_pb2, error_details_pb2, status_pb2
        from grpc_status import rpc_status
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
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status
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


def reason_for_error(err: BaseException | None) -> str:
    """Kubernetes' Status reason of an error (apimachinery's ``ReasonForError``): "Unknown" for an error
    that is not an API error."""
    if isinstance(err, ApiError):
        return err.reason
    if isinstance(err, grpc.RpcError):
        return from_rpc_error(err).reason
    return "Unknown"


def _is(*reasons: str):
    def predicate(err: BaseException | None) -> bool:
        return reason_for_error(err) in reasons
    predicate.__doc__ = f"Whether the error's reason is {' or '.join(reasons)}."
    return predicate


is_not_found = _is("NotFound")
is_already_exists = _is("AlreadyExists")
is_conflict = _is("Conflict")
is_invalid = _is("Invalid")
is_bad_request = _is("BadRequest")
is_gone = _is("Expired", "Gone")
is_forbidden = _is("Forbidden")
is_timeout = _is("Timeout")
is_too_many_requests = _is("TooManyRequests")
is_service_unavailable = _is("ServiceUnavailable")


def is_precondition_failed(err: BaseException | None) -> bool:
    """Whether the error is the Conflict of a failed precondition (a delete's uid or resourceVersion no
    longer matches: the object was replaced or changed), not of a write racing another. Kubernetes
    answers both 409 Conflict; kubelab tells them apart by the gRPC code, FAILED_PRECONDITION."""
    if isinstance(err, grpc.RpcError) and not isinstance(err, ApiError):
        err = from_rpc_error(err)
    return (isinstance(err, ApiError) and err.reason == "Conflict"
            and err.code == grpc.StatusCode.FAILED_PRECONDITION)
