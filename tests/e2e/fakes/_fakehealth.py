"""Shared plumbing of the stand-ins: a gRPC health server whose status follows a probe function."""

import signal
import sys
import threading
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def log(name: str, **kv) -> None:
    fields = " ".join(f"{k}={v}" for k, v in kv.items())
    print(f"ts={time.strftime('%H:%M:%S')} component={name} {fields}", file=sys.stderr, flush=True)


def serve(name: str, listen: str, probe, interval: float = 0.2) -> None:
    """Serve health on listen; every interval set SERVING/NOT_SERVING from probe(); stop on SIGTERM."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.so_reuseport", 0)])
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    server.add_insecure_port(listen)
    server.start()
    log(name, event="listening", listen=listen)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    last = None
    while not stop.is_set():
        ok = probe()
        status = health_pb2.HealthCheckResponse.SERVING if ok else health_pb2.HealthCheckResponse.NOT_SERVING
        servicer.set("", status)
        if ok != last:
            log(name, event="health", serving=ok)
            last = ok
        stop.wait(interval)
    log(name, event="stopping")
    server.stop(1).wait()
