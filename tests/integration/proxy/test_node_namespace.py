"""docker compose's data path on a real kernel, without Docker: a network namespace stands in for node-1's
container (its own address on a "compose network" veth, its pods' bridge, the kubelet's host-gw
masquerade) and a kube-proxy runs inside it, as `kube-proxy-node-1` joins node-1's namespace in
docker-compose.yml. This host stands in for the other containers (the DNS server, the API server), which
have no route to the pod range. A pod of that node reaches a ClusterIP whose endpoint is such a container
(kube-dns's in compose): the node's kube-proxy DNATs it and the node masquerades it, so the container sees
the node's address and its answer finds the way back.
"""
from __future__ import annotations

import ipaddress
import random
import secrets
import socket
import socketserver
import subprocess
import sys
import threading

import pytest

from kubelab import podnet
from kubelab.cluster.healthcheck import check_health
from services.kubelet.podnetwork import HostGwRoutes, NodeNetwork, in_netns
from tests.integration.proxy.conftest import (cluster_ip, endpoint_slice, eventually, request, service,
                                              unique)
from tests.support import ROOT, free_pod_subnet, host_ranges, wait_until

READY = {"ready": True}


class _Relay(socketserver.ThreadingTCPServer):
    """The API server as the other containers reach it: a byte relay from the compose-network address to
    the test's API server on 127.0.0.1 (which the node's namespace cannot reach)."""
    allow_reuse_address = daemon_threads = True

    def __init__(self, listen, target):
        self.target = target
        super().__init__(listen, _Pipe)


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self):
        upstream = socket.create_connection(self.server.target)

        def pump(src, dst):
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
        t = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        t.start()
        pump(self.request, upstream)
        t.join()
        upstream.close()


class _WhoAsked(socketserver.BaseRequestHandler):
    """A UDP server answering with the address the query came from."""
    def handle(self):
        _, sock = self.request
        sock.sendto(self.client_address[0].encode(), self.client_address)


@pytest.fixture
def node_container(apiserver):
    """(namespace name, node address, host address, relay port) of a namespace standing in for node-1's
    container, joined to this host by a veth pair on a /30 of 10.97.0.0/16."""
    tag = secrets.token_hex(3)
    name, host_end, node_end = f"kl{tag}-node", f"kl{tag}h", f"kl{tag}n"
    base = ipaddress.ip_address("10.97.0.0") + 4 * random.randrange(1, 16000)
    host_ip, node_ip = str(base + 1), str(base + 2)
    cmds = [["netns", "add", name], ["link", "add", host_end, "type", "veth", "peer", "name", node_end],
            ["link", "set", node_end, "netns", name], ["addr", "add", f"{host_ip}/30", "dev", host_end],
            ["link", "set", host_end, "up"], ["-n", name, "addr", "add", f"{node_ip}/30", "dev", node_end],
            ["-n", name, "link", "set", node_end, "up"], ["-n", name, "link", "set", "lo", "up"],
            ["-n", name, "route", "add", "default", "via", host_ip]]
    relay = None
    try:
        for cmd in cmds:
            subprocess.run(["ip", *cmd], check=True, capture_output=True)
        subprocess.run(["ip", "netns", "exec", name, "sysctl", "-qw", "net.ipv4.ip_forward=1"], check=True)
        host, port = apiserver.address.rsplit(":", 1)
        relay = _Relay((host_ip, 0), (host, int(port)))
        threading.Thread(target=relay.serve_forever, daemon=True).start()
        yield name, node_ip, host_ip, relay.server_address[1]
    finally:
        if relay is not None:
            relay.shutdown()
            relay.server_close()
        subprocess.run(["ip", "link", "delete", host_end], capture_output=True)
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)


async def test_a_pod_reaches_a_container_endpoint_through_its_nodes_proxy(node_container, client):
    ns, node_ip, host_ip, relay_port = node_container
    cid = "t" + secrets.token_hex(4)[:7]
    subnet = free_pod_subnet()
    path = podnet.netns_path(ns)
    net = NodeNetwork(cid, "node-1", subnet)
    pods: list[str] = []
    in_netns(path, net.ensure_bridge)
    pod_ip = str(ipaddress.ip_network(subnet).network_address + 2)
    in_netns(path, lambda: pods.append(net.add_pod("client", pod_ip)))
    in_netns(path, lambda: HostGwRoutes("node-1", cid).sync([("node-1", subnet, node_ip)]))

    who = socketserver.ThreadingUDPServer((host_ip, 0), _WhoAsked)  # the DNS server's container
    threading.Thread(target=who.serve_forever, daemon=True).start()
    proxy = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "services.proxy", "--node-name", "node-1",
         "--cluster-id", cid, "--proxy-mode", "nftables", "--service-cluster-ip-range", host_ranges().services,
         "--cluster-cidr", host_ranges().pods, "--min-sync-period", "0.05",
         "--apiserver", f"{host_ip}:{relay_port}", "--listen", f"{node_ip}:10256"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: proxy.poll() is not None or check_health(f"{node_ip}:10256", timeout=0.5) == "SERVING",
                   30, 0.2, "the node's kube-proxy SERVING")
        assert proxy.poll() is None, proxy.stderr.read()
        name, ip = unique("dns"), cluster_ip()
        port = who.server_address[1]
        await client.create(service(name, ip, [("dns", 53, "UDP")]))
        await client.create(endpoint_slice(name, [(host_ip, READY)], [("dns", port, "UDP")]))

        def asked() -> str:
            got: list[str] = []
            in_netns(pods[0], lambda: got.append(request(ip, 53, "UDP", timeout=1.0)))
            return got[0] if got[0] not in ("TIMEOUT", "REFUSED", "REJECTED") else ""
        # DNATed by the node's kube-proxy, masqueraded by the node: the container saw the node's address
        assert await eventually(asked, 30, "the pod's query answered through the ClusterIP") == node_ip
        rules = subprocess.run(["ip", "netns", "exec", ns, "nft", "list", "tables"], capture_output=True,
                               text=True, check=True).stdout
        assert f"kubelab-{cid}" in rules and f"kubelab-{cid}-ipmasq" in rules
        assert f"kubelab-{cid}-ipmasq" not in subprocess.run(["nft", "list", "tables"], capture_output=True,
                                                             text=True, check=True).stdout
    finally:
        proxy.terminate()
        proxy.wait(15)
        who.shutdown()
        who.server_close()
        podnet.remove_cluster_network(cid)
