"""A gRPC proxy in front of the API server whose watch streams of some kinds lag: every stream message (an
event, or a batch of them) reaches the client `delay` seconds after the server sent it (order kept), while
every other call passes at once.
With it, a controller's pod cache is seconds behind its own writes, as after a slow watch in a busy
cluster: the situation expectations exist for."""
from __future__ import annotations

import asyncio
import threading
import time

import grpc

from kubelab.api.v1 import apiserver_pb2 as pb

__all__ = ["LaggingProxy"]


class LaggingProxy(grpc.GenericRpcHandler):
    """Runs in a thread of its own (with its own event loop), so that tests may block while it serves."""

    def __init__(self, upstream: str, delay: float, kinds=("Pod",)):
        self.upstream, self.delay, self.kinds = upstream, delay, set(kinds)
        self.address = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(10):
            raise AssertionError("lagging proxy did not start")
        return self.address

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self.channel = grpc.aio.insecure_channel(self.upstream)
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((self,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        self.address = f"127.0.0.1:{port}"
        self._ready.set()
        await self._stop.wait()
        await server.stop(grace=0.5)
        await self.channel.close()

    def service(self, details):
        method = details.method
        if method.endswith(("/Watch", "/WatchBatched")):
            return grpc.unary_stream_rpc_method_handler(self._watcher(method))
        return grpc.unary_unary_rpc_method_handler(self._unary(method))

    def _unary(self, method: str):
        call = self.channel.unary_unary(method)

        async def forward(request: bytes, context):
            try:
                return await call(request, timeout=context.time_remaining())
            except grpc.aio.AioRpcError as e:
                await context.abort(e.code(), e.details(), tuple(e.trailing_metadata() or ()))
        return forward

    def _watcher(self, method: str):
        stream = self.channel.unary_stream(method)

        async def forward(request: bytes, context):
            lag = self.delay if pb.WatchRequest.FromString(request).kind in self.kinds else 0.0
            upstream = stream(request)
            queue: asyncio.Queue = asyncio.Queue()

            async def read() -> None:
                try:
                    async for message in upstream:
                        await queue.put((time.monotonic() + lag, message, None))
                except grpc.aio.AioRpcError as e:
                    await queue.put((time.monotonic() + lag, None, e))
                await queue.put((time.monotonic() + lag, None, None))
            reader = asyncio.create_task(read())
            try:
                while True:
                    due, message, error = await queue.get()
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    if error is not None:
                        await context.abort(error.code(), error.details(), tuple(error.trailing_metadata() or ()))
                    if message is None:
                        return
                    yield message
            finally:
                reader.cancel()
                upstream.cancel()
        return forward
