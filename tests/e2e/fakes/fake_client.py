"""Stand-in controller or kubelet: SERVING while the API server answers health through --apiserver."""

import argparse
import os
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from _fakehealth import serve

p = argparse.ArgumentParser()
p.add_argument("--apiserver", default=os.environ.get("KUBELAB_APISERVER"))
p.add_argument("--listen", required=True)
p.add_argument("--node-name")
p.add_argument("--root-dir")
p.add_argument("--leader-elect", action="store_true")
p.add_argument("--pod-cidr")
args = p.parse_args()
channel = grpc.insecure_channel(
    args.apiserver,
    options=[("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 500)],
)
stub = health_pb2_grpc.HealthStub(channel)


last_answer = time.monotonic()


def apiserver_answers() -> bool:
    """True unless the API server has not answered for a second (one slow answer on a busy machine is fine)."""
    global last_answer
    try:
        stub.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
        last_answer = time.monotonic()
    except grpc.RpcError:
        pass
    return time.monotonic() - last_answer < 1.0


serve(os.environ.get("KUBELAB_COMPONENT", "client"), args.listen, apiserver_answers)
