"""A real cluster (`kubelab up -d`, two nodes) and the real kubectl on its `<state-dir>/kubeconfig`."""
import uuid

import pytest

from tests.e2e.cluster import running_cluster
from tests.kubectl import Kubectl


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("http-e2e") / "state", 2) as c:
        yield c


@pytest.fixture(scope="module")
def kubectl(cluster, tmp_path_factory):
    return Kubectl(str(cluster.state_dir / "kubeconfig"), str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def ns(kubectl):
    name = f"e2e-{uuid.uuid4().hex[:6]}"
    kubectl("create", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n")
    return name
