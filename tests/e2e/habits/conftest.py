"""A real local cluster (`kubelab up -d`, two nodes) for the kubectl habit verbs (label, taint, patch, logs ...)."""
from __future__ import annotations

import pytest

from tests.e2e.cluster import FAST_LEASES, Cluster, new_namespace, running_cluster


class HabitsCluster(Cluster):
    """With the labs' short leases: test_statefulset_example_kill_the_controller_step starts a killed
    statefulset controller again, which would otherwise wait out the classroom's 15 s lease first."""

    def __init__(self, state_dir):
        super().__init__(state_dir)
        self.env.update(FAST_LEASES)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("habits-e2e") / "state", 2, HabitsCluster) as c:
        yield c


@pytest.fixture
async def ns(client) -> str:
    return await new_namespace(client, "habits")
