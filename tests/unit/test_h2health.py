"""kubelab.cluster.h2health (the health check over a bare HTTP/2 socket, for `kubelab ps`) answers as
kubelab.cluster.healthcheck (the same check through grpcio) does, against a real grpcio server."""

from __future__ import annotations

import socket
import threading
from concurrent import futures

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from kubelab.cluster import h2health, healthcheck
from kubelab.cluster.status import MODE_SERVICE
from kubelab.process import MODE_SERVICE as PROCESS_MODE_SERVICE


@pytest.fixture(scope="module")
def server():
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, srv)
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    S = health_pb2.HealthCheckResponse
    servicer.set("", S.SERVING)
    servicer.set("leader", S.NOT_SERVING)
    servicer.set("mode/nftables", S.SERVING)
    servicer.set("a-service-with-a-long-name/" + "x" * 300, S.SERVING)  # HPACK/varint lengths over 127
    servicer.set("unknown-status", S.UNKNOWN)
    yield f"127.0.0.1:{port}"
    srv.stop(None)


@pytest.mark.parametrize("service", ["", "leader", "mode/nftables", "mode/userspace", "unknown-status",
                                     "a-service-with-a-long-name/" + "x" * 300, "never-registered"])
def test_same_answer_as_grpcio(server, service):
    expected = healthcheck.check_health(server, 2.0, service)
    assert h2health.check_health(server, 2.0, service) == expected
    assert expected in ("SERVING", "NOT_SERVING", "UNKNOWN")


def test_nobody_listening():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        addr = f"127.0.0.1:{s.getsockname()[1]}"
    assert h2health.check_health(addr, 0.5) == healthcheck.check_health(addr, 0.5) == h2health.UNREACHABLE


def test_a_silent_server_is_unreachable_after_the_timeout():
    """A paused process accepts (the kernel does) but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        addr = f"127.0.0.1:{s.getsockname()[1]}"
        assert h2health.check_health(addr, 0.3) == h2health.UNREACHABLE


def test_not_http2_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        addr = f"127.0.0.1:{s.getsockname()[1]}"

        def answer():
            conn, _ = s.accept()
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            conn.close()

        t = threading.Thread(target=answer)
        t.start()
        assert h2health.check_health(addr, 1.0) == h2health.UNREACHABLE
        t.join()


def test_mode_service_is_the_process_one():
    assert MODE_SERVICE == PROCESS_MODE_SERVICE
