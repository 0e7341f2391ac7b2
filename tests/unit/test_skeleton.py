"""The skeleton every process runs in: setup before the gRPC server starts (services it adds are served and
listed by reflection), runnables for the process's life, and on SIGTERM the graceful steps, then the
runnables cancelled, then the close steps."""
import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kubelab.config import BaseConfig
from kubelab.skeleton import SERVING, Skeleton

SERVICE = "test.Echo"


def echo_handler() -> grpc.GenericRpcHandler:
    async def echo(request: bytes, context) -> bytes:
        return request

    method = grpc.unary_unary_rpc_method_handler(echo)
    return grpc.method_handlers_generic_handler(SERVICE, {"Echo": method})


async def test_setup_serve_and_stop_in_order():
    steps: list[str] = []
    started = asyncio.Event()

    async def setup(proc: Skeleton) -> None:
        proc.add_grpc_service(SERVICE, echo_handler())

        async def loop() -> None:
            started.set()
            try:
                await asyncio.Event().wait()
            finally:
                steps.append("runnable cancelled")

        async def stop() -> None:
            steps.append("stop")

        async def close() -> None:
            steps.append("close")

        proc.add_runnable("loop", loop)
        proc.on_stop.append(stop)
        proc.on_close.append(close)
        await proc.health.set("", SERVING)  # a process says when it serves

    proc = Skeleton("test", BaseConfig(listen="127.0.0.1:0"))
    serving = asyncio.create_task(proc.serve(setup))
    async with asyncio.timeout(10):
        await started.wait()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{proc.port}") as ch:
        assert await ch.unary_unary(f"/{SERVICE}/Echo")(b"hi", timeout=5) == b"hi"
        check = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        assert check.status == SERVING
    proc.stopping.set()  # what SIGTERM does
    async with asyncio.timeout(15):
        await serving
    assert steps == ["stop", "runnable cancelled", "close"]
