"""The DNS server on the kube-dns Service's ClusterIP, port 53, as `kubelab up` runs it: the address put on
this host (lo, labelled with the cluster id), the Service's endpoints pointed at it, the address removed on
SIGTERM and left behind by SIGKILL (for `kubelab down` to remove)."""
import ipaddress
import socket
import subprocess
import sys
import uuid

import dns.exception
import pytest

from kubelab import hostaddr, manifest
from kubelab.errors import ApiError, is_not_found
from tests.integration.dns.conftest import addresses, ask, random_service_ip
from tests.e2e.cluster import wait_for
from tests.support import ComponentProcess, free_pod_subnet, free_port, wait_until


def kube_dns(ip: str):
    """The kube-dns Service as the API server's bootstrap writes it (docs/dns.md)."""
    return manifest.from_dict({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS",
                                "service.kubernetes.io/service-proxy-name": "kubelab-dns"}},
        "spec": {"clusterIP": ip, "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                                            {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                                            {"name": "metrics", "port": 9153, "protocol": "TCP"}]}})


def answers(ip: str, name: str) -> list[str]:
    try:
        return addresses(ask(name, "A", ip, 53, timeout=1.0))
    except (dns.exception.Timeout, OSError):
        return []


@pytest.fixture
async def kube_dns_ip(client):
    """A kube-dns Service of this test's own address (replacing one the API server may have made)."""
    try:
        await client.delete("Service", "kube-dns", "kube-system")
    except ApiError as e:
        if not is_not_found(e):
            raise
    ip = random_service_ip()
    await client.create(kube_dns(ip))
    return ip


async def test_serves_on_the_clusterip_and_points_kube_dns_at_it(client, apiserver, kube_dns_ip):
    ip, cluster = kube_dns_ip, uuid.uuid4().hex[:8]
    metrics_port = free_port()
    server = ComponentProcess("dns", apiserver.address, "--cluster-id", cluster,
                              "--metrics-listen", f"127.0.0.1:{metrics_port}").start()
    try:
        server.wait_serving()
        name = "kube-dns.kube-system.svc.cluster.local"
        wait_until(lambda: answers(ip, name) == [ip], 20, 0.1, f"{name} answered on {ip}:53")
        assert hostaddr.cluster_addresses(cluster) == [ip]
        reverse = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
        assert addresses(ask(reverse, "PTR", ip, 53)) == [name + "."]  # busybox's `Server:` line needs it
        assert addresses(ask(name, "A", ip, 53, tcp=True)) == [ip]

        async def pointed():
            try:
                eps = await client.get("EndpointSlice", "kube-dns", "kube-system")
                ep = await client.get("Endpoints", "kube-dns", "kube-system")
            except ApiError:
                return None
            return eps, ep
        eps, ep = await wait_for(pointed, 20, "kube-dns Endpoints and EndpointSlice")
        assert eps.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "dns.kubelab.io"
        assert eps.metadata.labels["kubernetes.io/service-name"] == "kube-dns"
        assert [list(e.addresses) for e in eps.endpoints] == [[ip]]
        assert sorted((p.name, p.port, p.protocol) for p in eps.ports) == [
            ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", metrics_port, "TCP")]
        assert [a.ip for s in ep.subsets for a in s.addresses] == [ip]

        server.stop()  # SIGTERM: sockets closed, address removed
        assert hostaddr.cluster_addresses(cluster) == []
        assert answers(ip, name) == []
    finally:
        server.stop()
        hostaddr.remove_cluster_addresses(cluster)


async def test_a_killed_server_leaves_its_address_and_a_restart_reuses_it(client, apiserver, kube_dns_ip):
    ip, cluster = kube_dns_ip, uuid.uuid4().hex[:8]
    name = "kube-dns.kube-system.svc.cluster.local"
    server = ComponentProcess("dns", apiserver.address, "--cluster-id", cluster).start()
    try:
        wait_until(lambda: answers(ip, name) == [ip], 20, 0.1, f"{name} answered on {ip}:53")
        server.kill()
        assert hostaddr.cluster_addresses(cluster) == [ip]  # nobody removed it
        assert answers(ip, name) == []  # queries to it fail: nothing listens
        server.start()
        wait_until(lambda: answers(ip, name) == [ip], 20, 0.1, f"{name} answered again")
        server.kill()
        assert hostaddr.remove_cluster_addresses(cluster) == [ip]  # what `kubelab down` does
        assert hostaddr.cluster_addresses(cluster) == []
    finally:
        server.stop()
        hostaddr.remove_cluster_addresses(cluster)


class PodNetwork:
    """A network namespace wired to the host by a veth pair, its default route via the host: how a pod in its
    own network namespace reaches Service addresses (the host routes them; none of this is the pod network
    itself, which services/kubelet builds)."""

    def __init__(self, ident: str):
        subnet = ipaddress.ip_network(free_pod_subnet()).network_address  # of the pod range this process holds
        self.netns, self.host_if, self.pod_if = f"kl{ident}-pod", f"kl{ident}-h", f"kl{ident}-p"
        self.host_ip, self.pod_ip = str(subnet + 1), str(subnet + 2)
        for cmd in (["netns", "add", self.netns],
                    ["link", "add", self.host_if, "type", "veth", "peer", "name", self.pod_if],
                    ["link", "set", self.pod_if, "netns", self.netns],
                    ["addr", "add", f"{self.host_ip}/30", "dev", self.host_if],
                    ["link", "set", self.host_if, "up"],
                    ["-n", self.netns, "addr", "add", f"{self.pod_ip}/30", "dev", self.pod_if],
                    ["-n", self.netns, "link", "set", self.pod_if, "up"],
                    ["-n", self.netns, "route", "add", "default", "via", self.host_ip]):
            subprocess.run(["ip", *cmd], check=True, capture_output=True)

    def ask(self, name: str, server: str, tcp: bool = False) -> list[str]:
        send = "tcp" if tcp else "udp"
        code = (f"import dns.message, dns.query; r = dns.query.{send}(dns.message.make_query({name!r}, 'A'), "
                f"{server!r}, timeout=2); print(' '.join(rd.to_text() for s in r.answer for rd in s))")
        out = subprocess.run(["ip", "netns", "exec", self.netns, sys.executable, "-c", code], capture_output=True,
                             text=True, timeout=30)
        return out.stdout.split() if out.returncode == 0 else []

    def remove(self) -> None:
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.netns], capture_output=True)


