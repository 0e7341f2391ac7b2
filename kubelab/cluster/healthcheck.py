"""gRPC health checks: `check_health` for the launcher and `python -m kubelab.cluster.healthcheck ADDR`.

The command exits 0 if ADDR answers SERVING and 1 otherwise; docker compose uses it as the health check
of every component (the images have no grpc_health_probe).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

__all__ = ["NOT_SERVING", "SERVING", "UNREACHABLE", "check_health", "check_many", "main", "wait_for_serving"]

SERVING = "SERVING"
NOT_SERVING = "NOT_SERVING"
UNREACHABLE = "unreachable"


def check_health(addr: str, timeout: float = 1.0, service: str = "") -> str:
    """SERVING, NOT_SERVING (or another status name the server sent), or "unreachable"."""
    with grpc.insecure_channel(addr, options=[("grpc.enable_retries", 0)]) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            resp = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:  # unknown service name
                return NOT_SERVING
            return UNREACHABLE
    return health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)


def check_many(addrs: dict[str, str], timeout: float = 1.0) -> dict[str, str]:
    """check_health of every {name: addr} at once, so that one hung process costs `timeout` in all."""
    if not addrs:
        return {}
    with ThreadPoolExecutor(max_workers=min(32, len(addrs))) as pool:
        futures = {name: pool.submit(check_health, addr, timeout) for name, addr in addrs.items()}
        return {name: f.result() for name, f in futures.items()}


def wait_for_serving(addr: str, timeout: float, alive=lambda: True) -> str:
    """Poll until addr is SERVING, `alive()` turns false, or `timeout` passes; the last status seen."""
    deadline = time.monotonic() + timeout
    status = UNREACHABLE
    while True:
        remaining = deadline - time.monotonic()
        status = check_health(addr, timeout=max(0.2, min(1.0, remaining)))
        if status == SERVING or not alive() or time.monotonic() >= deadline:
            return status
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kubelab.cluster.healthcheck", description=__doc__)
    p.add_argument("addr", help="HOST:PORT of a gRPC server with the standard health service")
    p.add_argument("--service", default="", help='service name to ask about (default "": the server)')
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the answer")
    args = p.parse_args(argv)
    status = check_health(args.addr, timeout=args.timeout, service=args.service)
    print(f"addr={args.addr} status={status}")
    return 0 if status == SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
