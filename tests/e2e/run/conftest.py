"""A real local cluster (`kubelab up -d`, one node) for `kubelab run`."""
from __future__ import annotations

import pytest

from tests.e2e.cluster import Cluster, new_namespace, running_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("run-e2e") / "state", 1, Cluster) as c:
        yield c


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "run")
