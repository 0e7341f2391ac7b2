"""Serving-terminating endpoints, end to end (upstream test/e2e/network "should fallback to terminating
endpoints when there are no ready endpoints"): a real pod behind a ClusterIP Service is deleted with a grace
period and keeps serving while it terminates (it ignores SIGTERM). The EndpointSlice controller marks its
endpoint ready=false, serving=true, terminating=true; the kube-proxy, having no ready endpoint, falls back
to it, so connections through the ClusterIP are still answered by that pod. When the pod is gone the
Service has no endpoints and connections are refused.

The two halves are tested on their own as well (tests/unit/endpoints, tests/integration/proxy/
test_forwarding.py); this runs them together in `kubelab up` with the kubelet's own termination.
"""
from __future__ import annotations

import asyncio
import subprocess
import textwrap

import pytest

from tests.e2e.cluster import StdoutCluster, running_cluster, wait_for
from tests.e2e.networking import wait_for_proxy

GRACE = 120  # seconds: far longer than the test; the pod is force-deleted at the end

MANIFEST = textwrap.dedent(f"""\
    apiVersion: v1
    kind: Service
    metadata: {{name: slow-stop}}
    spec:
      selector: {{app: slow-stop}}
      ports: [{{port: 8080, targetPort: 8080}}]
    ---
    apiVersion: v1
    kind: Pod
    metadata: {{name: slow-stop, labels: {{app: slow-stop}}}}
    spec:
      terminationGracePeriodSeconds: {GRACE}
      containers:
      - name: server
        image: busybox
        # SIGTERM ignored by the shell and, inherited, by the server: it keeps serving through the grace period
        command: [sh, -c, "trap '' TERM; hostname > /tmp/index.html; cd /tmp && python3 -m http.server 8080"]
        ports: [{{containerPort: 8080}}]
        readinessProbe: {{tcpSocket: {{port: 8080}}, periodSeconds: 1}}
    """)


@pytest.fixture
def cluster(tmp_path):
    with running_cluster(tmp_path / "state", 1, StdoutCluster) as c:
        yield c


def curl(url: str) -> tuple[int, str]:
    got = subprocess.run(["curl", "-s", "-m", "3", url], capture_output=True, text=True)
    return got.returncode, got.stdout.strip()


def curl_until(url: str, check) -> callable:
    """An async condition for wait_for: curl's (exit code, body) satisfies `check`."""
    async def cond():
        return check(await asyncio.to_thread(curl, url))
    return cond


async def conditions(client) -> list[tuple[bool, bool, bool]]:
    slices, _ = await client.list("EndpointSlice", "default", label_selector="kubernetes.io/service-name=slow-stop")
    return [(e.conditions.ready, e.conditions.serving, e.conditions.terminating) for s in slices for e in s.endpoints]


def proxy_syncs(cluster) -> int:
    """How many times the kube-proxy has programmed the kernel (its `msg="synced"` log lines)."""
    log = cluster.state_dir / "logs" / "kube-proxy.log"
    return sum(1 for line in log.read_text().splitlines() if 'msg="synced"' in line)


async def test_a_terminating_pod_keeps_serving_through_the_cluster_ip_until_it_is_gone(cluster, client, tmp_path):
    (tmp_path / "slow-stop.yaml").write_text(MANIFEST)
    await cluster.kubelab("apply", "-f", str(tmp_path / "slow-stop.yaml"))
    ip = (await cluster.kubelab("get", "service", "slow-stop", "-o", "jsonpath={.spec.clusterIP}")).strip()
    url = f"http://{ip}:8080/index.html"

    async def ready_endpoint():
        return await conditions(client) == [(True, True, False)]
    await wait_for(ready_endpoint, 90, "slow-stop's endpoint ready")
    await wait_for_proxy(cluster, "default", "slow-stop", 1)
    await wait_for(curl_until(url, lambda got: got == (0, "slow-stop")), 30, "the Service answering from slow-stop")

    syncs = proxy_syncs(cluster)
    out = await cluster.kubelab("delete", "pod", "slow-stop", f"--grace-period={GRACE}", "--wait=false")
    assert out == 'pod "slow-stop" deleted\n'

    async def serving_terminating():
        return await conditions(client) == [(False, True, True)]
    await wait_for(serving_terminating, 30, "slow-stop's endpoint ready=false serving=true terminating=true")
    pod = await client.get("Pod", "slow-stop", "default")
    assert pod.metadata.HasField("deletion_timestamp") and pod.status.phase == "Running"
    # No ready endpoint: the proxy falls back to the serving-terminating one. It watches only Services and
    # EndpointSlices, so its next sync (within minSyncPeriod) is the one this slice change triggered: once
    # it has run, the rules in the kernel are those for the terminating endpoint, and they still forward.
    async def synced_since():
        return proxy_syncs(cluster) > syncs
    await wait_for(synced_since, 30, "the kube-proxy to sync after the endpoint started terminating")
    await wait_for_proxy(cluster, "default", "slow-stop", 1)
    answers = [curl(url) for _ in range(10)]
    assert answers == [(0, "slow-stop")] * 10, answers

    await cluster.kubelab("delete", "pod", "slow-stop", "--grace-period=0", "--force")

    async def no_endpoints():
        return await conditions(client) == []
    await wait_for(no_endpoints, 60, "slow-stop's endpoint gone with the pod")
    # No endpoints at all: refused (curl exit 7), as kube-proxy's reject rule does, not a timeout (28).
    await wait_for(curl_until(url, lambda got: got[0] == 7), 30, "connections to the ClusterIP refused")
