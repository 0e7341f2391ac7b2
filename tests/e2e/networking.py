"""Helpers for the examples that go through Service networking (stateless, statefulset DNS, kvstore):
the endpoints a Service has, and a client pod run the way the READMEs run it (`kubelab run -i --rm`)."""
from __future__ import annotations

import asyncio
import re
import subprocess

from kubelab.network import cluster_id
from kubelab.nft import table_name
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


def proxy_chain(cluster: Cluster, ns: str, service: str) -> str:
    """The rules the kube-proxy programmed for the Service's first port: its `service-...` chain in the
    cluster's nftables table (`nft list table ip kubelab-<id>`), "" before it has one."""
    table = table_name(cluster_id(str(cluster.state_dir)))
    out = subprocess.run(["nft", "list", "table", "ip", table], capture_output=True, text=True).stdout
    chain = re.search(rf"chain service-\w+-{re.escape(ns)}/{re.escape(service)}/\S+ {{\n(.*?)\n\t}}", out, re.S)
    return chain.group(1) if chain else ""


async def wait_for_proxy(cluster: Cluster, ns: str, service: str, count: int, affinity: bool = False,
                         timeout: float = 30) -> None:
    """Until the kube-proxy balances the Service over `count` endpoints (`numgen random mod count`), with
    ClientIP affinity sets or without. It programs the kernel at most once per minSyncPeriod (1 s), so for
    a moment after a Service or EndpointSlice changes new connections still follow the old rules: a test of
    balancing waits for this, as upstream's e2e checks retry."""
    def programmed():
        rules = proxy_chain(cluster, ns, service)
        return f"numgen random mod {count} " in rules and ("ip saddr @affinity-" in rules) == affinity
    await wait_for(lambda: asyncio.to_thread(programmed), timeout,
                   f"the kube-proxy to balance {ns}/{service} over {count} endpoints"
                   + (" with ClientIP affinity" if affinity else ""))


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
