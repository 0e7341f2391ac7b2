"""Each lab runs on its own real cluster (`kubelab up -d`), with the timings the lab's README gives for
tests (shorter leases, a shorter node monitor grace period), passed as the components' environment."""
from __future__ import annotations

import contextlib

import pytest

from kubelab.client import Client
from tests.e2e.cluster import Cluster, running_cluster

#: Leader election in seconds (classroom: 15/10/2), as every lab's README says.
FAST_LEASES = {"KUBELAB_LEADER_ELECT_LEASE_DURATION": "4", "KUBELAB_LEADER_ELECT_RENEW_DEADLINE": "3",
               "KUBELAB_LEADER_ELECT_RETRY_PERIOD": "0.5"}


@contextlib.contextmanager
def lab_cluster(tmp_path, nodes: int = 2, env: dict[str, str] | None = None, up_args: tuple[str, ...] = ()):
    extra = {**FAST_LEASES, **(env or {})}

    class LabCluster(Cluster):
        def __init__(self, state_dir):
            super().__init__(state_dir)
            self.env.update(extra)

        def run(self, *args, **kw):
            if args[:1] == ("up",):
                args = (*args, *up_args)
            return super().run(*args, **kw)

    with running_cluster(tmp_path / "state", nodes, LabCluster) as c:
        yield c


@pytest.fixture
async def api():
    """An API client factory: `async with api(cluster) as client`."""
    clients = []

    def make(cluster) -> Client:
        c = Client(cluster.apiserver, retry_deadline=30)
        clients.append(c)
        return c
    yield make
    for c in clients:
        await c.close()
