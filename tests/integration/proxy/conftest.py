"""kube-proxy as a real process against a real API server, forwarding real sockets through real kernel
rules (or its userspace relay). The tests write Services and EndpointSlices themselves (the endpoints
controller is not needed) pointing at small TCP/UDP servers that answer with their own address, so that
a client sees which endpoint it reached. Each server listens in a pod's network namespace, built by the
kubelet's own pod network code (`NodeNetwork`) on a bridge of the test's own: endpoint addresses must be
routable (the API server refuses loopback ones, as Kubernetes does).

Kernel objects are named per test run (`kubelab-<id>` tables, `kl<id>-…` bridges, veths and namespaces)
and ClusterIPs are random in 198.19.128.0/17, pod ranges free /24s of 198.18.200.0-198.18.254.0, so that
tests of other clusters on this machine never collide; every object is removed at the end (the proxy's
`--cleanup`, `TestNetwork.close`).
"""
from __future__ import annotations

import asyncio
import errno
import ipaddress
import random
import secrets
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid

import pytest

from kubelab import podnet
from kubelab.client import Client
from kubelab.manifest import from_dict
from kubelab.network import DEFAULT_SERVICE_CIDR
from services.kubelet.podnetwork import NodeNetwork, in_netns
from services.proxy.userspace import ServiceAddresses
from tests.support import ROOT, ComponentProcess

MODES = ["nftables", "userspace"]


def cluster_ip() -> str:
    return f"198.19.{random.randrange(128, 255)}.{random.randrange(1, 255)}"


def unique(prefix: str = "svc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- pod networks ------------------------------------------------------------------------------------

def free_pod_cidr() -> str:
    """A /24 of 198.18.200.0-198.18.254.0 (no cluster's nodes use them) that no route covers yet."""
    for i in random.sample(range(200, 255), 55):
        if not podnet.ip_json("route", "show", "root", f"198.18.{i}.0/24"):
            return f"198.18.{i}.0/24"
    raise RuntimeError("no free /24 left in 198.18.200.0-198.18.254.0")


class TestNetwork:
    """Nodes' bridges and pods' namespaces of one test, made by the kubelet's pod network code under the
    id `net_id`; `close` removes them all."""
    __test__ = False

    def __init__(self, net_id: str):
        self.id, self.nodes, self.pods = net_id, {}, 0

    def node(self, name: str = "node-1") -> NodeNetwork:
        if name not in self.nodes:
            self.nodes[name] = NodeNetwork(self.id, name, free_pod_cidr())
            self.nodes[name].ensure_bridge()
        return self.nodes[name]

    def add_pod(self, tag: str, node: str = "node-1") -> tuple[str, str]:
        """CNI ADD of a pod with the next free address of the node's range: (netns path, pod IP)."""
        net = self.node(node)
        self.pods += 1
        pod_ip = str(ipaddress.ip_network(net.pod_cidr).network_address + 1 + self.pods)
        return net.add_pod(tag, pod_ip), pod_ip

    def close(self) -> None:
        podnet.remove_cluster_network(self.id)


# --- backends: servers that say who they are --------------------------------------------------------

class _TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        ip, port = self.server.server_address
        self.request.recv(1024)
        self.request.sendall(f"{ip}:{port}".encode())


class _UDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        _, sock = self.request
        ip, port = self.server.server_address
        sock.sendto(f"{ip}:{port}/udp".encode(), self.client_address)


class _ReusingTCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = daemon_threads = True


class Backends:
    """TCP/UDP servers started by a test, each in a pod's network namespace of its own (a new one per
    address), all shut down and their network removed at its end."""

    def __init__(self):
        self.servers, self.network, self.netns = [], TestNetwork("e" + secrets.token_hex(4)[:7]), {}

    def start(self, proto: str = "TCP", ip: str | None = None, port: int | None = None) -> tuple[str, int]:
        """A server on ip (an address an earlier start returned) or a new pod's; (ip, port)."""
        if ip is None:
            path, ip = self.network.add_pod(f"b{len(self.netns)}")
            self.netns[ip] = path
        port = port or random.randrange(20000, 40000)
        made = []
        # the socket belongs to the namespace it is made in, whichever thread serves it later
        in_netns(self.netns[ip], lambda: made.append(
            _ReusingTCP((ip, port), _TCPHandler) if proto == "TCP"
            else socketserver.ThreadingUDPServer((ip, port), _UDPHandler)))
        threading.Thread(target=made[0].serve_forever, daemon=True).start()
        self.servers.append(made[0])
        return ip, port

    def stop(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()
        self.network.close()


# --- clients ----------------------------------------------------------------------------------------

def request(ip: str, port: int, proto: str = "TCP", timeout: float = 3.0, source: str | None = None) -> str:
    """One request; the answer (the endpoint's ip:port), or 'REFUSED' / 'TIMEOUT'."""
    kind = socket.SOCK_STREAM if proto == "TCP" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as s:
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        try:
            s.connect((ip, port))
            s.sendall(b"hello\n")
            return s.recv(1024).decode()
        except ConnectionRefusedError:
            return "REFUSED"
        except ConnectionResetError:
            return "RESET"
        except (socket.timeout, TimeoutError):
            return "TIMEOUT"
        except OSError as e:
            if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
                return "UNREACHABLE"
            if e.errno == errno.EPERM:  # the host's own UDP datagram hit a reject rule in the output hook
                return "REJECTED"
            raise


async def answers(ip, port, proto="TCP", n=1, **kw) -> list[str]:
    return await asyncio.to_thread(lambda: [request(ip, port, proto, **kw) for _ in range(n)])


async def eventually(check, timeout: float = 20.0, what: str = "condition"):
    """Poll `check()` (sync, run in a thread) until it returns something truthy."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = await asyncio.to_thread(check)
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


async def reaches(ip, port, expected: set[str] | str, proto="TCP", timeout=20.0):
    """Wait until ip:port answers from one of `expected` (or with 'REFUSED'/'TIMEOUT')."""
    expected = {expected} if isinstance(expected, str) else expected

    def check():
        got = request(ip, port, proto, timeout=1.0)
        return got if got in expected else None
    return await eventually(check, timeout, f"{ip}:{port}/{proto} -> {sorted(expected)}")


# --- API objects ------------------------------------------------------------------------------------

def service(name, ip, ports, ns="default", labels=None, affinity=None, timeout=None, itp=None):
    """A ClusterIP Service; ip None lets the API server allocate one from the cluster's range."""
    spec = {"type": "ClusterIP", "ports": [
        {"name": n, "port": p, "protocol": proto, "targetPort": p} for n, p, proto in ports]}
    if ip:
        spec.update(clusterIP=ip, clusterIPs=[ip])
    if affinity:
        spec["sessionAffinity"] = affinity
        if timeout:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": timeout}}
    if itp:
        spec["internalTrafficPolicy"] = itp
    return from_dict({"apiVersion": "v1", "kind": "Service",
                      "metadata": {"name": name, "namespace": ns, "labels": labels or {}}, "spec": spec})


def endpoint_slice(svc_name, endpoints, ports, ns="default", name=None, labels=None):
    """`endpoints`: [(ip, {"ready": bool, ...})]; `ports`: [(name, port, protocol)]."""
    return from_dict({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": name or unique(svc_name), "namespace": ns, "labels": {
            "kubernetes.io/service-name": svc_name,
            "endpointslice.kubernetes.io/managed-by": "test.kubelab.io", **(labels or {})}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip], "conditions": cond} for ip, cond in endpoints],
        "ports": [{"name": n, "port": p, "protocol": proto} for n, p, proto in ports]})