async def test_pods_in_their_own_network_namespace_reach_it_through_the_host(client, apiserver, kube_dns_ip):
    ip, cluster = kube_dns_ip, uuid.uuid4().hex[:8]
    name = "kube-dns.kube-system.svc.cluster.local"
    server = ComponentProcess("dns", apiserver.address, "--cluster-id", cluster).start()
    pod = PodNetwork(cluster)
    try:
        wait_until(lambda: answers(ip, name) == [ip], 20, 0.1, f"{name} answered on {ip}:53")
        assert pod.ask(name, ip) == [ip]
        assert pod.ask(name, ip, tcp=True) == [ip]
    finally:
        pod.remove()
        server.stop()
        hostaddr.remove_cluster_addresses(cluster)


async def test_a_new_kube_dns_address_moves_the_server(client, apiserver, kube_dns_ip):
    first, cluster = kube_dns_ip, uuid.uuid4().hex[:8]
    name = "kube-dns.kube-system.svc.cluster.local"
    server = ComponentProcess("dns", apiserver.address, "--cluster-id", cluster).start()
    try:
        wait_until(lambda: answers(first, name) == [first], 20, 0.1, f"{name} answered on {first}:53")
        await client.delete("Service", "kube-dns", "kube-system")
        second = random_service_ip()
        await client.create(kube_dns(second))
        wait_until(lambda: answers(second, name) == [second], 20, 0.1, f"{name} answered on {second}:53")
        assert hostaddr.cluster_addresses(cluster) == [second]  # the old address is gone from the host
        assert answers(first, name) == []
    finally:
        server.stop()
        hostaddr.remove_cluster_addresses(cluster)


async def test_port_53_taken_is_logged_and_retried_until_free(client, apiserver, kube_dns_ip):
    ip, cluster = kube_dns_ip, uuid.uuid4().hex[:8]
    name = "kube-dns.kube-system.svc.cluster.local"
    hostaddr.add_address(ip, cluster)
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind((ip, 53))
    server = ComponentProcess("dns", apiserver.address, "--cluster-id", cluster).start()
    try:
        wait_until(lambda: "cannot serve DNS" in server.logs(), 20, 0.1, "the bind failure logged")
        assert "Address already in use" in server.logs() and server.proc.poll() is None
        squatter.close()
        wait_until(lambda: answers(ip, name) == [ip], 30, 0.1, f"{name} answered once port 53 is free")
    finally:
        squatter.close()
        server.stop()
        hostaddr.remove_cluster_addresses(cluster)
