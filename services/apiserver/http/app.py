"""The HTTP API's aiohttp application: its routes, and the handlers of the resources' paths.

Each handler decodes, makes one call into Resources (the same verbs, validation and store as gRPC) or
the watch cache, and encodes. Only JSON is spoken (kubectl and the Python clients accept it whatever
else they offer); a single object or a list comes as a Table when the Accept header asks for one.
"""
from __future__ import annotations

import dataclasses
import time

import grpc
from aiohttp import web

from kubelab import manifest
from kubelab.errors import ApiError, is_not_found
from services.apiserver import errors
from services.apiserver.http import discovery, objects, paths, podproxy, status, tables
from services.apiserver.http.documents import Documents
from services.apiserver.http.patches import patch_function, validated
from services.apiserver.http.responses import dry_run, errors_middleware, json_response, read_body
from services.apiserver.http.scale import scale_of, with_replicas
from services.apiserver.http.watch import is_watch, serve_watch
from services.apiserver.resources import Resources

__all__ = ["new_app"]


class Api:
    def __init__(self, resources: Resources, bookmark_interval: float):
        self.resources = resources
        self.cache = resources.cache
        self.bookmark_interval = bookmark_interval

    async def core_resource(self, request):
        return await self._resource(request, "", "v1")

    async def group_resource(self, request):
        return await self._resource(request, request.match_info["group"], request.match_info["version"])

    async def _resource(self, request: web.Request, group: str, version: str):
        target = paths.parse(group, version, request.match_info["tail"])
        if target is None:
            raise status.not_found_path()
        request["target"] = target
        verb = request.method
        if not target.name:
            handler = {"GET": self.list, "POST": self.create, "DELETE": self.delete_collection}.get(verb)
        else:
            handler = {"GET": self.get, "PUT": self.replace, "PATCH": self.patch, "DELETE": self.delete,
                       "POST": self.post_subresource}.get(verb)
        if handler is None:
            raise ApiError(grpc.StatusCode.UNIMPLEMENTED, "MethodNotAllowed",
                           "the server does not allow this method on the requested resource")
        return await handler(request, target)

    def _object(self, request: web.Request, msg, code: int = 200, warnings: list[str] = ()) -> web.Response:
        if tables.wants_table(request.headers.get("Accept", "")):
            table = tables.new_table(msg.kind, [msg], time.time(), include=request.query.get("includeObject",
                                                                                             "Metadata"))
            return json_response(table, code, warnings)
        return json_response(manifest.to_dict(msg), code, warnings)

    @staticmethod
    def _decode(request: web.Request, t: paths.Target, data, warnings: list[str]):
        """The body's object (fieldValidation: Strict, Warn (the default) or Ignore); errors about it name it."""
        msg = objects.decode(data, t.info, request.query.get("fieldValidation", "Warn"), warnings)
        request["target"] = dataclasses.replace(t, name=msg.metadata.name or t.name)
        return msg

    async def list(self, request: web.Request, t: paths.Target):
        q = request.query
        if is_watch(q):
            return await serve_watch(request, self.cache, t.info, t.namespace, self.bookmark_interval,
                                     tables.wants_table(request.headers.get("Accept", "")))
        items, rev = await self.resources.list(t.info, t.namespace, q.get("labelSelector", ""),
                                               q.get("fieldSelector", ""))
        items, cont = objects.page(items, rev, q.get("limit", ""), q.get("continue", ""))
        if tables.wants_table(request.headers.get("Accept", "")):
            return json_response(tables.new_table(t.info.kind, [c.message() for c in items], time.time(), str(rev), cont,
                                          q.get("includeObject", "Metadata")))
        return web.Response(body=objects.list_json(t.info, items, rev, cont), content_type="application/json")

    async def get(self, request: web.Request, t: paths.Target):
        if t.subresource not in ("", "status", "scale"):
            return await self.get_subresource(request, t)
        msg = await self.resources.get(t.info, t.namespace, t.name)
        if t.subresource == "scale":
            return json_response(scale_of(msg))
        return self._object(request, msg)

    async def get_subresource(self, request: web.Request, t: paths.Target):
        if t.info.kind == "Pod" and t.subresource == "log":
            return await podproxy.serve_log(request, self.resources, t.namespace, t.name)
        if t.info.kind == "Pod" and t.subresource == "exec":
            return await podproxy.serve_exec(request, self.resources, t.namespace, t.name)
        if t.info.kind == "Pod" and t.subresource in ("attach", "portforward"):
            raise errors.forbidden(f"kubelab does not serve pods/{t.subresource}; use exec")
        raise status.not_found_path()

    async def create(self, request: web.Request, t: paths.Target):
        warnings: list[str] = []
        msg = self._decode(request, t, await read_body(request), warnings)
        dry = dry_run(request.query.getall("dryRun", []))
        created = await self.resources.create(msg, t.namespace, dry)
        return self._object(request, created, 201, warnings)

    async def replace(self, request: web.Request, t: paths.Target):
        data = await read_body(request)  # no Content-Type is JSON (kubectl scale sends none)
        dry = dry_run(request.query.getall("dryRun", []))
        if t.subresource == "scale":
            return await self._scale(t, lambda obj: with_replicas(obj, data), dry)
        if t.subresource not in ("", "status"):
            raise status.not_found_path()
        warnings: list[str] = []
        msg = self._decode(request, t, data, warnings)
        if msg.metadata.name != t.name:
            raise errors.bad_request("the name of the object "
                                     f"({msg.metadata.name}) does not match the name on the URL ({t.name})")
        if t.subresource == "status":
            updated = await self.resources.update_status(msg, t.namespace, dry_run=dry)
        else:
            updated = await self.resources.update(msg, t.namespace, dry_run=dry)
        return self._object(request, updated, 200, warnings)

    async def patch(self, request: web.Request, t: paths.Target):
        body, warnings = await request.read(), []
        apply = patch_function(request.headers.get("Content-Type", ""), body, t, request.query.get("fieldManager", ""))
        dry = dry_run(request.query.getall("dryRun", []))
        if t.subresource == "scale":
            return await self._scale(t, lambda obj: with_replicas(obj, apply(scale_of(manifest.from_dict(obj)))),
                                     dry)
        if t.subresource not in ("", "status"):
            raise status.not_found_path()
        apply = validated(apply, t, body, request.query.get("fieldValidation", "Warn"), warnings)
        try:
            msg = await self.resources.patch(t.info, t.namespace, t.name, apply, t.subresource == "status", dry)
        except ApiError as e:
            if not is_not_found(e) or not getattr(apply, "creates", False):
                raise
            msg = await self.resources.create(apply.new_object(), t.namespace, dry)  # server-side apply
            return self._object(request, msg, 201)
        return self._object(request, msg, 200, warnings)

    async def _scale(self, t: paths.Target, change, dry: bool):
        if t.info.kind not in discovery.SCALABLE:
            raise status.not_found_path()
        msg = await self.resources.patch(t.info, t.namespace, t.name, change, False, dry)
        return json_response(scale_of(msg))

    async def delete(self, request: web.Request, t: paths.Target):
        if t.subresource:
            raise status.not_found_path()
        opts = _delete_options(request.query, await read_body(request))
        obj, gone = await self.resources.delete(t.info, t.namespace, t.name, *opts)
        return self._object(request, obj)

    async def delete_collection(self, request: web.Request, t: paths.Target):
        q = request.query
        opts = _delete_options(q, await read_body(request))
        items, rev = await self.resources.list(t.info, t.namespace, q.get("labelSelector", ""),
                                               q.get("fieldSelector", ""))
        deleted = []
        for c in items:
            try:
                obj, _ = await self.resources.delete(t.info, c.namespace, c.name, *opts)
            except ApiError as e:
                if not is_not_found(e):
                    raise
                continue
            deleted.append(manifest.to_dict(obj))
        return json_response(objects.list_body(t.info, deleted, rev))

    async def post_subresource(self, request: web.Request, t: paths.Target):
        if t.info.kind == "Pod" and t.subresource == "exec":  # kubectl's SPDY fallback; WebSocket goes by GET
            return await podproxy.serve_exec(request, self.resources, t.namespace, t.name)
        if t.info.kind == "Pod" and t.subresource in ("attach", "portforward"):
            return await self.get_subresource(request, t)
        body = await read_body(request)
        if t.info.kind != "Pod" or not isinstance(body, dict):
            raise status.not_found_path()
        if t.subresource == "binding":
            uid = (body.get("metadata") or {}).get("uid", "")
            await self.resources.bind(t.namespace, t.name, (body.get("target") or {}).get("name", ""), uid)
            return json_response(status.success(201), 201)
        if t.subresource == "eviction":
            opts = _delete_options(request.query, body.get("deleteOptions") or {})
            await self.resources.delete(t.info, t.namespace, t.name, *opts)
            return json_response(status.success(201), 201)
        raise status.not_found_path()


