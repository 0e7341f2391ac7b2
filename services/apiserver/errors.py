"""Constructors for the API errors the server returns, worded as Kubernetes words them.

The error type and its gRPC encoding live in ``kubelab.errors``.
"""
from __future__ import annotations

import grpc

from kubelab.api.registry import KindInfo
from kubelab.errors import ApiError

__all__ = ["ApiError", "not_found", "already_exists", "conflict", "invalid", "bad_request", "expired",
           "precondition", "forbidden", "unavailable", "internal"]


def not_found(info: KindInfo, name: str) -> ApiError:
    return ApiError(grpc.StatusCode.NOT_FOUND, "NotFound", f'{info.resource} "{name}" not found')


def already_exists(info: KindInfo, name: str) -> ApiError:
    return ApiError(grpc.StatusCode.ALREADY_EXISTS, "AlreadyExists",
                    f'{info.resource} "{name}" already exists')


def conflict(resource: str, name: str, detail: str | None = None) -> ApiError:
    detail = detail or ("the object has been modified; please apply your changes to the latest "
                        "version and try again")
    return ApiError(grpc.StatusCode.ABORTED, "Conflict",
                    f'Operation cannot be fulfilled on {resource} "{name}": {detail}')


def invalid(info: KindInfo, name: str, errors: list) -> ApiError:
    """Kubernetes' NewInvalid: ``Deployment.apps "web" is invalid: [a, b]``."""
    qualified = f"{info.kind}.{info.group}" if info.group else info.kind
    texts = [str(e) for e in errors]
    body = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, "Invalid",
                    f'{qualified} "{name}" is invalid: {body}',
                    [(getattr(e, "field", ""), t) for e, t in zip(errors, texts)])


def bad_request(message: str, causes: list[tuple[str, str]] | None = None) -> ApiError:
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, "BadRequest", message, causes or [])


def expired(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.OUT_OF_RANGE, "Expired", message)


def precondition(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.FAILED_PRECONDITION, "Conflict", f"Precondition failed: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.PERMISSION_DENIED, "Forbidden", message)


def unavailable(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.UNAVAILABLE, "ServiceUnavailable", message)


def internal(message: str) -> ApiError:
    """NewInternalError: a server-side failure the client cannot fix by changing its request."""
    return ApiError(grpc.StatusCode.INTERNAL, "InternalError", f"Internal error occurred: {message}")
