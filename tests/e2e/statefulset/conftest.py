"""A real local cluster (`kubelab up -d`: API server, scheduler, storage controllers, the StatefulSet
controller, two kubelets) in a temporary state dir, driven through the `kubelab` command as a user
drives it, and watched through the API client for the assertions."""
from __future__ import annotations

import urllib.request

import pytest

from kubelab.client import Client
from tests.e2e.cluster import ROOT, StdoutCluster, new_namespace, running_cluster, wait_for  # noqa: F401 (wait_for: used by the tests)
from tests.support import running

WEB_YAML = ROOT / "examples" / "statefulset" / "web.yaml"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("sts-e2e") / "state", 2, StdoutCluster) as c:
        yield c


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "web")


class PodHistory:
    """Every pod event of a namespace, in the API's order, with each pod's state at the time."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns = client, ns
        self.events: list[tuple[str, str, bool]] = []  # (type, pod, running and ready)
        self.violations: list[str] = []

    def ready(self, name: str) -> bool:
        """The last state the stream showed for `name`: Running and Ready."""
        return next((r for t, n, r in reversed(self.events) if n == name), False)

    async def run(self) -> None:
        async for ev in self.client.watch("Pod", self.ns):
            pod = ev.object
            name = pod.metadata.name
            ready = pod.status.phase == "Running" and any(
                c.type == "Ready" and c.status == "True" for c in pod.status.conditions) and \
                not pod.metadata.HasField("deletion_timestamp")
            if ev.type == "ADDED":
                ordinal = int(name.rsplit("-", 1)[1])
                if ordinal > 0 and not self.ready(f"web-{ordinal - 1}"):
                    self.violations.append(f"{name} created while web-{ordinal - 1} was not Running and Ready")
            self.events.append((ev.type, name, ready and ev.type != "DELETED"))

    def created(self) -> list[str]:
        return [n for t, n, _ in self.events if t == "ADDED"]

    def deleted(self) -> list[str]:
        return [n for t, n, _ in self.events if t == "DELETED"]


@pytest.fixture
async def history(client, ns):
    async with running(PodHistory(client, ns)) as h:
        yield h


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()
