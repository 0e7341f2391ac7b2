"""The endpoints component in a whole cluster (`kubelab up -d`), as a course uses it: the docs' web.yaml
gets an EndpointSlice with web-0 and web-1 by hostname; killed, the component leaves the slices as they
were while pods come (new pods are missing); partitioned from the API server, while pods go (gone pods are
still listed); restarted or healed, it catches up."""
from __future__ import annotations

import pytest

from kubelab.client import Client
from tests.e2e.cluster import ROOT, StdoutCluster, running_cluster, wait_for

WEB_YAML = ROOT / "examples" / "statefulset" / "web.yaml"
CONVERGE = 90.0
"""Seconds to catch up after a restart: a killed leader's successor first waits out its lease (15 s)."""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("endpoints-e2e") / "state", 1, StdoutCluster) as c:
        yield c


async def hostnames(client: Client) -> list[str]:
    """The ready endpoints of the nginx Service, by hostname, as DNS will read them."""
    items, _ = await client.list("EndpointSlice", "default", label_selector="kubernetes.io/service-name=nginx")
    return sorted(ep.hostname for es in items for ep in es.endpoints if ep.conditions.ready)


async def ready_pods(client: Client) -> list[str]:
    items, _ = await client.list("Pod", "default", label_selector="app=nginx")
    return sorted(p.metadata.name for p in items if not p.metadata.HasField("deletion_timestamp") and any(
        c.type == "Ready" and c.status == "True" for c in p.status.conditions))


async def until_hostnames(client: Client, want: list[str], timeout: float = CONVERGE) -> None:
    async def shown():
        return await hostnames(client) == want
    await wait_for(shown, timeout, f"the nginx slice to list {want}")


async def test_web_yaml_gets_its_slice_and_endpoints(cluster, client):
    await cluster.kubelab("apply", "-f", str(WEB_YAML))
    await until_hostnames(client, ["web-0", "web-1"])
    ep = await client.get("Endpoints", "nginx", "default")
    assert sorted(a.hostname for s in ep.subsets for a in s.addresses) == ["web-0", "web-1"]
    out = await cluster.kubelab("get", "endpointslices", "-l", "kubernetes.io/service-name=nginx", "-o", "name")
    assert out.count("endpointslice.discovery.k8s.io/nginx-") == 1


async def test_a_killed_component_misses_new_pods_until_it_is_back(cluster, client):
    await cluster.kubelab("kill", "endpoints")
    await cluster.kubelab("scale", "sts", "web", "--replicas=3")

    async def three_ready():
        return await ready_pods(client) == ["web-0", "web-1", "web-2"]
    await wait_for(three_ready, CONVERGE, "web-2 to be Ready")
    assert await hostnames(client) == ["web-0", "web-1"]  # nothing updates the slice meanwhile
    await cluster.kubelab("start", "endpoints")
    await until_hostnames(client, ["web-0", "web-1", "web-2"])


async def test_a_partitioned_component_keeps_listing_gone_pods_until_healed(cluster, client):
    await until_hostnames(client, ["web-0", "web-1", "web-2"])
    await cluster.kubelab("partition", "endpoints")
    try:
        await cluster.kubelab("scale", "sts", "web", "--replicas=1")

        async def one_left():
            items, _ = await client.list("Pod", "default", label_selector="app=nginx")
            return [p.metadata.name for p in items] == ["web-0"]
        await wait_for(one_left, CONVERGE, "web-1 and web-2 to be gone")
        assert await hostnames(client) == ["web-0", "web-1", "web-2"]
    finally:
        await cluster.kubelab("heal", "endpoints")
    await until_hostnames(client, ["web-0"])
