"""ClusterIP forwarding, as kube-proxy does it, in both modes (the `proxy` fixture is parametrized)."""
from __future__ import annotations

import collections
import random

from tests.integration.proxy.conftest import answers, cluster_ip, endpoint_slice, reaches, service, unique

READY = {"ready": True, "serving": True, "terminating": False}
TERMINATING = {"ready": False, "serving": True, "terminating": True}


def start_endpoints(backends, n: int, proto: str = "TCP") -> tuple[list[str], int]:
    """n servers on distinct addresses and one port (a slice's port applies to all its endpoints)."""
    port = random.randrange(20000, 40000)
    return [backends.start(proto, port=port)[0] for _ in range(n)], port


async def test_cluster_ip_reaches_every_endpoint_uniformly(proxy, client, backends):
    name, ip = unique(), cluster_ip()
    ips, port = start_endpoints(backends, 3)
    await client.create(service(name, ip, [("http", 80, "TCP")]))
    await client.create(endpoint_slice(name, [(a, READY) for a in ips], [("http", port, "TCP")]))
    expected = {f"{a}:{port}" for a in ips}
    await reaches(ip, 80, expected)
    counts = collections.Counter(await answers(ip, 80, n=300))
    assert set(counts) == expected, counts
    # uniform 1/3 each: 300 draws keep every share within 60..140 with overwhelming probability
    assert all(60 <= c <= 140 for c in counts.values()), counts


async def test_no_endpoints_is_refused_and_undefined_ports_too(proxy, client, backends):
    name, ip = unique(), cluster_ip()
    await client.create(service(name, ip, [("http", 80, "TCP")]))
    await client.create(endpoint_slice(name, [], [("http", 8080, "TCP")]))
    assert await reaches(ip, 80, "REFUSED") == "REFUSED"
    ips, port = start_endpoints(backends, 1)
    other, other_ip = unique(), cluster_ip()
    await client.create(service(other, other_ip, [("http", 80, "TCP")]))
    await client.create(endpoint_slice(other, [(ips[0], READY)], [("http", port, "TCP")]))
    await reaches(other_ip, 80, f"{ips[0]}:{port}")
    assert await answers(other_ip, 81) == ["REFUSED"]  # a port the Service does not define


async def test_endpoints_appear_and_vanish(proxy, client, backends):
    name, ip = unique(), cluster_ip()
    await client.create(service(name, ip, [("http", 80, "TCP")]))
    eps = await client.create(endpoint_slice(name, [], [("http", 1, "TCP")]))
    await reaches(ip, 80, "REFUSED")
    ips, port = start_endpoints(backends, 1)
    eps.ports[0].port = port
    del eps.endpoints[:]
    eps.endpoints.add(addresses=[ips[0]]).conditions.ready = True
    eps = await client.update(eps)
    await reaches(ip, 80, f"{ips[0]}:{port}")
    await client.delete("EndpointSlice", eps.metadata.name, "default")
    await reaches(ip, 80, "REFUSED")


async def test_falls_back_to_serving_terminating_endpoints(proxy, client, backends):
    name, ip = unique(), cluster_ip()
    ips, port = start_endpoints(backends, 2)
    ready, terminating = ips
    await client.create(service(name, ip, [("http", 80, "TCP")]))
    eps = await client.create(endpoint_slice(name, [(ready, READY), (terminating, TERMINATING)],
                                             [("http", port, "TCP")]))
    await reaches(ip, 80, f"{ready}:{port}")
    assert set(await answers(ip, 80, n=20)) == {f"{ready}:{port}"}  # terminating ones only when no ready
    eps.endpoints[0].conditions.ready = False  # the ready one goes unready (not serving, not terminating)
    eps.endpoints[0].conditions.serving = False
    await client.update(eps)
    await reaches(ip, 80, f"{terminating}:{port}")
    assert set(await answers(ip, 80, n=10)) == {f"{terminating}:{port}"}


async def test_same_port_tcp_and_udp(proxy, client, backends):
    name, ip = unique(), cluster_ip()
    port = random.randrange(20000, 40000)
    tcp_ip, _ = backends.start("TCP", port=port)
    backends.start("UDP", ip=tcp_ip, port=port)
    await client.create(service(name, ip, [("tcp", 53, "TCP"), ("udp", 53, "UDP")]))
    eps = await client.create(endpoint_slice(name, [(tcp_ip, READY)], [("tcp", port, "TCP"), ("udp", port, "UDP")]))
    await reaches(ip, 53, f"{tcp_ip}:{port}")
    await reaches(ip, 53, f"{tcp_ip}:{port}/udp", proto="UDP")
    svc = await client.get("Service", name, "default")
    del svc.spec.ports[1]  # removing one protocol stops only that one
    await client.update(svc)
    await reaches(ip, 53, {"REFUSED", "REJECTED"}, proto="UDP")
    assert await answers(ip, 53) == [f"{tcp_ip}:{port}"]


async def test_multiport_named_ports_map_to_their_target_ports(proxy, client, backends):
    name, ip = unique(), cluster_ip()
    a_ip, a_port = backends.start()
    b_ip, b_port = backends.start()
    await client.create(service(name, ip, [("http", 80, "TCP"), ("admin", 81, "TCP")]))
    # two slices, one per port, as e2e "multiple ports specified in multiple EndpointSlices"
    await client.create(endpoint_slice(name, [(a_ip, READY)], [("http", a_port, "TCP")]))
    await client.create(endpoint_slice(name, [(b_ip, READY)], [("admin", b_port, "TCP")]))
    await reaches(ip, 80, f"{a_ip}:{a_port}")
    await reaches(ip, 81, f"{b_ip}:{b_port}")


async def test_service_proxy_name_and_headless_labels_are_skipped(proxy, client, backends):
    ips, port = start_endpoints(backends, 1)
    for label in ("service.kubernetes.io/service-proxy-name", "service.kubernetes.io/headless"):
        name, ip = unique(), cluster_ip()
        await client.create(service(name, ip, [("http", 80, "TCP")]))
        await client.create(endpoint_slice(name, [(ips[0], READY)], [("http", port, "TCP")]))
        await reaches(ip, 80, f"{ips[0]}:{port}")
        svc = await client.get("Service", name, "default")
        svc.metadata.labels[label] = "other-proxy" if "proxy-name" in label else ""
        await client.update(svc)
        await reaches(ip, 80, {"TIMEOUT", "REFUSED", "UNREACHABLE"}, timeout=30)  # not proxied any more
        svc = await client.get("Service", name, "default")
        del svc.metadata.labels[label]
        await client.update(svc)
        await reaches(ip, 80, f"{ips[0]}:{port}")
