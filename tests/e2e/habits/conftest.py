"""A real local cluster (`kubelab up -d`, two nodes) for the kubectl habit verbs (label, taint, patch, logs ...)."""
from __future__ import annotations

import pytest

from tests.e2e.cluster import Cluster, new_namespace, running_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("habits-e2e") / "state", 2, Cluster) as c:
        yield c


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "habits")
