"""The HTTP side (aiohttp): the page, its static modules, the SSE stream, object details, actions.

    GET  /                         the page (static/index.html)
    GET  /static/...               ES modules and CSS, served as they are (no build step)
    GET  /events                   text/event-stream: a snapshot, then batches of changes (model.py)
    GET  /api/object?kind=K&key=NS/NAME   {"yaml": ..., "events": [...]} from the informers' caches
    POST /api/components/NAME/VERB the failure verb on a process; 200 {"said": ...} or 409 {"error": ...};
                                   403 unless the request comes from the page itself (`refusal`)
"""
from __future__ import annotations

import asyncio
import ipaddress
from pathlib import Path

from aiohttp import web

from kubelab.cluster.launcher import ClusterError
from kubelab.manifest import to_yaml
from services.ui.components import Components
from services.ui.hub import CUT_OFF, Hub
from services.ui.views import event_view
from services.ui.watcher import Watcher

__all__ = ["new_app"]

STATIC = Path(__file__).parent / "static"
KEEPALIVE = 15.0
"""Seconds between SSE comments on an idle stream, so that a dead connection is noticed."""
WATCHER = web.AppKey("watcher", Watcher)
HUB = web.AppKey("hub", Hub)
COMPONENTS = web.AppKey("components", Components)
ACTION_HEADER = "X-Kubelab-Action"
"""Set by the page's fetch of a verb. A cross-site form cannot set a header, and a cross-site fetch that
sets one needs a CORS preflight this server never grants."""


async def _index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _events(request: web.Request) -> web.StreamResponse:
    watcher: Watcher = request.app[WATCHER]
    hub: Hub = request.app[HUB]
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                       "X-Accel-Buffering": "no"})
    await resp.prepare(request)
    sub = hub.subscribe(watcher.snapshot())
    try:
        while True:
            try:
                message = await asyncio.wait_for(sub.next(), KEEPALIVE)
            except TimeoutError:
                message = b": keepalive\n\n"
            if message == CUT_OFF:
                break
            await resp.write(message)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        hub.unsubscribe(sub)
    return resp


async def _object(request: web.Request) -> web.Response:
    watcher: Watcher = request.app[WATCHER]
    kind, key = request.query.get("kind", ""), request.query.get("key", "")
    informer = watcher.informers.get(kind)
    if informer is None:
        raise web.HTTPBadRequest(text=f"kind: Unsupported value: {kind!r}: supported values: "
                                      f"{', '.join(sorted(watcher.informers))}")
    obj = informer.get(key)
    if obj is None:
        raise web.HTTPNotFound(text=f'{kind} "{key}" not found')
    events = sorted((event_view(e) for e in watcher.events_of(kind, key)), key=lambda e: e["time"])
    return web.json_response({"yaml": to_yaml(obj), "events": events})


def _literal_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return host == "localhost"


def refusal(headers, scheme: str) -> str | None:
    """Why a verb request is not the page's own, or None. Any page open in the same browser can send
    requests to this address, so a verb (which kills processes) must prove it came from this page: the
    page's own header, a same-origin Origin when the browser sends one, and a Host that is an address or
    localhost (a name could be an attacker's, rebound by DNS to 127.0.0.1, which makes the Origin match)."""
    host = headers.get("Host", "")
    if headers.get(ACTION_HEADER) != "1":
        return f"the {ACTION_HEADER} header is missing: actions are taken from the page itself"
    origin = headers.get("Origin")
    if origin is not None and origin != f"{scheme}://{host}":
        return f"Origin {origin!r} is not this page's ({scheme}://{host}): actions are taken from the page itself"
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not _literal_host(hostname):
        return f"Host {host!r} is a name, not an address: open the page as http://<address>:<port>/ to act"
    return None


async def _action(request: web.Request) -> web.Response:
    components: Components = request.app[COMPONENTS]
    why = refusal(request.headers, request.scheme)
    if why is not None:
        return web.json_response({"error": why}, status=403)
    try:
        said = await components.act(request.match_info["verb"], request.match_info["name"])
    except ClusterError as e:
        return web.json_response({"error": str(e)}, status=409)
    return web.json_response({"said": said})


def new_app(watcher: Watcher, hub: Hub, components: Components) -> web.Application:
    app = web.Application()
    app[WATCHER], app[HUB], app[COMPONENTS] = watcher, hub, components
    app.router.add_get("/", _index)
    app.router.add_static("/static/", STATIC)
    app.router.add_get("/events", _events)
    app.router.add_get("/api/object", _object)
    app.router.add_post("/api/components/{name}/{verb}", _action)
    return app
