"""What only kernel rules give (nftables mode): traffic from other network namespaces (the pods' path,
through prerouting and forward), hairpin, and rules that outlive the proxy process: killed or paused,
existing Services keep working and changes stop; restarted, it resyncs; `--cleanup` leaves nothing."""
from __future__ import annotations

import random
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kubelab import podnet
from tests.integration.proxy.conftest import (ProxyProcess, TestNetwork, answers, assert_no_userspace_leftovers,
                                              cluster_ip, endpoint_slice, eventually, nft_tables, reaches, service,
                                              unique)

READY = {"ready": True}


@pytest.fixture
def nft_proxy(apiserver, cluster_id):
    p = ProxyProcess(apiserver.address, "nftables", cluster_id).start()
    try:
        yield p
    finally:
        if p.proc.poll() is None:
            p.proc.send_signal(signal.SIGCONT)  # a paused one must be able to hear SIGTERM
        p.stop()
        p.cleanup()


async def _service(client, backends, n=1):
    name, ip = unique(), cluster_ip()
    port = random.randrange(20000, 40000)
    ips = [backends.start(port=port)[0] for _ in range(n)]
    await client.create(service(name, ip, [("http", 80, "TCP")]))
    eps = await client.create(endpoint_slice(name, [(a, READY) for a in ips], [("http", port, "TCP")]))
    await reaches(ip, 80, {f"{a}:{port}" for a in ips})
    return ip, port, eps


@pytest.mark.parametrize("how", ["killed", "paused"])
async def test_rules_outlive_the_proxy_and_changes_wait_for_it(nft_proxy, client, backends, how):
    ip, port, eps = await _service(client, backends)
    if how == "killed":
        nft_proxy.kill(signal.SIGKILL)
    else:
        nft_proxy.proc.send_signal(signal.SIGSTOP)
    assert set(await answers(ip, 80, n=10)) == {f"{eps.endpoints[0].addresses[0]}:{port}"}
    await client.delete("EndpointSlice", eps.metadata.name, "default")  # a change nobody applies
    assert set(await answers(ip, 80, n=5)) == {f"{eps.endpoints[0].addresses[0]}:{port}"}
    if how == "killed":
        nft_proxy.start()  # a new process: lists everything and rewrites the table
    else:
        nft_proxy.proc.send_signal(signal.SIGCONT)
    await reaches(ip, 80, "REFUSED")


async def test_cleanup_removes_the_table_and_sigterm_leaves_it(nft_proxy, client, backends):
    ip, port, eps = await _service(client, backends)
    table = f"kubelab-{nft_proxy.cluster_id}"
    assert nft_proxy.stop() == 0
    assert table in nft_tables()  # kube-proxy leaves its rules on exit
    assert (await answers(ip, 80))[0].endswith(f":{port}")
    nft_proxy.cleanup()
    assert table not in nft_tables()


# --- pods in network namespaces ---------------------------------------------------------------------

SERVER = textwrap.dedent("""
    import socket, sys
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16); print("ready", flush=True)
    while True:
        c, peer = s.accept(); c.recv(100); c.sendall(f"{sys.argv[1]} from {peer[0]}".encode()); c.close()
""")
CLIENT = textwrap.dedent("""
    import socket, sys
    try:
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3); c.sendall(b"hi")
        print(c.recv(100).decode())
    except OSError as e:
        print(type(e).__name__)
""")


