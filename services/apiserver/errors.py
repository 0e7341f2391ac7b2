"""The API errors the server returns, worded as Kubernetes words them, and the one mapping from
whatever a request raised to the API error it answers (``to_api_error``), used by the gRPC service and
the HTTP API alike (apimachinery's ``pkg/api/errors`` constructors; the mapping is what kube-apiserver's
storage and watch cache errors become on the way out).

    ApiError            passes through
    TooOld              Expired (410): the resourceVersion is older than the retained history; relist
    TooLarge            Timeout (504): the cache did not reach the resourceVersion in time
    NotReady            ServiceUnavailable (503): the cache cannot answer (Redis unreachable)
    WatchClosed         Expired when the storage was reset, else TooManyRequests (429): a slow watcher
    a Redis error       ServiceUnavailable, "storage unavailable: ..."
    anything else       InternalError (500), logged with its traceback

The error type and its gRPC encoding live in ``kubelab.errors``.
"""
from __future__ import annotations

import logging

import grpc

from kubelab.api.registry import KindInfo
from kubelab.errors import ApiError
from services.apiserver.watchcache import NotReady, TooLarge, TooOld, WatchClosed

__all__ = ["ApiError", "not_found", "already_exists", "conflict", "invalid", "bad_request", "expired",
           "precondition", "forbidden", "timeout", "too_many_requests", "unavailable", "internal",
           "to_api_error"]

log = logging.getLogger(__name__)


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


def timeout(message: str) -> ApiError:
    """NewTimeoutError; kube-apiserver's answer to a resourceVersion its cache has not reached in time."""
    return ApiError(grpc.StatusCode.DEADLINE_EXCEEDED, "Timeout", message)


def too_many_requests(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.RESOURCE_EXHAUSTED, "TooManyRequests", message)


def unavailable(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.UNAVAILABLE, "ServiceUnavailable", message)


def internal(message: str) -> ApiError:
    """NewInternalError: a server-side failure the client cannot fix by changing its request."""
    return ApiError(grpc.StatusCode.INTERNAL, "InternalError", f"Internal error occurred: {message}")


def to_api_error(exc: Exception, request: str = "") -> ApiError:
    """The API error that answers a request which raised exc (see the table above). request names the
    request in the log (``method=Get``, ``path=/api/v1/pods``) when storage trouble or a bug is logged."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, TooOld):
        return expired(str(exc))
    if isinstance(exc, TooLarge):  # before NotReady, its base
        return timeout(str(exc))
    if isinstance(exc, NotReady):
        return unavailable(str(exc))
    if isinstance(exc, WatchClosed):
        return expired(exc.reason) if exc.code == "OUT_OF_RANGE" else too_many_requests(exc.reason)
    if type(exc).__module__.startswith("redis"):
        log.warning("storage unavailable %s error=%r", request, exc)
        return unavailable(f"storage unavailable: {exc}")
    log.error("internal error %s", request, exc_info=exc)
    return internal(str(exc))
