"""Issue 12, item 6: `kubelab up -d --nodes 2` on a 3-node cluster takes node-3 out cleanly: its pods are
evicted (a Deployment's are recreated on the other nodes), its kubelet is stopped, and its Node is
deleted, instead of being left NotReady forever. The same holds when the cluster was down meanwhile."""
from __future__ import annotations

import json

from tests.e2e.cluster import new_namespace, running_cluster, wait_for


def deployment(name: str, replicas: int) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {{name: main, image: registry.k8s.io/pause}}
"""


async def _running_on(client, ns: str, app: str) -> dict[str, str]:
    pods, _ = await client.list("Pod", ns, label_selector=f"app={app}")
    return {p.metadata.name: p.spec.node_name for p in pods
            if p.status.phase == "Running" and not p.metadata.HasField("deletion_timestamp")}


async def test_fewer_nodes_drains_and_deletes_the_others(tmp_path, tmp_path_factory):
    from kubelab.client import Client

    with running_cluster(tmp_path_factory.mktemp("shrink") / "state", 3) as cluster:
        async with Client(cluster.apiserver, retry_deadline=20) as client:
            ns = await new_namespace(client, "shrink")
            path = tmp_path / "web.yaml"
            path.write_text(deployment("web", 6))
            cluster.run("apply", "-n", ns, "-f", str(path))
            placed = await wait_for(lambda: _placed(client, ns, 6), 90, "6 pods running")
            assert "node-3" in placed.values()

            result = cluster.run("up", "-d", "--nodes", "2", timeout=180)
            assert "event=removed node=node-3" in result.stderr
            nodes = cluster.run("get", "nodes").stdout
            assert "node-3" not in nodes and "node-1" in nodes and "node-2" in nodes
            ps = {r["name"] for r in json.loads(cluster.run("ps", "--format", "json").stdout)}
            assert "node-3" not in ps
            where = await wait_for(lambda: _placed(client, ns, 6), 90, "6 pods running on two nodes")
            assert set(where.values()) <= {"node-1", "node-2"}

            cluster.run("down")
            result = cluster.run("up", "-d", "--nodes", "1", timeout=180)
            assert "event=removed node=node-2" in result.stderr
            assert "node-2" not in cluster.run("get", "nodes").stdout
            where = await wait_for(lambda: _placed(client, ns, 6), 90, "6 pods running on node-1")
            assert set(where.values()) == {"node-1"}


async def _placed(client, ns: str, count: int):
    where = await _running_on(client, ns, "web")
    return where if len(where) == count else None