def sh(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


class Pod:
    """A pod's network as the kubelet makes it (`NodeNetwork.add_pod`): a namespace whose eth0 is a veth
    on its node's bridge, with a /32 and the bridge's gateway as the default route."""

    def __init__(self, network: TestNetwork, tag: str, node: str):
        path, self.ip = network.add_pod(tag, node)
        self.name, self.gateway = Path(path).name, network.node(node).gateway

    def popen(self, code: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(["ip", "netns", "exec", self.name, sys.executable, "-c", code, *args],
                                stdout=subprocess.PIPE, text=True)

    def run(self, code: str, *args: str) -> str:
        return sh("ip", "netns", "exec", self.name, sys.executable, "-c", code, *args).strip()


@pytest.fixture
def pods(cluster_id):
    """make(tag, node): a pod on node-1's or node-2's bridge, built by the kubelet's own pod network code.

    The bridges call the iptables hooks themselves (br_netfilter's per-bridge `nf_call_iptables`), as
    every bridge does on a machine where bridge-nf-call-iptables is on (Docker sets it): the layout in
    which a pod's packet DNATed back to itself must leave by the port it came in by (hairpin)."""
    network = TestNetwork(cluster_id)

    def make(tag: str, node: str = "node-1") -> Pod:
        if node not in network.nodes:
            podnet.ip("link", "set", network.node(node).bridge, "type", "bridge", "nf_call_iptables", "1")
        return Pod(network, tag, node)
    try:
        yield make
    finally:
        network.close()


async def test_pod_to_cluster_ip_through_prerouting_and_hairpin(nft_proxy, client, pods):
    """Client pods reach a server pod through the ClusterIP (DNAT in nat-prerouting) from the server's
    bridge and from another node's, with their own addresses as the source, and the server pod reaches
    itself through its own Service (hairpin: masqueraded to its gateway), every time."""
    server, neighbour, far = pods("s"), pods("c"), pods("f", "node-2")
    port = random.randrange(20000, 40000)
    proc = server.popen(SERVER, server.ip, str(port))
    try:
        assert proc.stdout.readline().strip() == "ready"
        name, ip = unique(), cluster_ip()
        await client.create(service(name, ip, [("http", 80, "TCP")]))
        await client.create(endpoint_slice(name, [(server.ip, READY)], [("http", port, "TCP")]))
        await reaches(ip, 80, {f"{server.ip} from {a}" for a in ("127.0.0.1", "192.0.2.2")}
                      | {f"{server.ip} from {a}" for a in _host_addresses()})
        # the pod's own address arrives: pod-to-Service traffic is not masqueraded
        assert neighbour.run(CLIENT, ip, "80") == f"{server.ip} from {neighbour.ip}"
        assert far.run(CLIENT, ip, "80") == f"{server.ip} from {far.ip}"
        # hairpin: the server's own connections come back to it from its gateway, not from itself
        assert [server.run(CLIENT, ip, "80") for _ in range(5)] == [f"{server.ip} from {server.gateway}"] * 5
        assert neighbour.run(CLIENT, ip, "81") == "ConnectionRefusedError"  # a port the Service lacks
    finally:
        proc.kill()
        proc.wait()


def _host_addresses() -> set[str]:
    out = sh("ip", "-o", "-4", "addr", "show")
    return {line.split()[3].split("/")[0] for line in out.splitlines()}


async def test_a_killed_userspace_proxy_takes_its_traffic_with_it(apiserver, cluster_id, client, backends):
    """The contrast that makes the lesson: in userspace mode the relay is the process, so killing it stops
    every Service at once (kernel rules would have kept them going)."""
    p = ProxyProcess(apiserver.address, "userspace", cluster_id).start()
    try:
        ip, port, eps = await _service(client, backends)
        p.kill(signal.SIGKILL)
        assert await answers(ip, 80) == ["REFUSED"]  # its address is still on lo, nobody listens
    finally:
        p.stop()
        p.cleanup()
    assert_no_userspace_leftovers(cluster_id)


async def test_a_udp_flow_follows_when_its_endpoint_leaves(nft_proxy, client, backends):
    """One client socket (one conntrack entry) keeps talking to its endpoint until that endpoint leaves
    the Service; then kube-proxy deletes the entry and the next datagram is DNATed afresh."""
    port = random.randrange(20000, 40000)
    first, second = backends.start("UDP", port=port)[0], backends.start("UDP", port=port)[0]
    name, ip = unique(), cluster_ip()
    await client.create(service(name, ip, [("dns", 53, "UDP")]))
    eps = await client.create(endpoint_slice(name, [(first, READY)], [("dns", port, "UDP")]))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.connect((ip, 53))

        def ask() -> str:
            try:
                s.send(b"q")
                return s.recv(100).decode()
            except OSError as e:
                return type(e).__name__
        await eventually(lambda: ask() == f"{first}:{port}/udp", what="the first endpoint answers")
        eps.endpoints[0].addresses[0] = second  # the first one leaves, though it still runs
        await client.update(eps)
        await eventually(lambda: ask() == f"{second}:{port}/udp", what="the flow moves to the second endpoint")