def _delete_options(query, body) -> tuple:
    """DeleteOptions from the body (kubectl) or the query (the Python client may use either)."""
    if not isinstance(body, dict):
        raise errors.bad_request("DeleteOptions: the body must be a JSON object")
    grace = body.get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
    try:
        grace = None if grace is None else int(grace)
    except ValueError:
        raise errors.bad_request(f'gracePeriodSeconds: Invalid value: "{grace}": must be an integer') from None
    pre = body.get("preconditions") or {}
    policy = body.get("propagationPolicy") or query.get("propagationPolicy", "")
    if body.get("orphanDependents") is True:
        policy = policy or "Orphan"
    dry = dry_run(body.get("dryRun") or query.getall("dryRun", []))
    return grace, pre.get("uid"), pre.get("resourceVersion"), policy, dry


async def _not_found(request):
    raise status.not_found_path()


def new_app(resources: Resources, bookmark_interval: float = 60.0) -> web.Application:
    api = Api(resources, bookmark_interval)
    docs = Documents(ready=lambda: resources.cache.ready)
    app = web.Application(middlewares=[errors_middleware], client_max_size=16 << 20)
    r = app.router
    r.add_get("/version", docs.version)
    for path in ("/healthz", "/livez", "/readyz"):
        r.add_get(path, docs.health)
    r.add_get("/api", docs.core)
    r.add_get("/apis", docs.groups)
    r.add_get("/api/v1", docs.core_resources)
    r.add_get("/apis/{group}/{version}", docs.group_resources)
    r.add_get("/openapi/v2", docs.openapi_v2)
    r.add_get("/openapi/v3", docs.openapi_root)
    r.add_get("/openapi/v3/api/{version}", docs.openapi_document)
    r.add_get("/openapi/v3/apis/{group}/{version}", docs.openapi_document)
    r.add_route("*", "/api/v1/{tail:.+}", api.core_resource)
    r.add_route("*", "/apis/{group}/{version}/{tail:.+}", api.group_resource)
    r.add_route("*", "/{tail:.*}", _not_found)
    return app
