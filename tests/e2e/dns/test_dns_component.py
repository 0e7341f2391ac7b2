"""The cluster DNS as `kubelab up` runs it: listed by `kubelab ps`, serving on the kube-dns ClusterIP,
through `kubelab kill`, `start`, `pause`, `partition`, and `kubelab down` taking its address off the host."""
import asyncio
import json

import dns.exception
import pytest

from kubelab import hostaddr
from kubelab.network import cluster_id
from tests.e2e.cluster import running_cluster, wait_for
from tests.integration.dns.conftest import addresses, ask

NAME = "kube-dns.kube-system.svc.cluster.local"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("dns-e2e") / "state", 0) as c:
        yield c


def answered(ip: str) -> bool:
    try:
        return addresses(ask(NAME, "A", ip, 53, timeout=1.0)) == [ip]
    except (dns.exception.Timeout, OSError):
        return False


async def eventually(fn, what: str, timeout: float = 30.0):
    async def cond():
        return await asyncio.to_thread(fn)
    return await wait_for(cond, timeout, what)


async def test_dns_through_the_failure_verbs_and_down(cluster, client):
    rows = {r["name"]: r for r in json.loads(cluster.run("ps", "--format", "json").stdout)}
    assert rows["dns"]["health"] == "SERVING" and rows["dns"]["role"] in ("", "-")
    # the API server's bootstrap kube-dns: index 10 of this cluster's own Service range (the launcher gives
    # clusters side by side disjoint ranges, so no other cluster holds this address)
    svc = await client.get("Service", "kube-dns", "kube-system")
    ip = svc.spec.cluster_ip
    await eventually(lambda: answered(ip), f"{NAME} answered on {ip}:53")

    await cluster.kubelab("kill", "dns")
    assert not answered(ip)
    await cluster.kubelab("start", "dns")
    await eventually(lambda: answered(ip), "answers after start")

    await cluster.kubelab("pause", "dns")
    try:
        assert not answered(ip)
    finally:
        await cluster.kubelab("resume", "dns")
    await eventually(lambda: answered(ip), "answers after resume")

    await cluster.kubelab("partition", "dns")
    await eventually(lambda: "NOT_SERVING" in cluster.run("ps").stdout, "dns NOT_SERVING while partitioned")
    assert answered(ip)  # from its last cache
    await cluster.kubelab("heal", "dns")

    await cluster.kubelab("kill", "dns")  # SIGKILL: the address stays until `down`
    ident = cluster_id(str(cluster.state_dir))
    assert hostaddr.cluster_addresses(ident) == [ip]
    cluster.run("down")
    assert hostaddr.cluster_addresses(ident) == []
