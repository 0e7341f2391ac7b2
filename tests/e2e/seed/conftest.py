"""The seed's experiment on a real local cluster (`kubelab up -d --nodes 3`: API server, scheduler, storage
controllers, Deployment/ReplicaSet controllers, garbage collector, three kubelets running real processes),
driven through the `kubelab` command with the manifests in examples/seed, and watched through the API
client and the cluster's state dir (where the disks live) for the assertions."""
from __future__ import annotations

from pathlib import Path

import pytest

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from tests.e2e.cluster import ROOT, new_namespace, running_cluster, wait_for  # noqa: F401 (wait_for: used by the tests)

SEED = ROOT / "examples" / "seed"
APP = "app=random-number-generator"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("seed-e2e") / "state", 3) as c:
        yield c


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "seed")


async def pods(client: Client, ns: str) -> list[core_pb2.Pod]:
    items, _ = await client.list("Pod", ns, label_selector=APP)
    return [p for p in items if not p.metadata.HasField("deletion_timestamp")]


def running(pod: core_pb2.Pod) -> bool:
    return pod.status.phase == "Running" and any(c.type == "Ready" and c.status == "True"
                                                 for c in pod.status.conditions)


def waiting_reason(pod: core_pb2.Pod) -> str:
    """ContainerCreating and the like: what `kubelab get pods` shows for a pod that has not started."""
    for cs in pod.status.container_statuses:
        if cs.state.HasField("waiting"):
            return cs.state.waiting.reason
    return ""


async def events_of(client: Client, ns: str, name: str) -> list[str]:
    items, _ = await client.list("Event", ns)
    return [f"{e.reason}: {e.message}" for e in items if e.involved_object.name == name]


async def volume_of(client: Client, ns: str) -> str:
    async def bound():
        claim = await client.get("PersistentVolumeClaim", "data-volume", ns)
        return claim.spec.volume_name if claim.status.phase == "Bound" else None
    return await wait_for(bound, 60, "the claim to be bound")


def lines(path: Path) -> int:
    try:
        return len(path.read_text().splitlines())
    except FileNotFoundError:
        return 0
