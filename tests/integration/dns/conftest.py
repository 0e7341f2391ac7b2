"""The DNS server as a process (`python -m services.dns`) on a real API server, asked with dnspython's
client over real UDP and TCP sockets, and a real upstream DNS server (bench.dnsecho) on loopback."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import pytest

from kubelab import manifest
from kubelab.cluster import proxyctl
from tests.support import ROOT, ComponentProcess, free_port, held_range_apiserver, service_ip, wait_until

ECHO_ADDRESS = "192.0.2.1"


def free_udp_tcp_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


class DnsProcess(ComponentProcess):
    def __init__(self, apiserver: str, *args: str, dns_port: int | None = None):
        self.dns_port = dns_port or free_udp_tcp_port()
        super().__init__("dns", apiserver, "--listen-dns", f"127.0.0.1:{self.dns_port}", *args)

    def ask(self, name: str, rdtype: str = "A", tcp: bool = False, timeout: float = 3.0, **kw):
        return ask(name, rdtype, "127.0.0.1", self.dns_port, tcp, timeout, **kw)


def ask(name: str, rdtype: str, host: str, port: int, tcp: bool = False, timeout: float = 3.0, **kw):
    query = dns.message.make_query(name, rdtype, **kw)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, host, port=port, timeout=timeout)


def addresses(response) -> list[str]:
    return sorted(rd.to_text() for rrset in response.answer for rd in rrset)


def wait_for_answer(server: DnsProcess, name: str, want: list[str], rdtype: str = "A", timeout: float = 20.0):
    def check():
        try:
            return addresses(server.ask(name, rdtype, timeout=1.0)) == want
        except dns.exception.Timeout:
            return False
    wait_until(check, timeout, 0.05, f"{name} {rdtype} -> {want}")


class EchoServer:
    """bench.dnsecho in its own process: every query answered with A 192.0.2.1."""

    def __init__(self):
        self.port = free_udp_tcp_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.dnsecho", "--listen", f"127.0.0.1:{self.port}",
                                      "--address", ECHO_ADDRESS], cwd=ROOT, stdout=subprocess.PIPE,
                                     env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert self.proc.stdout.readline().startswith(b"serving")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class PartitionProxy:
    """kubelab's partition proxy (what `kubelab partition` drives) between one component and the API server."""

    def __init__(self, name: str, target: str):
        self.dir = Path(tempfile.mkdtemp(prefix="kl-proxy-"))
        self.file, self.name = self.dir / "proxy.json", name
        self.listen = f"127.0.0.1:{free_port()}"
        self.control = f"127.0.0.1:{free_port()}"
        proxyctl.write_config(self.file, {"control": self.control, "routes": {name: {
            "listen": self.listen, "target": target, "upstream": "apiserver", "partitioned": False, "mode": "drop"}}})
        self.proc = subprocess.Popen([sys.executable, "-m", "kubelab.cluster.proxy", "--config", str(self.file)],
                                     cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self._answers(), 10, 0.05, "partition proxy")

    def _answers(self) -> bool:
        try:
            proxyctl.request(self.control, "status", timeout=0.5)
            return True
        except proxyctl.ProxyError:
            return False

    def set(self, partitioned: bool) -> None:
        config = proxyctl.set_partitioned(proxyctl.read_config(self.file), [self.name], partitioned)
        proxyctl.write_config(self.file, config)
        proxyctl.request(self.control, "reload")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def echo():
    server = EchoServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def dns_server(apiserver, echo):
    server = DnsProcess(apiserver.address, "--upstream", echo.address).start()
    server.wait_serving()
    yield server
    server.stop()


@pytest.fixture
async def ns(client):
    name = f"dns-{uuid.uuid4().hex[:6]}"
    await client.create(manifest.from_dict({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
    return name


def service(name: str, ns: str, cluster_ip: str = "None", ports: list | None = None, **spec):
    spec = {"clusterIP": cluster_ip, "ports": [{"name": "web", "port": 80}] if ports is None else ports, **spec}
    if spec.get("type") == "ExternalName":
        del spec["clusterIP"]
    return manifest.from_dict({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                               "spec": spec})


def endpoint_slice(name: str, ns: str, service_name: str, endpoints: list[dict], ports: list | None = None):
    return manifest.from_dict({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": ns, "labels": {"kubernetes.io/service-name": service_name,
                                                                "endpointslice.kubernetes.io/managed-by": "e2e-test"}},
        "addressType": "IPv4", "endpoints": endpoints,
        "ports": [{"name": "web", "port": 8080, "protocol": "TCP"}] if ports is None else ports})


def ready(ip: str, hostname: str | None = None) -> dict:
    ep = {"addresses": [ip], "conditions": {"ready": True}}
    if hostname:
        ep["hostname"] = hostname
    return ep


def random_service_ip() -> str:
    """An address of the Service range this process holds (the DNS server puts kube-dns's on lo)."""
    return service_ip()


@pytest.fixture(scope="module")
def apiserver(redis_server):
    """The module's API server, allocating ClusterIPs from the Service range this process holds."""
    yield from held_range_apiserver(redis_server)


__all__ = ["DnsProcess", "EchoServer", "PartitionProxy", "ask", "addresses", "wait_for_answer", "service",
           "endpoint_slice", "ready", "random_service_ip", "free_udp_tcp_port"]
