"""Garbage collection with real processes: Background, Foreground (blockOwnerDeletion), Orphan, several
owners, a cluster-scoped owner, and an owner the collector's cache has not seen yet."""
from __future__ import annotations

import pytest

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_not_found
from tests.integration.replicaset.conftest import pods_of, wait_for, web
from tests.integration.replicaset.lagproxy import LaggingProxy


@pytest.fixture
def gc(controllers):
    return controllers("lifecycle")


async def deployed(client, ns, controllers, n: int = 2):
    controllers("replicaset")
    await client.create(web(n), ns)

    async def ready():
        d = await client.get("Deployment", "web", ns)
        return d.status.available_replicas == n
    await wait_for(ready, 20, "the deployment")


async def gone(client, kind: str, ns: str, name: str) -> bool:
    try:
        await client.get(kind, name, ns)
    except ApiError as e:
        return is_not_found(e)
    return False


async def sets(client, ns):
    return (await client.list("ReplicaSet", ns))[0]


async def test_background_deletes_the_replica_sets_and_their_pods(client, ns, controllers, gc, nodes):
    await deployed(client, ns, controllers)
    _, deleted = await client.delete("Deployment", "web", ns)
    assert deleted  # the owner goes at once

    async def empty():
        return not await sets(client, ns) and not await pods_of(client, ns, active_only=False)
    await wait_for(empty, 20, "replica sets and pods to be collected")


async def test_foreground_keeps_the_owner_until_blocking_dependents_are_gone(client, ns, controllers, gc, nodes):
    await deployed(client, ns, controllers)
    nodes.confirm = lambda pod: False  # pods stay Terminating
    _, deleted = await client.delete("Deployment", "web", ns, propagation_policy="Foreground")
    assert not deleted

    async def pods_terminating():
        pods = await pods_of(client, ns, active_only=False)
        return len(pods) == 2 and all(p.metadata.HasField("deletion_timestamp") for p in pods)
    await wait_for(pods_terminating, 20, "the pods to be deleted")
    d = await client.get("Deployment", "web", ns)
    assert d.metadata.HasField("deletion_timestamp") and list(d.metadata.finalizers) == ["foregroundDeletion"]
    (rs,) = await sets(client, ns)
    assert rs.metadata.HasField("deletion_timestamp") and "foregroundDeletion" in rs.metadata.finalizers
    await nodes.confirm_terminations()
    await wait_for(lambda: gone(client, "Deployment", ns, "web"), 20, "the deployment to go last")
    assert not await sets(client, ns)


async def test_orphan_keeps_dependents_without_the_owner_reference(client, ns, controllers, gc, nodes):
    await deployed(client, ns, controllers)
    (rs,) = await sets(client, ns)
    await client.delete("Deployment", "web", ns, propagation_policy="Orphan")
    await wait_for(lambda: gone(client, "Deployment", ns, "web"), 20, "the deployment")
    kept = await client.get("ReplicaSet", rs.metadata.name, ns)
    assert kept.metadata.uid == rs.metadata.uid and not kept.metadata.owner_references
    pods = await pods_of(client, ns)
    assert len(pods) == 2 and all(p.metadata.owner_references[0].uid == rs.metadata.uid for p in pods)


def owned_pod(ns: str, name: str, *owners, block: bool = False) -> core_pb2.Pod:
    pod = core_pb2.Pod()
    pod.metadata.name, pod.metadata.namespace = name, ns
    pod.spec.containers.add(name="c", image="registry.k8s.io/pause")
    for owner in owners:
        kind = type(owner).__name__
        pod.metadata.owner_references.add(api_version="v1", kind=kind, name=owner.metadata.name,
                                          uid=owner.metadata.uid, block_owner_deletion=block)
    return pod


async def service(client, ns: str, name: str) -> core_pb2.Service:
    svc = core_pb2.Service()
    svc.metadata.name, svc.metadata.namespace = name, ns
    svc.spec.ports.add(port=80)
    return await client.create(svc)


async def test_a_dependent_with_another_live_owner_is_kept(client, ns, gc):
    a, b = await service(client, ns, "a"), await service(client, ns, "b")
    await client.create(owned_pod(ns, "shared", a, b))
    await client.delete("Service", "a", ns)

    async def ref_dropped():
        pod = await client.get("Pod", "shared", ns)
        return [r.name for r in pod.metadata.owner_references] == ["b"]
    await wait_for(ref_dropped, 20, "the reference to the deleted owner to be dropped")
    await client.delete("Service", "b", ns)
    await wait_for(lambda: gone(client, "Pod", ns, "shared"), 20, "the pod once its last owner went")


async def test_a_cluster_scoped_owner(client, ns, gc):
    node = core_pb2.Node()
    node.metadata.name = f"gc-{ns}"
    node = await client.create(node)
    await client.create(owned_pod(ns, "mirror", node))
    await client.delete("Node", node.metadata.name)
    await wait_for(lambda: gone(client, "Pod", ns, "mirror"), 20, "the pod of the deleted node")


async def test_non_blocking_dependents_do_not_hold_a_foreground_deletion(client, ns, gc):
    owner = await service(client, ns, "owner")
    await client.create(owned_pod(ns, "free", owner, block=False))
    pod = await client.get("Pod", "free", ns)
    await client.delete("Service", "owner", ns, propagation_policy="Foreground")
    await wait_for(lambda: gone(client, "Service", ns, "owner"), 20, "the owner")
    await wait_for(lambda: gone(client, "Pod", ns, "free"), 20, "its dependent, collected anyway")
    assert pod.metadata.owner_references[0].block_owner_deletion is False


async def test_an_owner_the_cache_has_not_seen_is_looked_up_not_presumed_gone(client, apiserver, ns, controllers):
    proxy = LaggingProxy(apiserver.address, 3.0, kinds=("Service",))  # the collector sees Services 3 s late
    proxy.start()
    try:
        controllers("lifecycle", address=proxy.address)
        owner = await service(client, ns, "late")
        ghost = core_pb2.Service()  # never existed
        ghost.metadata.name, ghost.metadata.uid = "ghost", "00000000-0000-0000-0000-000000000000"
        await client.create(owned_pod(ns, "child", owner, ghost))

        async def decided():  # the collector acted on the pod: the ghost reference went, the pod stayed
            pod = await client.get("Pod", "child", ns)
            return [r.name for r in pod.metadata.owner_references] == ["late"]
        await wait_for(decided, 2.5, "the reference to the missing owner to go, before the cache saw the owner")
    finally:
        proxy.stop()
