"""Services against the real API server on real Redis: ClusterIP allocation (dynamic, static, release,
type changes, two API servers at once), the bootstrap objects, and headless Services."""
import asyncio
import ipaddress
import time
import uuid

import pytest

from kubelab import manifest
from kubelab.client import ApiError, Client
from kubelab.errors import is_not_found
from tests.support import ApiServerProcess, RedisProcess

SERVICE_RANGE = ipaddress.ip_network("198.19.0.0/16")  # the default --service-cluster-ip-range


def service(name: str, **spec) -> object:
    return manifest.from_dict({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                               "spec": {"selector": {"app": name}, "ports": [{"port": 80}], **spec}})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def eventually(get, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = await get()
            if value:
                return value
        except ApiError as e:
            if not is_not_found(e):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


async def test_dynamic_allocation_uses_the_upper_band(client):
    svc = await client.create(service(unique("dyn")))
    ip = ipaddress.ip_address(svc.spec.cluster_ip)
    assert ip in SERVICE_RANGE and int(ip) - int(SERVICE_RANGE.network_address) > 256  # offset 256 for a /16
    assert list(svc.spec.cluster_ips) == [svc.spec.cluster_ip]
    assert (list(svc.spec.ip_families), svc.spec.ip_family_policy) == (["IPv4"], "SingleStack")
    assert (await client.get("Service", svc.metadata.name, "default")).spec.cluster_ip == svc.spec.cluster_ip


async def test_static_ip_conflict_release_and_reuse(client):
    first = await client.create(service(unique("a"), clusterIP="198.19.3.3"))
    name = unique("b")
    with pytest.raises(ApiError) as e:
        await client.create(service(name, clusterIP="198.19.3.3"))
    assert e.value.reason == "Invalid"
    assert e.value.message == (f'Service "{name}" is invalid: spec.clusterIPs: Invalid value: ["198.19.3.3"]: '
                               "failed to allocate IP 198.19.3.3: provided IP is already allocated")
    with pytest.raises(ApiError) as e:
        await client.create(service(name, clusterIP="10.0.0.7"))
    assert e.value.message == (f'Service "{name}" is invalid: spec.clusterIPs: Invalid value: ["10.0.0.7"]: '
                               "failed to allocate IP 10.0.0.7: provided IP 10.0.0.7 is not in the valid range")
    await client.delete("Service", first.metadata.name, "default")
    again = await client.create(service(name, clusterIP="198.19.3.3"))
    assert again.spec.cluster_ip == "198.19.3.3"


async def test_cluster_ip_may_not_change(client):
    svc = await client.create(service(unique("fixed")))
    svc.spec.cluster_ip = "198.19.4.4"
    del svc.spec.cluster_ips[:]
    svc.spec.cluster_ips.append("198.19.4.4")
    with pytest.raises(ApiError) as e:
        await client.update(svc)
    assert 'spec.clusterIPs[0]: Invalid value: ["198.19.4.4"]: may not change once set' in e.value.message


async def test_update_without_cluster_ip_keeps_it(client):
    svc = await client.create(service(unique("keep")))
    ip = svc.spec.cluster_ip
    text = manifest.to_dict(svc)
    text["spec"].pop("clusterIP")
    text["spec"].pop("clusterIPs")
    text["metadata"]["labels"] = {"changed": "yes"}
    updated = await client.update(manifest.from_dict(text))
    assert (updated.spec.cluster_ip, list(updated.spec.cluster_ips)) == (ip, [ip])


async def test_type_changes_release_and_allocate(client):
    svc = await client.create(service(unique("t"), clusterIP="198.19.5.5"))
    svc.spec.type = "ExternalName"
    svc.spec.external_name = "foo.example.com"
    svc.spec.ClearField("selector")
    svc.spec.ClearField("internal_traffic_policy")
    external = await client.update(svc)
    assert (external.spec.cluster_ip, list(external.spec.cluster_ips), list(external.spec.ip_families)) == ("", [], [])
    other = await client.create(service(unique("reuse"), clusterIP="198.19.5.5"))  # the address was released
    assert other.spec.cluster_ip == "198.19.5.5"
    external.spec.type = "ClusterIP"
    external.spec.external_name = ""
    back = await client.update(external)
    assert back.spec.cluster_ip not in ("", "198.19.5.5") and list(back.spec.cluster_ips) == [back.spec.cluster_ip]
    assert list(back.spec.ip_families) == ["IPv4"]


async def test_headless_holds_no_address(client):
    svc = await client.create(service(unique("h"), clusterIP="None"))
    assert (svc.spec.cluster_ip, list(svc.spec.cluster_ips), svc.spec.ip_family_policy) == ("None", ["None"],
                                                                                            "SingleStack")
    bare = await client.create(manifest.from_dict({"apiVersion": "v1", "kind": "Service",
                                                   "metadata": {"name": unique("bare")},
                                                   "spec": {"clusterIP": "None"}}))
    assert bare.spec.ip_family_policy == "RequireDualStack"  # headless without selector, as upstream


async def test_bootstrap_objects(client, apiserver):
    port = int(apiserver.address.rpartition(":")[2])
    kubernetes = await eventually(lambda: client.get("Service", "kubernetes", "default"), what="default/kubernetes")
    assert kubernetes.spec.cluster_ip == "198.19.0.1" and not kubernetes.spec.selector
    assert dict(kubernetes.metadata.labels) == {"provider": "kubernetes", "component": "apiserver"}
    (p,) = kubernetes.spec.ports
    assert (p.name, p.port, p.protocol, p.target_port.number_value) == ("https", 443, "TCP", port)
    ep = await eventually(lambda: client.get("Endpoints", "kubernetes", "default"), what="kubernetes Endpoints")
    assert [a.ip for a in ep.subsets[0].addresses] == ["127.0.0.1"]
    assert [(q.name, q.port) for q in ep.subsets[0].ports] == [("https", port)]
    eps = await eventually(lambda: client.get("EndpointSlice", "kubernetes", "default"), what="kubernetes slice")
    assert eps.metadata.labels["kubernetes.io/service-name"] == "kubernetes"
    assert [list(e.addresses) for e in eps.endpoints] == [["127.0.0.1"]] and eps.ports[0].port == port
    dns = await eventually(lambda: client.get("Service", "kube-dns", "kube-system"), what="kube-dns")
    assert dns.spec.cluster_ip == "198.19.0.10" and not dns.spec.selector
    assert dns.metadata.labels["service.kubernetes.io/service-proxy-name"] == "kubelab-dns"
    assert dns.metadata.labels["k8s-app"] == "kube-dns" and dns.metadata.labels["kubernetes.io/name"] == "CoreDNS"
    assert [(q.name, q.port, q.protocol) for q in dns.spec.ports] == [
        ("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]


async def test_kubernetes_service_comes_back_kube_dns_does_not(client):
    await eventually(lambda: client.get("Service", "kube-dns", "kube-system"), what="kube-dns")
    await client.delete("Service", "kube-dns", "kube-system")
    await client.delete("Service", "kubernetes", "default")
    back = await eventually(lambda: client.get("Service", "kubernetes", "default"), timeout=40,
                            what="the kubernetes Service re-created by the API server")
    assert back.spec.cluster_ip == "198.19.0.1"
    with pytest.raises(ApiError) as e:
        await client.get("Service", "kube-dns", "kube-system")
    assert e.value.reason == "NotFound"


@pytest.fixture(scope="module")
def two_apiservers():
    """Two API servers on one Redis with a /27 range: 30 addresses, .1 and .10 taken by bootstrap."""
    redis = RedisProcess(persistent=False).start()
    args = ("--service-cluster-ip-range", "198.19.200.0/27")
    servers = [ApiServerProcess(redis.url, *args, "--advertise-address", f"192.0.2.{10 + i}").start()
               for i in range(2)]
    yield servers
    for s in servers:
        s.stop()
    redis.stop()


async def test_two_apiservers_never_hand_out_one_address(two_apiservers):
    clients = [Client(s.address, retry_deadline=20) for s in two_apiservers]
    try:
        await eventually(lambda: clients[0].get("Service", "kube-dns", "kube-system"), what="bootstrap")
        names = [f"race-{i}" for i in range(28)]
        created = await asyncio.gather(*(clients[i % 2].create(service(n)) for i, n in enumerate(names)))
        ips = [s.spec.cluster_ip for s in created]
        assert len(set(ips)) == 28 and not {"198.19.200.1", "198.19.200.10"} & set(ips)
        assert all(ipaddress.ip_address(ip) in ipaddress.ip_network("198.19.200.0/27") for ip in ips)
        assert not {"198.19.200.0", "198.19.200.31"} & set(ips)  # network and broadcast never
        with pytest.raises(ApiError) as e:
            await clients[1].create(service("one-too-many"))
        assert e.value.message == "Internal error occurred: failed to allocate a serviceIP: range is full"
        await clients[0].delete("Service", "race-3", "default")
        last = await clients[1].create(service("one-too-many"))
        assert last.spec.cluster_ip == ips[3]
    finally:
        for c in clients:
            await c.close()


async def test_node_ports_allocated_checked_and_released(client):
    svc = await client.create(service(unique("np"), type="NodePort",
                                      ports=[{"name": "dns", "port": 53, "protocol": "UDP"},
                                             {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]))
    udp, tcp = (p.node_port for p in svc.spec.ports)
    assert udp == tcp and 30086 <= udp <= 32767  # one per port number; the upper band first
    name = unique("np")
    static = await client.create(service(name, type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert static.spec.ports[0].node_port == 30080
    other = unique("np")
    with pytest.raises(ApiError) as e:
        await client.create(service(other, type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert e.value.message == (f'Service "{other}" is invalid: spec.ports[0].nodePort: Invalid value: 30080: '
                               "provided port is already allocated")
    with pytest.raises(ApiError) as e:
        await client.create(service(other, type="NodePort", ports=[{"port": 80, "nodePort": 80}]))
    assert e.value.message == (f'Service "{other}" is invalid: spec.ports[0].nodePort: Invalid value: 80: '
                               "provided port is not in the valid range. The range of valid ports is 30000-32767")
    static.spec.type = "ClusterIP"  # the NodePort goes with the type (dropTypeDependentFields)
    as_cluster_ip = await client.update(static)
    assert as_cluster_ip.spec.ports[0].node_port == 0
    reused = await client.create(service(other, type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert reused.spec.ports[0].node_port == 30080
    await client.delete("Service", other, "default")
    again = await client.create(service(unique("np"), type="NodePort", ports=[{"port": 80, "nodePort": 30080}]))
    assert again.spec.ports[0].node_port == 30080


async def test_update_without_node_port_keeps_it(client):
    svc = await client.create(service(unique("keepnp"), type="NodePort"))
    port = svc.spec.ports[0].node_port
    svc.spec.ports[0].node_port = 0
    svc.metadata.labels["x"] = "y"
    assert (await client.update(svc)).spec.ports[0].node_port == port


async def test_each_apiserver_adds_its_address_to_the_kubernetes_endpoints(two_apiservers):
    client = Client(two_apiservers[0].address, retry_deadline=20)
    try:
        async def both():
            ep = await client.get("Endpoints", "kubernetes", "default")
            eps = await client.get("EndpointSlice", "kubernetes", "default")
            ips = sorted(a.ip for s in ep.subsets for a in s.addresses)
            return ips == ["192.0.2.10", "192.0.2.11"] and sorted(e.addresses[0] for e in eps.endpoints) == ips
        await eventually(both, timeout=40, what="both API servers in the kubernetes Endpoints and EndpointSlice")
    finally:
        await client.close()
