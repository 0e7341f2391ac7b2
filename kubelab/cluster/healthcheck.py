"""gRPC health checks: `check_health`, `HealthWatch` for the launcher and `python -m kubelab.cluster.healthcheck
ADDR`.

The command exits 0 if ADDR answers SERVING and 1 otherwise; docker compose uses it as the health check
of every component (the images have no grpc_health_probe).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

__all__ = ["NOT_SERVING", "SERVING", "UNREACHABLE", "HealthWatch", "check_health", "check_many", "main",
           "wait_for_serving"]

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


#: Reconnecting to a server that does not listen yet: every 20 ms at first, backing off to 250 ms (gRPC's
#: defaults start at 1 s and grow to 2 minutes, far too slow for a process that listens half a second later).
FAST_RECONNECT = [("grpc.enable_retries", 0), ("grpc.initial_reconnect_backoff_ms", 20),
                  ("grpc.min_reconnect_backoff_ms", 20), ("grpc.max_reconnect_backoff_ms", 250)]
FIRST_DELAY, MAX_DELAY = 0.02, 0.25


class HealthWatch:
    """The health of several processes at once, as they change, for as long as it is open (`close()`).

    A gRPC server is followed on one channel with the health service's Watch stream (wait_for_ready: the
    call waits until the server listens), so the server says when its status changes and nothing polls it;
    one that does not implement Watch is asked with Check instead. Other processes (Redis, the partition
    proxy) are probed with a function of their own. Both retry every 20 ms at first, backing off to 250 ms.
    One thread per process; `status` maps each name to SERVING, NOT_SERVING (or another status name) or
    unreachable, and `wait()` returns when any of them changes.
    """

    def __init__(self) -> None:
        self.status: dict[str, str] = {}
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._calls: dict[str, grpc.Future] = {}
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "HealthWatch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def follow(self, name: str, addr: str) -> None:
        """Follow the gRPC server at addr (the overall health, service "")."""
        self._start(name, self._follow_grpc, addr)

    def probe(self, name: str, healthy: Callable[[], bool]) -> None:
        """Follow a process that has no gRPC health service: SERVING while healthy() is true."""
        self._start(name, self._follow_probe, healthy)

    def wait(self, timeout: float) -> None:
        """Until some status changes or timeout passes."""
        with self._changed:
            self._changed.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        for call in list(self._calls.values()):
            call.cancel()
        for t in self._threads:
            t.join(1.0)

    def _start(self, name: str, target, arg) -> None:
        self.status.setdefault(name, UNREACHABLE)
        t = threading.Thread(target=target, args=(name, arg), name=f"health:{name}", daemon=True)
        self._threads.append(t)
        t.start()

    def _set(self, name: str, status: str) -> None:
        with self._changed:
            if self.status.get(name) != status:
                self.status[name] = status
                self._changed.notify_all()

    def _follow_probe(self, name: str, healthy: Callable[[], bool]) -> None:
        delay = FIRST_DELAY
        while not self._stop.is_set():
            ok = healthy()
            self._set(name, SERVING if ok else UNREACHABLE)
            delay = MAX_DELAY if ok else min(delay * 2, MAX_DELAY)
            self._stop.wait(delay)

    def _follow_grpc(self, name: str, addr: str) -> None:
        request = health_pb2.HealthCheckRequest(service="")
        delay, watch = FIRST_DELAY, True
        with grpc.insecure_channel(addr, options=FAST_RECONNECT) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while not self._stop.is_set():
                try:
                    if watch:
                        self._calls[name] = call = stub.Watch(request, wait_for_ready=True)
                        if self._stop.is_set():
                            call.cancel()
                        for resp in call:
                            self._set(name, health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status))
                            delay = FIRST_DELAY
                    else:
                        resp = stub.Check(request, timeout=1.0, wait_for_ready=True)
                        self._set(name, health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status))
                except grpc.RpcError as e:
                    code = e.code()
                    if code == grpc.StatusCode.UNIMPLEMENTED:
                        watch = False
                        continue
                    self._set(name, NOT_SERVING if code == grpc.StatusCode.NOT_FOUND else UNREACHABLE)
                self._stop.wait(delay)
                delay = min(delay * 2, MAX_DELAY)


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
