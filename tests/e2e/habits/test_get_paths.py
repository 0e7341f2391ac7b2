"""`kubelab get KIND` goes as kubectl's get does, through the API server's server-side Table over HTTP
(kubelab.cli.servertable), and prints exactly what the gRPC path prints; it loads no gRPC doing so
(issue 19), and when the HTTP API does not answer the command still answers, through gRPC."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from tests.e2e.cluster import KUBELAB, ROOT, wait_for
from tests.support import free_port

pytestmark = pytest.mark.timeout(300)

STS = """\
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web}}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80, name: web}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: busybox, command: [sh, -c, 'sleep 3600']}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Mi}}}
"""


def run(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


async def test_a_table_over_http_is_the_table_over_grpc(cluster, ns, tmp_path):
    path = tmp_path / "sts.yaml"
    path.write_text(STS)
    await cluster.kubelab("apply", "-n", ns, "-f", str(path))
    await cluster.kubelab("rollout", "status", "-n", ns, "statefulset/web", "--timeout", "120s", timeout=150)
    commands = [["pods"], ["pods", "-o", "wide"], ["po", "-l", "app=web", "--no-headers"], ["pvc"],
                ["statefulsets.apps"], ["svc"], ["pods", "--field-selector", "status.phase=Running"],
                ["pods", "-l", "app=nothing"], ["nodes"], ["pv"], ["pods", "-A"]]
    for words in commands:
        http_argv = [*KUBELAB, "--state-dir", str(cluster.state_dir), "get", "-n", ns, *words]
        grpc_argv = [*KUBELAB, "--server", cluster.apiserver, "get", "-n", ns, *words]

        async def same():
            # The gRPC path computes AGE where the command runs, after its imports and gRPC's (it reads
            # later); the HTTP path gets it from the server as soon as it starts. So an HTTP read starts
            # with the gRPC one and a second when the first is done, around the gRPC read: its table must
            # be, byte for byte, one of theirs (an AGE may tick between any two reads: again)
            grpc = asyncio.ensure_future(asyncio.to_thread(run, grpc_argv, cluster.env))
            try:
                http = [await asyncio.to_thread(run, http_argv, cluster.env)]
                http.append(await asyncio.to_thread(run, http_argv, cluster.env))
            finally:
                b = await grpc
            assert all(r.returncode == 0 for r in (*http, b)), ([r.stderr for r in http], b.stderr)
            return (b.stdout, b.stderr) in [(a.stdout, a.stderr) for a in http]
        await wait_for(same, 20, f"get {' '.join(words)} the same over HTTP and gRPC")
    pods = run([*KUBELAB, "--state-dir", str(cluster.state_dir), "get", "-n", ns, "pods"], cluster.env).stdout
    assert [line.split()[0] for line in pods.splitlines()] == ["NAME", "web-0", "web-1"]
    empty = run([*KUBELAB, "--state-dir", str(cluster.state_dir), "get", "-n", ns, "pods", "-l", "app=x"],
                cluster.env)
    assert (empty.stdout, empty.stderr) == ("", f"No resources found in {ns} namespace.\n")


def test_the_table_path_loads_no_grpc(cluster, ns):
    r = run([sys.executable, "-X", "importtime", "-m", "kubelab.cli", "--state-dir", str(cluster.state_dir),
             "get", "-n", "kube-system", "leases"], cluster.env)
    assert r.returncode == 0, r.stderr
    assert "NAME" in r.stdout and "HOLDER" in r.stdout
    names = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert names and not {n for n in names if n.startswith(("grpc", "google.protobuf"))}


def test_when_the_http_api_does_not_answer_get_answers_through_grpc(cluster, tmp_path):
    """A state dir whose HTTP address nobody listens on (the HTTP API gone, the gRPC API up)."""
    state = json.loads((cluster.state_dir / "cluster.json").read_text())
    state["processes"]["apiserver"]["http_listen"] = f"127.0.0.1:{free_port()}"
    other = tmp_path / "state"
    other.mkdir()
    (other / "cluster.json").write_text(json.dumps(state))
    r = run([*KUBELAB, "--state-dir", str(other), "get", "nodes"], cluster.env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split()[:2] == ["NAME", "STATUS"]
    assert len(r.stdout.splitlines()) == 3  # the habits cluster's two nodes
