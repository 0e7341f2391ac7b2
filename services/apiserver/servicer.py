"""The ApiServer gRPC service: decode, one call into Resources, encode.

List and Watch answer with bytes built from the watch cache's ready-made wire form (wire.py),
so a large list is not parsed and re-serialized object by object.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from contextlib import aclosing

import grpc
import yaml

from kubelab import manifest
from kubelab.api import registry
from kubelab.api.v1 import apiserver_pb2 as pb
from services.apiserver import errors, wire
from services.apiserver.filters import Filter
from services.apiserver.resources import Resources
from services.apiserver.watchcache import WatchClosed

log = logging.getLogger(__name__)

SERVICE = "kubelab.v1.ApiServer"


# A WatchEventBatch holds at most this many events, and stops adding events at this many bytes of
# objects (a single larger object still goes, alone).
MAX_BATCH_EVENTS = 500
MAX_BATCH_BYTES = 1 << 20
# A WatchBatched stream sends at most one message per window: an event that comes less than a window
# after the stream's previous message waits for the rest of it, and whatever else arrives meanwhile
# goes in the same message. A quiet stream's events go at once; a busy one's carry several per
# message, which is what lets one process fan hundreds of writes a second out to a hundred watchers.
BATCH_WINDOW = 0.010
# While many streams are busy at once, the window widens so that together they send about this many
# messages a second: a message costs the server about the same whatever it carries, so a hundred busy
# watchers at the base window would spend the writes' CPU on messages (issue 19: 100 watchers at 500
# writes/s). Widening only while busy keeps a quiet stream's events going out at once.
MESSAGE_BUDGET = 4000.0


class Pacing:
    """The window shared by every batched stream of one server: the base window, or, while more than
    budget x window streams are busy (each had an event waiting within a window of its last message),
    busy / budget seconds, so the busy streams send about `budget` messages a second in all."""

    def __init__(self, window: float = BATCH_WINDOW, budget: float = MESSAGE_BUDGET):
        self.base, self.budget = window, budget
        self.busy = 0

    def window(self) -> float:
        if self.base <= 0 or self.budget <= 0:
            return self.base
        return max(self.base, self.busy / self.budget)


class Pacer:
    """At most one message per window on one stream (Nagle's algorithm, by time); the window is its
    server's Pacing's (a float: a fixed window of that many seconds)."""

    def __init__(self, pacing: Pacing | float):
        self.pacing = pacing if isinstance(pacing, Pacing) else Pacing(pacing, 0.0)
        self.last = float("-inf")
        self.busy = False

    async def wait(self) -> None:
        """Return when the stream may send: at once if its last message is a window old."""
        window = self.pacing.window()
        if window > 0:
            early = self.last + window - asyncio.get_running_loop().time()
            self._busy(early > 0)
            if early > 0:
                await asyncio.sleep(early)

    def sent(self) -> None:
        self.last = asyncio.get_running_loop().time()

    def close(self) -> None:
        """The stream ended: it no longer counts as busy."""
        self._busy(False)

    def _busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.pacing.busy += 1 if busy else -1


class _Frames:
    """Each recent event's wire form, built once however many watchers receive it."""

    def __init__(self, build, size: int = 4096):
        self.build, self.size = build, size
        self.frames: OrderedDict[tuple, bytes] = OrderedDict()

    def __call__(self, etype: str, c) -> bytes:
        key = (etype, c.kind, c.namespace, c.name, c.rev)
        frame = self.frames.get(key)
        if frame is None:
            frame = self.frames[key] = self.build(etype, c)
            if len(self.frames) > self.size:
                self.frames.popitem(last=False)
        return frame


def _watch_event(etype: str, c) -> bytes:
    return wire.watch_event(etype, c.wrapped, c.rev)


# A WatchEvent message; the same event as one entry of a WatchEventBatch.
_event_frame = _Frames(_watch_event)
_batch_entry = _Frames(lambda etype, c: wire.batch_entry(_watch_event(etype, c)))


def _serialize(msg) -> bytes:
    return msg if isinstance(msg, bytes) else msg.SerializeToString()


# Object's oneof field number per kind's message type.
_OBJECT_FIELD = {k.message: pb.Object.DESCRIPTOR.fields_by_name[k.oneof_field].number for k in registry.KINDS}


def _wrapped(msg) -> bytes:
    """registry.wrap(msg), serialized: the object's bytes as the Object's one field, without copying the
    object into an Object first (every create, update and get answers with one)."""
    return wire.field(_OBJECT_FIELD[type(msg)], msg.SerializeToString())


def _kind(name: str) -> registry.KindInfo:
    try:
        return registry.lookup(name)
    except registry.UnknownKind:
        raise errors.bad_request(f'the server doesn\'t have a resource type "{name}"') from None


def _decode(req: pb.WriteRequest):
    """The object of a write: typed, or a manifest decoded strictly."""
    if req.WhichOneof("body") == "manifest":
        try:
            docs = list(manifest.load_documents(req.manifest))
        except yaml.YAMLError as e:
            raise errors.bad_request(f"error converting YAML to JSON: {e}", [("(document)", str(e))]) from None
        if len(docs) != 1:
            raise errors.bad_request(f"a manifest must hold exactly one object, found {len(docs)}",
                                     [("(document)", "exactly one object expected")])
        try:
            return manifest.from_dict(docs[0])
        except manifest.StrictDecodingError as e:
            raise errors.bad_request(str(e), [(p, str(e)) for p in e.paths]) from None
        except (manifest.NoKindMatchError, manifest.MissingKindError) as e:
            raise errors.bad_request(str(e), [("apiVersion", str(e)), ("kind", str(e))]) from None
        except manifest.ManifestError as e:
            raise errors.bad_request(str(e), [("(root)", str(e))]) from None
    if req.WhichOneof("body") == "object":
        try:
            return registry.unwrap(req.object)
        except registry.UnknownKind:
            pass
    raise errors.bad_request("the request carries no object", [("object", "Required value")])


class ApiServerServicer:
    def __init__(self, resources: Resources, bookmark_interval: float = 60.0, batch_window: float = BATCH_WINDOW,
                 message_budget: float = MESSAGE_BUDGET):
        self.resources = resources
        self.pacing = Pacing(batch_window, message_budget)
        self.cache = resources.cache
        self.bookmark_interval = bookmark_interval

    def handler(self) -> grpc.GenericRpcHandler:
        def unary(fn, req_type):
            return grpc.unary_unary_rpc_method_handler(
                self._guard(fn), request_deserializer=req_type.FromString, response_serializer=_serialize)
        handlers = {
            "Create": unary(self.Create, pb.WriteRequest),
            "Get": unary(self.Get, pb.GetRequest),
            "List": unary(self.List, pb.ListRequest),
            "Update": unary(self.Update, pb.WriteRequest),
            "UpdateStatus": unary(self.UpdateStatus, pb.WriteRequest),
            "Patch": unary(self.Patch, pb.PatchRequest),
            "Delete": unary(self.Delete, pb.DeleteRequest),
            "Bind": unary(self.Bind, pb.BindRequest),
            "Watch": grpc.unary_stream_rpc_method_handler(
                self.Watch, request_deserializer=pb.WatchRequest.FromString, response_serializer=_serialize),
            "WatchBatched": grpc.unary_stream_rpc_method_handler(
                self.WatchBatched, request_deserializer=pb.WatchRequest.FromString,
                response_serializer=_serialize),
        }
        return grpc.method_handlers_generic_handler(SERVICE, handlers)

    def _guard(self, fn):
        async def call(request, context):
            try:
                return await fn(request, context)
            except Exception as e:  # answered as an API error: storage trouble or a bug must not crash the server
                await context.abort_with_status(errors.to_api_error(e, f"method={fn.__name__}").to_status())
        return call

    async def Create(self, req: pb.WriteRequest, context) -> bytes:
        obj = await self.resources.create(_decode(req), req.default_namespace, req.dry_run, req.request_id)
        return _wrapped(obj)

    async def Update(self, req: pb.WriteRequest, context) -> bytes:
        return _wrapped(await self.resources.update(_decode(req), req.default_namespace))

    async def UpdateStatus(self, req: pb.WriteRequest, context) -> bytes:
        return _wrapped(await self.resources.update_status(_decode(req), req.default_namespace))

    async def Get(self, req: pb.GetRequest, context) -> bytes:
        return _wrapped(await self.resources.get(_kind(req.kind), req.namespace, req.name))

    async def List(self, req: pb.ListRequest, context) -> bytes:
        items, rev = await self.resources.list(_kind(req.kind), req.namespace, req.label_selector,
                                               req.field_selector)
        return wire.list_response((c.wrapped for c in items), rev)

    async def Patch(self, req: pb.PatchRequest, context) -> pb.Object:
        obj = await self.resources.patch(_kind(req.kind), req.namespace, req.name, req.patch, req.status)
        return registry.wrap(obj)

    async def Delete(self, req: pb.DeleteRequest, context) -> pb.DeleteResponse:
        pre = req.preconditions
        obj, deleted = await self.resources.delete(
            _kind(req.kind), req.namespace, req.name,
            req.grace_period_seconds if req.HasField("grace_period_seconds") else None,
            pre.uid if pre.HasField("uid") else None,
            pre.resource_version if pre.HasField("resource_version") else None,
            req.propagation_policy)
        return pb.DeleteResponse(object=registry.wrap(obj), deleted=deleted)

    async def Bind(self, req: pb.BindRequest, context) -> pb.Object:
        return registry.wrap(await self.resources.bind(req.namespace, req.name, req.node_name, req.uid))

    async def Watch(self, req: pb.WatchRequest, context):
        """One WatchEvent per stream message."""
        async with aclosing(self._watch(req, context, 1, 0.0)) as batches:
            async for events in batches:
                yield _event_frame(*events[0]) if events else self._bookmark()

    async def WatchBatched(self, req: pb.WatchRequest, context):
        """The same events as Watch, each message a WatchEventBatch of what the watcher's queue held."""
        async with aclosing(self._watch(req, context, MAX_BATCH_EVENTS, self.pacing)) as batches:
            async for events in batches:
                if events:
                    yield b"".join(_batch_entry(t, c) for t, c in events)
                else:
                    yield wire.batch_entry(self._bookmark())

    def _bookmark(self) -> bytes:
        return wire.bookmark(self.cache.rev)

    async def _watch(self, req: pb.WatchRequest, context, max_events: int, pacing: Pacing | float):
        """Lists of events, in order, up to max_events each ([] when a bookmark is due). After the first
        event, whatever else is queued goes in the same list, once the Pacer lets the stream send."""
        try:
            info = _kind(req.kind)
            flt = Filter.parse(info, req.namespace, req.label_selector, req.field_selector)
            rv = None if req.resource_version in ("", "0") else self._parse_rv(req.resource_version)
            watcher = await self.cache.watch(info.kind, flt.matches, rv)
        except Exception as e:
            await context.abort_with_status(errors.to_api_error(e, "method=Watch").to_status())
            return
        timeout = self.bookmark_interval if req.allow_bookmarks else None
        pacer = Pacer(pacing)
        try:
            while True:
                item = await watcher.next(timeout)
                if item is None:
                    yield []
                    continue
                await pacer.wait()
                yield [item, *watcher.drain(max_events - 1, MAX_BATCH_BYTES - len(item[1].wrapped))]
                pacer.sent()
        except WatchClosed as e:
            log.info("watch ended kind=%s reason=%r", info.kind, e.reason)
            await context.abort_with_status(errors.to_api_error(e).to_status())
        finally:
            pacer.close()
            self.cache.unwatch(watcher)

    @staticmethod
    def _parse_rv(rv: str) -> int:
        try:
            return int(rv)
        except ValueError:
            raise errors.bad_request(f'resourceVersion: Invalid value: "{rv}": must be an integer') from None
