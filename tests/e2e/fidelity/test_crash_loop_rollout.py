"""Issue 12, item 1: a crash-looping Deployment is never reported "successfully rolled out".

On a real cluster (`kubelab up -d --nodes 1`), several Deployments whose container exits at once
(`sh -c "exit 1"`) are rolled out side by side: each must end in ProgressDeadlineExceeded, and
`kubelab rollout status` must exit 1 with kubectl's message, every time (the issue saw 2 runs of 4
reported as rolled out, because a container that lived 40 ms was written Running and Ready).
"""
from __future__ import annotations

import asyncio

import pytest

from tests.e2e.cluster import new_namespace, running_cluster

RUNS = 4


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("crashloop") / "state", 1) as c:
        yield c


def crashing(name: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  progressDeadlineSeconds: 10
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "exit 1"]
"""


async def test_a_crash_loop_always_exceeds_its_progress_deadline(cluster, client, tmp_path):
    ns = await new_namespace(client, "crash")
    names = [f"crash-{i}" for i in range(RUNS)]
    for name in names:
        path = tmp_path / f"{name}.yaml"
        path.write_text(crashing(name))
        await cluster.kubelab("apply", "-n", ns, "-f", str(path))
    results = await asyncio.gather(*(cluster.kubelab("rollout", "status", f"deployment/{n}", "-n", ns,
                                                     check=False, timeout=120) for n in names))
    for name, r in zip(names, results):
        assert (r.returncode, r.stderr.strip().splitlines()[-1:]) == (
            1, [f'error: deployment "{name}" exceeded its progress deadline']), (r.stdout, r.stderr)
        assert "successfully rolled out" not in r.stdout
        d = await client.get("Deployment", name, ns)
        progressing = next(c for c in d.status.conditions if c.type == "Progressing")
        assert (progressing.status, progressing.reason) == ("False", "ProgressDeadlineExceeded")
        assert d.status.available_replicas == 0