# --- fixtures ---------------------------------------------------------------------------------------

class ProxyProcess(ComponentProcess):
    def __init__(self, apiserver: str, mode: str, cluster_id: str):
        super().__init__("proxy", apiserver, "--cluster-id", cluster_id, "--proxy-mode", mode,
                         "--min-sync-period", "0.05", "--sync-period", "5s", name=f"proxy-{mode}")
        self.mode, self.cluster_id = mode, cluster_id

    def start(self):
        super().start()
        self.wait_serving(timeout=30)
        return self

    def cleanup(self) -> None:
        subprocess.run([sys.executable, "-m", "services.proxy", "--cluster-id", self.cluster_id, "--cleanup"],
                       cwd=ROOT, check=True, capture_output=True, timeout=60)


def nft_tables() -> str:
    return subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def cluster_id() -> str:
    return "t" + secrets.token_hex(4)[:7]


@pytest.fixture(params=MODES)
def proxy(request, apiserver, cluster_id):
    p = ProxyProcess(apiserver.address, request.param, cluster_id)
    try:
        yield p.start()
    finally:
        p.stop()
        p.cleanup()
    assert f"kubelab-{cluster_id}" not in nft_tables()
    assert_no_userspace_leftovers(cluster_id)


def assert_no_userspace_leftovers(cluster_id: str) -> None:
    """Neither ClusterIPs on lo under the cluster's label nor its unreachable route for the service range."""
    def ip(*args):
        return subprocess.run(["ip", *args], capture_output=True, text=True, check=True).stdout
    assert f"lo:{cluster_id}" not in ip("addr", "show", "dev", "lo")
    metric = ServiceAddresses(f"lo:{cluster_id}", DEFAULT_SERVICE_CIDR).route[-1]
    assert f"metric {metric}" not in ip("route", "show", "type", "unreachable")


@pytest.fixture
def backends():
    b = Backends()
    yield b
    b.stop()


@pytest.fixture
async def client(apiserver):
    c = Client(apiserver.address, retry_deadline=20)
    yield c
    await c.close()
