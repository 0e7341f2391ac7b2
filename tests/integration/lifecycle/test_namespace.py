"""The namespace controller with real processes: a deleted namespace is emptied, then goes; a pod on a node
keeps it Terminating (with Kubernetes' conditions) until its kubelet, played here, confirms the deletion."""
from __future__ import annotations

import uuid

import pytest

from kubelab.api.v1 import core_pb2
from kubelab.errors import ApiError, is_not_found
from kubelab.manifest import from_dict
from tests.integration.replicaset.conftest import wait_for, web


@pytest.fixture
def lifecycle(controllers):
    return controllers("lifecycle")


async def new_namespace(client) -> str:
    ns = core_pb2.Namespace()
    ns.metadata.name = f"nsc-{uuid.uuid4().hex[:8]}"
    await client.create(ns)
    return ns.metadata.name


def pod(name: str, node: str = "") -> core_pb2.Pod:
    return from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                      "spec": {"nodeName": node, "containers": [{"name": "c", "image": "nginx:1.25"}]}
                      if node else {"containers": [{"name": "c", "image": "nginx:1.25"}]}})


def claim(name: str) -> core_pb2.PersistentVolumeClaim:
    return from_dict({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
                      "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})


async def absent(client, kind: str, name: str, ns: str = "") -> bool:
    try:
        await client.get(kind, name, ns)
    except ApiError as e:
        return is_not_found(e)
    return False


async def content(client, ns: str) -> list[str]:
    out = []
    for kind in ("Deployment", "ReplicaSet", "Pod", "PersistentVolumeClaim"):
        items, _ = await client.list(kind, ns)
        out += [f"{kind}/{o.metadata.name}" for o in items]
    return out


async def test_a_deleted_namespace_is_emptied_then_removed(client, controllers, lifecycle):
    ns = await new_namespace(client)
    controllers("replicaset")
    await client.create(web(2), ns)
    await client.create(claim("data"), ns)
    await client.create(pod("loose"), ns)

    async def pods_created():
        items, _ = await client.list("Pod", ns)
        return len(items) == 3
    await wait_for(pods_created, 20, "the deployment's pods")

    obj, gone = await client.delete("Namespace", ns)
    assert not gone and obj.status.phase == "Terminating"
    await wait_for(lambda: absent(client, "Namespace", ns), 20, "the namespace to go")
    assert await content(client, ns) == []


async def test_a_pod_on_a_node_keeps_the_namespace_until_its_kubelet_confirms(client, lifecycle):
    ns = await new_namespace(client)
    await client.create(pod("bound", node="node-1"), ns)
    await client.create(pod("unscheduled"), ns)
    await client.delete("Namespace", ns)

    async def waiting_for_the_pod():
        n = await client.get("Namespace", ns)
        conds = {c.type: c for c in n.status.conditions}
        c = conds.get("NamespaceContentRemaining")
        return n if c is not None and c.status == "True" else None
    n = await wait_for(waiting_for_the_pod, 20, "the NamespaceContentRemaining condition")
    assert n.status.phase == "Terminating" and list(n.spec.finalizers) == ["kubernetes"]
    conds = {c.type: (c.status, c.reason, c.message) for c in n.status.conditions}
    assert conds["NamespaceContentRemaining"] == ("True", "SomeResourcesRemain",
                                                  "Some resources are remaining: pods. has 1 resource instances")
    assert conds["NamespaceFinalizersRemaining"][:2] == ("False", "ContentHasNoFinalizers")
    (left,) = (await client.list("Pod", ns))[0]
    assert left.metadata.name == "bound" and left.metadata.HasField("deletion_timestamp")

    await client.delete("Pod", "bound", ns, grace_period_seconds=0, uid=left.metadata.uid)  # the kubelet
    # sooner than the controller's own recheck (30 s grace: 16 s): the pod's deletion wakes it up
    await wait_for(lambda: absent(client, "Namespace", ns), 10, "the namespace to go")
