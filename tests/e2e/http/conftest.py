"""A real cluster (`kubelab up -d`, two nodes) and the real kubectl on its `<state-dir>/kubeconfig`."""
import os
import subprocess
import uuid

import pytest

from tests.e2e.cluster import running_cluster
from tests.kubectl import kubectl_binary


class Kubectl:
    def __init__(self, kubeconfig: str, home: str):
        self.binary = kubectl_binary()
        self.env = {**os.environ, "KUBECONFIG": kubeconfig, "HOME": home}

    def __call__(self, *args: str, check: bool = True, timeout: float = 120, stdin: str | None = None):
        r = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=timeout, input=stdin,
                           env=self.env)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    def out(self, *args: str, **kw) -> str:
        return self(*args, **kw).stdout

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([self.binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env)


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
