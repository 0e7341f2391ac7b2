"""A container that runs but is not ready, as `kubelab get -o json` and the real kubectl show it:
Kubernetes always writes `ready: false` and `restartCount: 0` (no omitempty on them)."""
import json

import pytest

from tests.e2e.cluster import running_cluster

POD = """apiVersion: v1
kind: Pod
metadata: {name: unready}
spec:
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'sleep 3600']
    readinessProbe: {exec: {command: ['false']}, periodSeconds: 1}
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("presence-e2e") / "state", 1) as c:
        yield c


def _container_status(pod: dict) -> dict:
    return pod["status"]["containerStatuses"][0]


def test_not_ready_container_shows_ready_false_and_restart_count_zero(cluster, kubectl, ns):
    kubectl("apply", "-n", ns, "-f", "-", stdin=POD)
    kubectl("wait", "-n", ns, "pod/unready", "--for=jsonpath={.status.containerStatuses[0].started}=true",
            "--timeout=120s")
    for pod in (json.loads(cluster.run("get", "pod", "unready", "-n", ns, "-o", "json").stdout),
                json.loads(kubectl.out("get", "pod", "unready", "-n", ns, "-o", "json"))):
        status = _container_status(pod)
        assert status["ready"] is False and status["restartCount"] == 0, status
        assert status["started"] is True and status["lastState"] == {} and "running" in status["state"]
        ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "False" and ready["lastProbeTime"] is None
        assert pod["spec"]["containers"][0]["resources"] == {}
    assert cluster.run("get", "pod", "unready", "-n", ns, "-o",
                       "jsonpath={.status.containerStatuses[0].ready} {.status.containerStatuses[0].restartCount}"
                       ).stdout == "false 0"
    assert kubectl.out("get", "pod", "unready", "-n", ns, "-o",
                       "jsonpath={.status.containerStatuses[0].ready} {.status.containerStatuses[0].restartCount}"
                       ) == "false 0"
