"""The API server as a process: health, reflection (so grpcurl works), clean SIGTERM."""
import signal

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from kubelab.cluster.healthcheck import SERVING, check_health
from tests.support import ApiServerProcess


def test_health_and_reflection(apiserver):
    assert check_health(apiserver.address) == SERVING
    assert check_health(apiserver.address, service="kubelab.v1.ApiServer") == SERVING
    with grpc.insecure_channel(apiserver.address) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for r in responses for s in r.list_services_response.service}
    assert {"kubelab.v1.ApiServer", "grpc.health.v1.Health"} <= names


def test_sigterm_shuts_down_cleanly(redis_server):
    server = ApiServerProcess(redis_server.url.rsplit("/", 1)[0] + "/14").start()
    assert server.stop(signal.SIGTERM) == 0
    log = server.logs()
    assert "apiserver shutting down" in log and "apiserver stopped" in log
    assert "Traceback" not in log
