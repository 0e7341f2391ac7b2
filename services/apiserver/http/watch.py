"""Watch over HTTP: newline-delimited JSON events (apiserver pkg/endpoints/handlers/watch.go).

Served from the same watch cache as gRPC watches. resourceVersion absent or "0" starts with the current
objects as ADDED; "N" replays the changes after N, or sends one ERROR event (410 Expired) when N is older
than the retained history. Bookmarks go out on an idle watch that asked for them; timeoutSeconds ends the
stream cleanly, and without it the stream stays open 30 to 60 minutes, as kube-apiserver's does.
"""
from __future__ import annotations

import json
import logging
import random
import time

from aiohttp import web

from kubelab.api.registry import KindInfo
from kubelab.errors import ApiError
from services.apiserver import errors
from services.apiserver.filters import Filter
from services.apiserver.http import objects, status, tables
from services.apiserver.watchcache import TooOld, WatchCache, WatchClosed

__all__ = ["serve_watch", "is_watch"]

log = logging.getLogger(__name__)


def is_watch(query) -> bool:
    """kubectl sends watch=true, the Python client watch=True; Kubernetes' bool parser takes 1 too."""
    return query.get("watch", "").lower() in ("true", "1")


def _timeout(query) -> float:
    given = query.get("timeoutSeconds", "")
    try:
        return float(given) if given else random.uniform(1800, 3600)
    except ValueError:
        raise errors.bad_request(f'timeoutSeconds: Invalid value: "{given}": must be an integer') from None


class _Encoder:
    """Each event's JSON line: the object, or a one-row Table (the first one with its columns)."""

    def __init__(self, info: KindInfo, table: bool, include: str):
        self.info, self.table, self.include, self.headers = info, table, include, True

    def event(self, etype: str, cached) -> bytes:
        if not self.table:
            return b'{"type":"%s","object":%s}\n' % (etype.encode(), objects.object_json(cached))
        obj = tables.new_table(self.info.kind, [cached.message()], time.time(), include=self.include,
                               headers=self.headers)
        self.headers = False
        return _line(etype, obj)

    def bookmark(self, rev: int) -> bytes:
        return _line("BOOKMARK", {"kind": self.info.kind, "apiVersion": self.info.api_version,
                                  "metadata": {"resourceVersion": str(rev)}})


def _line(etype: str, obj: dict) -> bytes:
    return json.dumps({"type": etype, "object": obj}, separators=(",", ":")).encode() + b"\n"


def _error_line(err: ApiError) -> bytes:
    return _line("ERROR", status.status_body(err))


async def serve_watch(request: web.Request, cache: WatchCache, info: KindInfo, namespace: str,
                      bookmark_interval: float, table: bool) -> web.StreamResponse:
    q = request.query
    deadline = time.monotonic() + _timeout(q)
    flt = Filter.parse(info, namespace, q.get("labelSelector", ""), q.get("fieldSelector", ""))
    given = q.get("resourceVersion", "")
    try:
        rv = None if given in ("", "0") else int(given)
    except ValueError:
        raise errors.bad_request(f'resourceVersion: Invalid value: "{given}": must be an integer') from None
    encoder = _Encoder(info, table, q.get("includeObject", "Metadata"))
    bookmarks = q.get("allowWatchBookmarks", "").lower() in ("true", "1")
    try:
        watcher = await cache.watch(info.kind, flt.matches, rv)
    except TooOld as e:  # an ERROR event in the stream, as kube-apiserver sends it; the rest answers a Status
        return await _one_error(request, table, errors.to_api_error(e))
    resp = await _start(request, table)
    try:
        while (left := deadline - time.monotonic()) > 0:
            item = await watcher.next(min(left, bookmark_interval) if bookmarks else left)
            if item is None:
                if bookmarks and deadline - time.monotonic() > 0:
                    await resp.write(encoder.bookmark(cache.rev))
                continue
            etype, cached = item
            await resp.write(encoder.event(etype, cached))
    except WatchClosed as e:
        log.info("http watch ended kind=%s reason=%r", info.kind, e.reason)
        await resp.write(_error_line(errors.to_api_error(e)))
    except (ConnectionResetError, ConnectionError):
        pass  # the client went away
    finally:
        cache.unwatch(watcher)
    await resp.write_eof()
    return resp


async def _start(request: web.Request, table: bool) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    return resp


async def _one_error(request: web.Request, table: bool, err: ApiError) -> web.StreamResponse:
    resp = await _start(request, table)
    await resp.write(_error_line(err))
    await resp.write_eof()
    return resp
