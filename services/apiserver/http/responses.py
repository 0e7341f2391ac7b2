"""What every HTTP API handler answers with: JSON (with Warning headers), errors as Status (the
middleware), request bodies and dryRun read the one way."""
from __future__ import annotations

import json

import grpc
from aiohttp import web

from kubelab.errors import ApiError
from services.apiserver import errors
from services.apiserver.http import objects, paths, status
from services.apiserver.http.discovery import AGGREGATED

__all__ = ["json_response", "aggregated_response", "errors_middleware", "read_body", "dry_run"]


def json_response(body: dict, code: int = 200, warnings: list[str] = ()) -> web.Response:
    resp = web.Response(body=json.dumps(body, separators=(",", ":")).encode(), status=code,
                        content_type="application/json")
    for w in warnings:  # RFC 7234 warn-text, a quoted string; kubectl prints each as "Warning: <text>"
        text = w.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
        resp.headers.add("Warning", f'299 - "{text}"')
    return resp


def aggregated_response(doc: dict) -> web.Response:
    """client-go picks the aggregated decoder by the answer's Content-Type, so it must say so."""
    resp = json_response(doc)
    resp.headers["Content-Type"] = AGGREGATED
    return resp


def _status_response(err: ApiError, target: paths.Target | None) -> web.Response:
    body = status.status_body(err, target.info if target else None, target.name if target else "")
    return json_response(body, body["code"])


@web.middleware
async def errors_middleware(request: web.Request, handler):
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as e:  # a bad request or a storage outage must not take the server down
        err = errors.to_api_error(e, f"path={request.path}")
        return _status_response(err, request.get("target") if err is e else None)


async def read_body(request: web.Request) -> object:
    """The request's JSON (no Content-Type is JSON too). Kubernetes' protobuf encoding is not spoken:
    kubelab's messages are not Kubernetes' generated.proto, so such a body is refused, not misread."""
    if request.content_type.startswith("application/vnd.kubernetes.protobuf"):
        raise ApiError(grpc.StatusCode.INVALID_ARGUMENT, "UnsupportedMediaType",
                       'the body of the request was in an unknown format - accepted media types include: '
                       'application/json')
    return objects.parse_json(await request.read())


def dry_run(values: list[str]) -> bool:
    for v in values:
        if v != "All":
            raise errors.bad_request(f'dryRun: Unsupported value: "{v}": supported values: "All"')
    return bool(values)
