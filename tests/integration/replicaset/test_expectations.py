"""Expectations: a ReplicaSet controller whose pod cache lags seconds behind its own creates (a proxy
delays its pod watch) still creates each pod once, however often the set is synced meanwhile."""
from __future__ import annotations

import pytest

from tests.integration.replicaset.conftest import observed, pods_of, update, wait_for
from tests.integration.replicaset.lagproxy import LaggingProxy
from tests.integration.replicaset.test_replicaset import replica_set

LAG = 1.5


@pytest.fixture
def lagging(apiserver):
    proxy = LaggingProxy(apiserver.address, LAG, kinds=("Pod",))
    proxy.start()
    yield proxy
    proxy.stop()


async def test_no_over_creation_under_a_lagging_pod_cache(client, ns, controllers, lagging, nodes):
    controllers("replicaset", address=lagging.address)
    await client.create(replica_set(5), ns)
    await wait_for(lambda: _at_least(client, ns, 1), what="the first pod")
    for i in range(10):  # resync the set again and again while its pod cache is still empty
        await update(client, "ReplicaSet", ns, "web", lambda rs, i=i: rs.metadata.annotations.update(poke=str(i)))

    async def counted():
        rs = await client.get("ReplicaSet", "web", ns)
        return rs if rs.status.replicas == 5 and rs.status.ready_replicas == 5 else None
    await wait_for(counted, 20, "the set to count 5 ready pods")
    rs = await update(client, "ReplicaSet", ns, "web", lambda r: setattr(r.spec, "min_ready_seconds", 1))
    await observed(client, "ReplicaSet", ns, "web", rs.metadata.generation)
    assert len(nodes.created) == 5, nodes.created
    assert len(await pods_of(client, ns)) == 5


async def test_scale_down_under_a_lagging_cache_deletes_each_pod_once(client, ns, controllers, lagging, nodes):
    controllers("replicaset", address=lagging.address)
    await client.create(replica_set(4), ns)

    async def ready():
        rs = await client.get("ReplicaSet", "web", ns)
        return rs.status.ready_replicas == 4
    await wait_for(ready, 20, "4 ready pods")
    await update(client, "ReplicaSet", ns, "web", lambda r: setattr(r.spec, "replicas", 1))
    for i in range(6):
        await update(client, "ReplicaSet", ns, "web", lambda rs, i=i: rs.metadata.annotations.update(poke=str(i)))

    async def one():
        rs = await client.get("ReplicaSet", "web", ns)
        return rs if rs.status.replicas == 1 else None
    await wait_for(one, 20, "one pod left")
    rs = await update(client, "ReplicaSet", ns, "web", lambda r: setattr(r.spec, "min_ready_seconds", 1))
    await observed(client, "ReplicaSet", ns, "web", rs.metadata.generation)
    assert len(nodes.created) == 4 and len(nodes.deleted) == 3
    assert len(await pods_of(client, ns)) == 1


async def _at_least(client, ns, n):
    return len(await pods_of(client, ns)) >= n
