"""A real local cluster (`kubelab up -d`, two nodes, with Service networking: endpoints, cluster DNS and
the service proxy) for examples/stateless."""
from __future__ import annotations

import pytest

from tests.e2e.cluster import ROOT, Cluster, new_namespace, running_cluster

MANIFEST = ROOT / "examples" / "stateless" / "session-demo.yaml"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("stateless-e2e") / "state", 2, Cluster) as c:
        yield c


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "sessions")
