"""A pod reaching its own Service in a real cluster (docs/pod-network.md, "Hairpin"): from web-0, every
request to the Service's ClusterIP must be answered, whether kube-proxy picked web-1 or web-0 itself.

Both pods are on node-1's bridge, so this is the layout that drops hairpin traffic when the bridge port
refuses to send a frame back where it came from (br_netfilter's bridged DNAT): web-0's requests that
landed on web-0 timed out while those to web-1 were answered. The test also checks that web-1 still sees
web-0's own pod IP (only hairpin traffic is masqueraded) and that the host reaches the Service.
"""
from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

from tests.e2e.cluster import StdoutCluster, running_cluster
from tests.support import wait_until

ATTEMPTS = 40  # both endpoints are picked at random: missing either one has odds of 2**-40

MANIFEST = textwrap.dedent("""\
    apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      selector: {app: nginx}
      ports: [{port: 8080, targetPort: web}]
    ---
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: web}
    spec:
      serviceName: web
      replicas: 2
      selector: {matchLabels: {app: nginx}}
      template:
        metadata: {labels: {app: nginx}}
        spec:
          terminationGracePeriodSeconds: 1
          containers:
          - name: nginx
            image: registry.k8s.io/nginx-slim:0.21
            command: [sh, -c, "hostname > /usr/share/nginx/html/index.html && exec nginx -g 'daemon off;'"]
            ports: [{containerPort: 80, name: web}]
            readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 1}
            volumeMounts: [{name: html, mountPath: /usr/share/nginx/html}]
          volumes: [{name: html, emptyDir: {}}]
    """)


@pytest.fixture
def cluster(tmp_path):
    with running_cluster(tmp_path / "state", 1, StdoutCluster) as c:
        yield c


def _curl(url: str) -> str:
    got = subprocess.run(["curl", "-s", "-m", "3", url], capture_output=True, text=True)
    return got.stdout.strip()


async def test_a_pod_reaches_itself_and_its_peer_through_its_service(cluster, tmp_path):
    (tmp_path / "web.yaml").write_text(MANIFEST)
    await cluster.kubelab("apply", "-f", str(tmp_path / "web.yaml"))
    cluster_ip = (await cluster.kubelab("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")).strip()
    url = f"http://{cluster_ip}:8080/"
    # from the host: both pods Ready, both behind the Service
    wait_until(lambda: {_curl(url) for _ in range(10)} == {"web-0", "web-1"}, 120, interval=0.5,
               what="the host reaching both pods through the Service")

    loop = f"for i in $(seq {ATTEMPTS}); do curl -s -m 3 {url} || echo failed; done"
    answers = (await cluster.kubelab("exec", "web-0", "--", "sh", "-c", loop, timeout=ATTEMPTS * 4)).split()
    assert len(answers) == ATTEMPTS and set(answers) == {"web-0", "web-1"}, answers  # no attempt failed

    pods = {p["metadata"]["name"]: p for p in json.loads(await cluster.kubelab("get", "pods", "-o", "json"))["items"]}
    web0_ip = pods["web-0"]["status"]["podIP"]
    # web-1's access log names web-0 by its pod IP: pod-to-Service traffic keeps its source
    assert any(line.startswith(f"{web0_ip} ") for line in (await cluster.kubelab("logs", "web-1")).splitlines())
