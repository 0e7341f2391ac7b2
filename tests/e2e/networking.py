"""Helpers for the examples that go through Service networking (stateless, statefulset DNS, kvstore):
the endpoints a Service has, and a client pod run the way the READMEs run it (`kubelab run -i --rm`)."""
from __future__ import annotations

import asyncio

from tests.e2e.cluster import Cluster, wait_for


async def ready_addresses(client, ns: str, service: str) -> set[str]:
    """The addresses of the Service's ready endpoints, over all its EndpointSlices."""
    slices, _ = await client.list("EndpointSlice", ns, label_selector=f"kubernetes.io/service-name={service}")
    return {a for s in slices for e in s.endpoints
            if not e.conditions.HasField("ready") or e.conditions.ready for a in e.addresses}


async def wait_for_endpoints(client, ns: str, service: str, addresses: set[str], timeout: float = 60) -> None:
    """Until the Service's ready endpoints are exactly `addresses` (what the proxy and DNS then serve)."""
    async def match():
        return await ready_addresses(client, ns, service) == addresses
    await wait_for(match, timeout, f"service {ns}/{service} to have ready endpoints {sorted(addresses)}")


async def run_client(cluster: Cluster, ns: str, name: str, script: str, image: str = "busybox",
                     timeout: float = 120) -> tuple[int, list[str], str]:
    """`kubelab run NAME -i --rm --restart=Never --image IMAGE -- sh -c SCRIPT`: (exit code, stdout lines
    without the final `pod "NAME" deleted`, stderr)."""
    result = await asyncio.to_thread(cluster.run, "run", "-n", ns, name, "-i", "--rm", "--restart=Never",
                                     "--image", image, "--", "sh", "-c", script, check=False, timeout=timeout)
    lines = result.stdout.splitlines()
    assert lines and lines[-1] == f'pod "{name}" deleted', (result.stdout, result.stderr)
    return result.returncode, lines[:-1], result.stderr


async def dns_address(client) -> str:
    """The cluster DNS server's address: the kube-dns Service's ClusterIP."""
    return (await client.get("Service", "kube-dns", "kube-system")).spec.cluster_ip


def nslookup_output(dns: str, name: str, addresses: list[tuple[str, str]]) -> str:
    """What busybox 1.28's nslookup prints for `name` resolving to (address, PTR name) pairs."""
    lines = [f"Server:    {dns}", f"Address 1: {dns} kube-dns.kube-system.svc.cluster.local", "",
             f"Name:      {name}"]
    lines += [f"Address {n}: {ip} {ptr}" for n, (ip, ptr) in enumerate(addresses, 1)]
    return "\n".join(lines) + "\n"
