"""kube-proxy in a real local cluster, driven through the `kubelab` command: `ps` says which mode runs;
killed or partitioned, the last rules keep forwarding and changes wait for it; `down` removes its table."""
from __future__ import annotations

import asyncio

import pytest

from kubelab.client import Client
from kubelab.network import cluster_id
from tests.e2e.test_cluster_verbs import Cluster
from tests.integration.proxy.conftest import Backends, answers, endpoint_slice, nft_tables, reaches, service, unique


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path / "state")
    try:
        c.run("up", "-d", "--nodes", "1")
        yield c
    finally:
        c.teardown()


@pytest.fixture
def backends():
    b = Backends()
    yield b
    b.stop()


async def test_proxy_in_a_cluster_survives_kill_and_partition_and_down_cleans_up(cluster, backends):
    rows = await asyncio.to_thread(cluster.wait_all_serving, 60)
    assert rows["kube-proxy"]["role"] == "nftables"
    table = f"kubelab-{cluster_id(str(cluster.state_dir))}"
    ep_ip, port = backends.start()
    name = unique()
    async with Client(rows["apiserver"]["address"], retry_deadline=20) as client:
        # the API server allocates from this cluster's own Service range (clusters side by side differ)
        ip = (await client.create(service(name, None, [("http", 80, "TCP")]))).spec.cluster_ip
        eps = await client.create(endpoint_slice(name, [(ep_ip, {"ready": True})], [("http", port, "TCP")]))
        await reaches(ip, 80, f"{ep_ip}:{port}")
        assert table in nft_tables()

        cluster.run("partition", "kube-proxy")
        await client.delete("EndpointSlice", eps.metadata.name, "default")
        assert await answers(ip, 80, n=5) == [f"{ep_ip}:{port}"] * 5  # the last rules, still applied
        cluster.run("heal", "kube-proxy")
        await reaches(ip, 80, "REFUSED", timeout=60)  # the change arrives once it can hear the API again

        cluster.run("kill", "kube-proxy")
        await client.create(endpoint_slice(name, [(ep_ip, {"ready": True})], [("http", port, "TCP")]))
        assert await answers(ip, 80, n=3) == ["REFUSED"] * 3  # nobody applies the new endpoints
        cluster.run("start", "kube-proxy")
        await reaches(ip, 80, f"{ep_ip}:{port}", timeout=60)

    cluster.run("down")
    assert table not in nft_tables()
