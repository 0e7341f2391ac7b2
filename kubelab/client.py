"""The async API client every component uses.

Verbs take and return the typed messages of ``kubelab.api``. UNAVAILABLE is retried
with exponential backoff and jitter until ``retry_deadline``, so a component rides out
an API server restart. A create carries a request id, the same on every retry, so
retrying one whose answer was lost returns the object it made instead of making a
second (with generateName, a retry would otherwise get a new name). ``watch`` resumes from the last resourceVersion it delivered
when its stream breaks; when that version is too old it raises ``ApiError`` with
reason ``Expired`` and the caller relists (as client-go's reflector does).
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from typing import Any, AsyncIterator

import grpc
from google.protobuf.message import Message

from kubelab.api import registry
from kubelab.api.v1 import apiserver_pb2 as pb
from kubelab.api.v1 import apiserver_pb2_grpc
from kubelab.errors import ApiError, from_rpc_error

__all__ = ["Client", "WatchEvent", "ApiError"]

log = logging.getLogger(__name__)

_RETRYABLE = {grpc.StatusCode.UNAVAILABLE}
# A broken watch stream that is resumed rather than reported.
_RESUMABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.CANCELLED,
              grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    object: Message | None
    resource_version: str


def _kind_name(kind: Any) -> str:
    if isinstance(kind, registry.KindInfo):
        return kind.kind
    if isinstance(kind, type) and issubclass(kind, Message):
        return registry.kind_of(kind()).kind
    return registry.lookup(kind).kind


def _request_id() -> str:
    import uuid  # imported on first write: uuid imports platform, which read-only commands need not pay for

    return uuid.uuid4().hex


class Client:
    def __init__(self, address: str, *, retry_deadline: float = 30.0, backoff: float = 0.1,
                 max_backoff: float = 2.0):
        self.address = address
        self.retry_deadline = retry_deadline
        self.backoff, self.max_backoff = backoff, max_backoff
        self.channel = grpc.aio.insecure_channel(address, options=[
            ("grpc.max_receive_message_length", 256 << 20), ("grpc.max_send_message_length", 64 << 20),
            ("grpc.keepalive_time_ms", 10000), ("grpc.keepalive_timeout_ms", 5000),
            ("grpc.keepalive_permit_without_calls", 1), ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 2000),
            # its own connection, not one shared with every channel of the process to the same address: so
            # that several Clients in one process spread over the API server's workers (--workers)
            ("grpc.use_local_subchannel_pool", 1)])
        self.stub = apiserver_pb2_grpc.ApiServerStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> "Client":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def _call(self, method, request, timeout: float | None = 30.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.retry_deadline
        delay = self.backoff
        while True:
            try:
                return await method(request, timeout=timeout)
            except grpc.RpcError as e:
                err = from_rpc_error(e)
                if err.code not in _RETRYABLE or loop.time() + delay > deadline:
                    raise err from None
                log.debug("api unavailable, retrying delay=%.2f error=%r", delay, err.message)
                await asyncio.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, self.max_backoff)

    # ---- verbs ----

    async def create(self, obj: Message, namespace: str = "", dry_run: bool = False) -> Message:
        req = pb.WriteRequest(object=registry.wrap(obj), default_namespace=namespace, dry_run=dry_run,
                              request_id=_request_id())
        return registry.unwrap(await self._call(self.stub.Create, req))

    async def create_manifest(self, text: str, namespace: str = "", dry_run: bool = False) -> Message:
        """Create from one YAML/JSON document, decoded strictly by the server."""
        req = pb.WriteRequest(manifest=text, default_namespace=namespace, dry_run=dry_run,
                              request_id=_request_id())
        return registry.unwrap(await self._call(self.stub.Create, req))

    async def update_manifest(self, text: str, namespace: str = "") -> Message:
        req = pb.WriteRequest(manifest=text, default_namespace=namespace)
        return registry.unwrap(await self._call(self.stub.Update, req))

    async def get(self, kind: Any, name: str, namespace: str = "") -> Message:
        req = pb.GetRequest(kind=_kind_name(kind), namespace=namespace, name=name)
        return registry.unwrap(await self._call(self.stub.Get, req))

    async def list(self, kind: Any, namespace: str = "", label_selector: str = "",
                   field_selector: str = "") -> tuple[list[Message], str]:
        req = pb.ListRequest(kind=_kind_name(kind), namespace=namespace, label_selector=label_selector,
                             field_selector=field_selector)
        resp = await self._call(self.stub.List, req, timeout=120.0)
        return [registry.unwrap(o) for o in resp.items], resp.resource_version

    async def update(self, obj: Message) -> Message:
        return registry.unwrap(await self._call(self.stub.Update, pb.WriteRequest(object=registry.wrap(obj))))

    async def update_status(self, obj: Message) -> Message:
        req = pb.WriteRequest(object=registry.wrap(obj))
        return registry.unwrap(await self._call(self.stub.UpdateStatus, req))

    async def patch(self, kind: Any, name: str, patch: dict | str, namespace: str = "",
                    status: bool = False) -> Message:
        body = patch if isinstance(patch, str) else json.dumps(patch)
        req = pb.PatchRequest(kind=_kind_name(kind), namespace=namespace, name=name, patch=body, status=status)
        return registry.unwrap(await self._call(self.stub.Patch, req))

    async def delete(self, kind: Any, name: str, namespace: str = "", *,
                     grace_period_seconds: int | None = None, uid: str | None = None,
                     resource_version: str | None = None,
                     propagation_policy: str = "") -> tuple[Message, bool]:
        """Returns the object and whether it is gone (False: terminating, kept by finalizers or grace)."""
        req = pb.DeleteRequest(kind=_kind_name(kind), namespace=namespace, name=name,
                               propagation_policy=propagation_policy)
        if grace_period_seconds is not None:
            req.grace_period_seconds = grace_period_seconds
        if uid is not None:
            req.preconditions.uid = uid
        if resource_version is not None:
            req.preconditions.resource_version = resource_version
        resp = await self._call(self.stub.Delete, req)
        return registry.unwrap(resp.object), resp.deleted

    async def bind(self, namespace: str, name: str, node_name: str, uid: str = "") -> Message:
        req = pb.BindRequest(namespace=namespace, name=name, node_name=node_name, uid=uid)
        return registry.unwrap(await self._call(self.stub.Bind, req))

    async def watch(self, kind: Any, namespace: str = "", label_selector: str = "",
                    field_selector: str = "", resource_version: str = "",
                    allow_bookmarks: bool = False, resume: bool = True) -> AsyncIterator[WatchEvent]:
        """Events after resource_version (or the current objects as ADDED, then changes).

        With resume, a broken stream is reopened from the last resourceVersion seen; an
        expired version raises ApiError(reason="Expired"), and the caller relists.
        """
        kind_name = _kind_name(kind)
        rv = resource_version
        delay = self.backoff
        while True:
            req = pb.WatchRequest(kind=kind_name, namespace=namespace, label_selector=label_selector,
                                  field_selector=field_selector, resource_version=rv,
                                  allow_bookmarks=allow_bookmarks)
            # Several events to a message when they come fast; rv advances event by event, so a
            # resume starts after the last event handed out, whatever batch it came in.
            call = self.stub.WatchBatched(req)
            try:
                async for batch in call:
                    delay = self.backoff
                    for ev in batch.events:
                        rv = ev.resource_version or rv
                        obj = registry.unwrap(ev.object) if ev.HasField("object") else None
                        yield WatchEvent(ev.type, obj, ev.resource_version)
                err = None
            except grpc.RpcError as e:
                err = from_rpc_error(e)
            finally:
                call.cancel()
            if err is not None and (err.code not in _RESUMABLE or not resume):
                raise err
            if not resume:
                return
            if not rv:
                # Nothing delivered yet from an initial-list watch: resuming would replay
                # the initial ADDED events, so let the caller relist instead.
                raise ApiError(grpc.StatusCode.OUT_OF_RANGE, "Expired",
                               "watch ended before any event; relist")
            log.debug("watch stream ended, resuming kind=%s resource_version=%s", kind_name, rv)
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, self.max_backoff)
