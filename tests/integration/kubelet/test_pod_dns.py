"""A pod's view of names, with a real kubelet and a real cluster DNS server (upstream test/e2e/network
dns.go, reference service-networking.md section 6):

- `dnsPolicy: None` with `dnsConfig`: the pod's /etc/resolv.conf is exactly what the dnsConfig says, in the
  order the kubelet (through the runtime) writes it ("should support configurable pod resolv.conf");
- `hostname` + `subdomain`: the kubelet-managed /etc/hosts has `<ip>\t<hostname>.<subdomain>.<ns>.svc.
  cluster.local\t<hostname>` ("should provide /etc/hosts entries for the cluster");
- partial names `svc`, `svc.<ns>`, `svc.<ns>.svc` (and the SRV name without the zone) resolve from a pod
  through the search path of its ClusterFirst resolv.conf ("should resolve DNS of partial qualified names
  for services"), with `dig +search` as the upstream probes do.

The DNS server serves on the kube-dns ClusterIP (index 10 of the Service range this test process holds)
put on this host, where the pods' traffic is routed, as `kubelab up` runs it.
"""
from __future__ import annotations

import uuid

import pytest

from kubelab.network import DNS_SERVICE_INDEX, service_ip
from tests.integration.kubelet.kubelet_support import KubeletProcess, kill_shims, run_cli, wait_for, wait_pod
from tests.integration.kubelet.test_configuration import exec_out, pod, running
from tests.support import ComponentProcess, held_range_apiserver, host_ranges

NS = "default"


@pytest.fixture(scope="module")
def apiserver(redis_server):
    """ClusterIPs (and kube-dns's) from the Service range this test process holds on the host."""
    yield from held_range_apiserver(redis_server)


@pytest.fixture(scope="module")
def kube_dns_ip() -> str:
    return service_ip(host_ranges().services, DNS_SERVICE_INDEX)  # the API server's bootstrap kube-dns


@pytest.fixture(scope="module")
def dns_server(apiserver, kube_dns_ip):
    server = ComponentProcess("dns", apiserver.address, "--cluster-id", uuid.uuid4().hex[:8]).start()
    server.wait_serving()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kubelet(apiserver, cluster_dir, kube_dns_ip, dns_server):
    k = KubeletProcess(apiserver.address, cluster_dir, "node-1", "--cluster-dns", kube_dns_ip,
                       "--cluster-domain", "cluster.local").start()
    yield k
    k.stop()
    kill_shims(k.root)
    k.remove_network()


async def test_dns_policy_none_writes_dns_config_as_resolv_conf(node, client, apiserver):
    await client.create_manifest(pod("dns-none", spec="""\
        dnsPolicy: "None"
        dnsConfig:
          nameservers: [1.1.1.1, 8.8.8.8]
          searches: [resolv.conf.local, example.test]
          options:
          - {name: ndots, value: "2"}
          - {name: edns0}
        """), NS)
    await wait_pod(client, "dns-none", running)
    assert await exec_out(apiserver, "dns-none", "cat", "/etc/resolv.conf") == (
        "search resolv.conf.local example.test\n"
        "nameserver 1.1.1.1\n"
        "nameserver 8.8.8.8\n"
        "options ndots:2 edns0\n")


async def test_hostname_and_subdomain_are_in_etc_hosts(node, client, apiserver):
    await client.create_manifest(pod("querier", spec="""\
        hostname: dns-querier-1
        subdomain: dns-test-service
        """), NS)
    p = await wait_pod(client, "querier", running)
    fqdn = f"dns-querier-1.dns-test-service.{NS}.svc.cluster.local"
    hosts = (await exec_out(apiserver, "querier", "cat", "/etc/hosts")).splitlines()
    assert hosts[0] == "# Kubernetes-managed hosts file."
    assert f"{p.status.pod_ip}\t{fqdn}\tdns-querier-1" in hosts
    assert [h for h in hosts if p.status.pod_ip in h] == [f"{p.status.pod_ip}\t{fqdn}\tdns-querier-1"]
    assert await exec_out(apiserver, "querier", "hostname") == "dns-querier-1\n"
    # and the resolver finds both names there (`getent hosts`, as the upstream probes)
    out = await exec_out(apiserver, "querier", "sh", "-c", f"getent hosts {fqdn}; getent hosts dns-querier-1")
    assert [line.split()[0] for line in out.splitlines()] == [p.status.pod_ip, p.status.pod_ip]


async def test_partial_names_resolve_through_the_search_path(node, client, apiserver):
    await client.create_manifest("""
        apiVersion: v1
        kind: Service
        metadata: {name: dns-test-service}
        spec:
          selector: {app: nothing-yet}
          ports: [{name: http, port: 80, protocol: TCP}]
        """, NS)
    cluster_ip = (await client.get("Service", "dns-test-service", NS)).spec.cluster_ip
    await client.create_manifest(pod("dns-client"), NS)
    await wait_pod(client, "dns-client", running)
    resolv = await exec_out(apiserver, "dns-client", "cat", "/etc/resolv.conf")
    assert resolv.startswith(f"search {NS}.svc.cluster.local svc.cluster.local cluster.local")
    assert "options ndots:5" in resolv

    async def answers(name: str, rdtype: str = "A") -> str:
        code, out, err = await run_cli(apiserver.address, "exec", "-n", NS, "dns-client", "--",
                                       "dig", "+short", "+search", "+time=2", "+tries=1", name, rdtype)
        assert code != 127, f"no dig in the pod (scripts/install-system-packages installs bind9-dnsutils): {err}"
        return out.strip() if code == 0 else ""

    for name in ("dns-test-service", f"dns-test-service.{NS}", f"dns-test-service.{NS}.svc"):
        async def resolved(name=name):
            return await answers(name) == cluster_ip
        await wait_for(resolved, 20, what=f"{name} to resolve to {cluster_ip} from the pod")
    srv = await answers(f"_http._tcp.dns-test-service.{NS}.svc", "SRV")
    assert srv == f"0 100 80 dns-test-service.{NS}.svc.cluster.local."
    assert await answers("dns-test-service.no-such-ns") == ""  # NXDOMAIN through every search suffix
