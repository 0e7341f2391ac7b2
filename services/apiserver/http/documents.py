"""The handlers of the documents about the API: /version, discovery and OpenAPI."""
from __future__ import annotations

from aiohttp import web

from services.apiserver.http import discovery, openapi, status
from services.apiserver.http.responses import aggregated_response, json_response

__all__ = ["Documents"]


class Documents:
    def __init__(self, ready=lambda: True):
        self.ready = ready

    async def health(self, request):
        """/healthz, /livez, /readyz as kube-apiserver answers them (`ok`); readyz fails while the watch cache
        cannot follow Redis, as the gRPC health service reports NOT_SERVING then."""
        if request.path.startswith("/readyz") and not self.ready():
            return web.Response(status=500, text="[-]watch-cache failed: storage is unavailable\nreadyz check failed")
        return web.Response(text="ok")

    async def version(self, request):
        return json_response(discovery.version())

    async def core(self, request):
        if discovery.wants_aggregated(request.headers.get("Accept", "")):
            return aggregated_response(discovery.aggregated(core=True))
        return json_response(discovery.core_versions())

    async def groups(self, request):
        if discovery.wants_aggregated(request.headers.get("Accept", "")):
            return aggregated_response(discovery.aggregated(core=False))
        return json_response(discovery.group_list())

    async def core_resources(self, request):
        return json_response(discovery.resource_list("", "v1"))

    async def group_resources(self, request):
        doc = discovery.resource_list(request.match_info["group"], request.match_info["version"])
        if doc is None:
            raise status.not_found_path()
        return json_response(doc)

    async def openapi_root(self, request):
        return json_response(openapi.root())

    async def openapi_document(self, request):
        found = openapi.document(request.match_info.get("group", ""), request.match_info["version"])
        if found is None:
            raise status.not_found_path()
        body, digest = found
        return web.Response(body=body, content_type="application/json",
                            headers={"Etag": f'"{digest}"', "Cache-Control": "public, immutable"})

    async def openapi_v2(self, request):
        """An empty OpenAPI v2 document (protobuf; kubectl asks for nothing else): kubectl validates a kind
        missing from v3 (`apiVersion: app/v1`) against v2, finds nothing there and skips validation, so
        the user gets kubectl's own `no matches for kind` error, as against a real cluster; and apply
        then computes its patches from the metadata compiled into kubectl, as the reference advises."""
        return web.Response(body=b"", content_type="application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
