"""The range allocator with a real API server and the lifecycle process (`--allocate-node-cidrs`): nodes
get distinct /24s of the cluster CIDR, a node that brought its own keeps it, a deleted node's block goes to
the next node, and when none is left the node gets `CIDRNotAvailable`."""
from __future__ import annotations

import uuid

import pytest

from kubelab.api.v1 import core_pb2
from tests.integration.replicaset.conftest import events_for, wait_for


@pytest.fixture
def allocator(controllers):
    return controllers("lifecycle", "--allocate-node-cidrs", "--cluster-cidr", "198.18.0.0/23")


async def new_node(client, name: str, cidr: str = "") -> None:
    n = core_pb2.Node()
    n.metadata.name = name
    if cidr:
        n.spec.pod_cidr = cidr
        n.spec.pod_cidrs.append(cidr)
    await client.create(n)


async def pod_cidr(client, name: str) -> str:
    async def get():
        n = await client.get("Node", name)
        return list(n.spec.pod_cidrs) == [n.spec.pod_cidr] and n.spec.pod_cidr
    return await wait_for(get, what=f"{name}'s podCIDR")


async def test_nodes_get_distinct_blocks_and_a_deleted_nodes_block_is_reused(allocator, client):
    tag = uuid.uuid4().hex[:6]
    await new_node(client, f"own-{tag}", "198.18.0.0/24")  # brought its own (the kubelet's --pod-cidr)
    await new_node(client, f"a-{tag}")
    assert await pod_cidr(client, f"a-{tag}") == "198.18.1.0/24"
    assert (await client.get("Node", f"own-{tag}")).spec.pod_cidr == "198.18.0.0/24"

    await new_node(client, f"b-{tag}")

    async def unavailable():
        return f"CIDRNotAvailable Node b-{tag} status is now: CIDRNotAvailable" in await events_for(
            client, "default", f"b-{tag}")
    await wait_for(unavailable, what="CIDRNotAvailable for the third node of a /23")
    assert not (await client.get("Node", f"b-{tag}")).spec.pod_cidr

    await client.delete("Node", f"a-{tag}")
    await client.delete("Node", f"b-{tag}")
    await new_node(client, f"c-{tag}")
    assert await pod_cidr(client, f"c-{tag}") == "198.18.1.0/24"
    await client.delete("Node", f"c-{tag}")
    await client.delete("Node", f"own-{tag}")
