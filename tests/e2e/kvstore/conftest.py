"""A real local cluster (`kubelab up -d` with two kubelets) in a temporary state dir for the kvstore
example, driven through the `kubelab` command and watched through the API client (as tests/e2e/statefulset)."""
from __future__ import annotations

import pytest

from kubelab.client import Client
from tests.e2e.cluster import ROOT, StdoutCluster, new_namespace, running_cluster, wait_for  # noqa: F401 (wait_for: used by the tests)
from tests.support import running

KV_YAML = ROOT / "examples" / "kvstore" / "kv.yaml"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("kv-e2e") / "state", 2, StdoutCluster) as c:
        yield c


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "kv")


def running_and_ready(pod) -> bool:
    return pod.status.phase == "Running" and not pod.metadata.HasField("deletion_timestamp") and any(
        c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


class PodHistory:
    """Every pod event of a namespace in the API's order; flags a kv-N created while kv-(N-1) was not
    Running and Ready (OrderedReady)."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns = client, ns
        self.events: list[tuple[str, str, bool]] = []
        self.violations: list[str] = []

    def ready(self, name: str) -> bool:
        return next((r for t, n, r in reversed(self.events) if n == name), False)

    async def run(self) -> None:
        async for ev in self.client.watch("Pod", self.ns):
            name = ev.object.metadata.name
            if ev.type == "ADDED":
                prefix, ordinal = name.rsplit("-", 1)
                previous = f"{prefix}-{int(ordinal) - 1}"
                if int(ordinal) > 0 and not self.ready(previous):
                    self.violations.append(f"{name} created while {previous} was not Running and Ready")
            self.events.append((ev.type, name, running_and_ready(ev.object) and ev.type != "DELETED"))

    def created(self) -> list[str]:
        return [n for t, n, _ in self.events if t == "ADDED"]


@pytest.fixture
async def history(client, ns):
    async with running(PodHistory(client, ns)) as h:
        yield h
