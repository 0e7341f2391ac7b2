"""Break each process of a running cluster as a course does, and check that everything heals.

One cluster for the module (`kubelab up -d --nodes 2`) runs a real workload: the docs' web.yaml (a
StatefulSet of nginx with a claim per pod on local-path volumes) and a Deployment of pause pods. Each test
breaks one process (`kubelab kill`, `pause` or `partition`), changes the workload meanwhile where that
makes sense (scale, delete a pod), restores the process, and waits, with a deadline, for what a user
checks once it is back:

- `kubelab ps`: every process running and SERVING, and every controller leading again;
- exactly web-0..web-N-1 and M pause pods, all Running and Ready, no pod left terminating;
- the StatefulSet's and the Deployment's status count the replicas ready;
- every claim Bound;
- one container process per container of each pod on the nodes: none twice, none left over.

The tests run in order and each leaves the cluster converged for the next.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubelab.client import ApiError, Client
from kubelab.cluster.healthcheck import SERVING, check_health
from tests.e2e.cluster import ROOT, StdoutCluster, running_cluster, wait_for

WEB_YAML = ROOT / "examples" / "statefulset" / "web.yaml"
PAUSE_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pause
spec:
  replicas: 2
  selector:
    matchLabels:
      app: pause
  template:
    metadata:
      labels:
        app: pause
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: pause
        image: registry.k8s.io/pause:3.9
"""
LEADER_ELECTED = ("scheduler", "provisioner", "replicaset", "statefulset", "lifecycle")
CONVERGE = 90.0
"""Seconds for the cluster to heal after a process is restored; a restarted controller alone waits
out its old lease (15 s) first."""


@dataclass
class Desired:
    web: int = 2
    pause: int = 2


desired = Desired()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with running_cluster(tmp_path_factory.mktemp("resilience") / "state", 2, StdoutCluster) as c:
        yield c


# --- what a user checks ----------------------------------------------------------------------------------

def ready(pod) -> bool:
    return pod.status.phase == "Running" and not pod.metadata.HasField("deletion_timestamp") and any(
        c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


def shown(pod) -> str:
    """`Pending on no node`, `Running (terminating) on node-1`, ..."""
    deleting = " (terminating)" if pod.metadata.HasField("deletion_timestamp") else ""
    return f"{pod.status.phase or 'Pending'}{deleting} on {pod.spec.node_name or 'no node'}"


async def ps(cluster) -> dict[str, dict]:
    rows = json.loads(await cluster.kubelab("ps", "--format", "json", "--timeout", "3"))
    return {r["name"]: r for r in rows}


async def process_problems(rows: dict[str, dict]) -> list[str]:
    out = [f"{n} is {r['state']}/{r['health']}" for n, r in rows.items()
           if r["state"] != "running" or r["health"] != SERVING]
    for name in LEADER_ELECTED:
        if name in rows and rows[name]["health"] == SERVING:
            if await asyncio.to_thread(check_health, rows[name]["address"], 3, "leader") != SERVING:
                out.append(f"{name} does not lead")
    return out


def shims(state_dir: Path) -> Counter:
    """(pod uid, container) of every container shim running for this cluster's nodes, counted."""
    marker = str(state_dir.resolve() / "nodes") + "/"
    out: Counter = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        spec = next((a for a in argv if a.startswith(marker) and a.endswith("/spec.json")), None)
        if spec and any(a.endswith("shim.py") for a in argv):
            parts = Path(spec).parts  # .../pods/<uid>/containers/<name>/<attempt>/spec.json
            out[(parts[-5], parts[-3])] += 1
    return out


async def workload_problems(cluster, client: Client, want: Desired) -> list[str]:
    out = []
    pods, _ = await client.list("Pod", "default")
    web = {p.metadata.name: p for p in pods if p.metadata.labels.get("app") == "nginx"}
    pause = [p for p in pods if p.metadata.labels.get("app") == "pause"]
    names = sorted(web)
    if names != sorted(f"web-{i}" for i in range(want.web)):
        out.append(f"StatefulSet pods {names}, want web-0..web-{want.web - 1}")
    if len(pause) != want.pause:
        out.append(f"{len(pause)} pause pods, want {want.pause}")
    out += [f"pod {p.metadata.name} is {shown(p)}" for p in pods if not ready(p)]
    sts = await client.get("StatefulSet", "web", "default")
    if (sts.status.replicas, sts.status.ready_replicas) != (want.web, want.web):
        out.append(f"StatefulSet status replicas={sts.status.replicas} ready={sts.status.ready_replicas}")
    deploy = await client.get("Deployment", "pause", "default")
    if (deploy.status.replicas, deploy.status.ready_replicas) != (want.pause, want.pause):
        out.append(f"Deployment status replicas={deploy.status.replicas} ready={deploy.status.ready_replicas}")
    claims, _ = await client.list("PersistentVolumeClaim", "default")
    out += [f"claim {c.metadata.name} is {c.status.phase}" for c in claims if c.status.phase != "Bound"]
    missing = {f"www-web-{i}" for i in range(want.web)} - {c.metadata.name for c in claims}
    out += [f"claim {name} missing" for name in sorted(missing)]
    running = shims(cluster.state_dir)
    expected = {(p.metadata.uid, c.name) for p in pods for c in p.spec.containers}
    out += [f"{n} container processes for {uid}/{name}" for (uid, name), n in running.items() if n > 1]
    out += [f"a container process for {uid}/{name}, a pod the API does not have" for uid, name in running
            if (uid, name) not in expected]
    out += [f"no container process for {p.metadata.name}/{c.name}" for p in pods for c in p.spec.containers
            if ready(p) and (p.metadata.uid, c.name) not in running]
    return out


async def converged(cluster, client: Client, timeout: float = CONVERGE) -> None:
    """Wait until every process serves (controllers leading) and the workload is as `desired` says."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline, last = start + timeout, None
    while True:
        rows = await ps(cluster)
        try:
            problems = await process_problems(rows) + await workload_problems(cluster, client, desired)
        except ApiError as e:
            problems = [f"API: {e}"]
        if problems != last:  # the timeline, shown when a test fails
            print(f"{loop.time() - start:6.1f}s {problems or 'converged'}")
            last = problems
        if not problems:
            return
        if loop.time() > deadline:
            logs = ""
            for name, row in rows.items():
                if any(p.startswith(f"{name} ") for p in problems):  # not serving, not leading
                    logs += f"\n--- {name} ---\n" + await cluster.kubelab("component-logs", name, "--tail", "30")
            raise AssertionError(f"not healed after {timeout:g}s: {problems}{logs}")
        await asyncio.sleep(0.5)


async def until(cond, what: str, timeout: float = 30.0):
    """`wait_for` a condition that may meet the API server down (an error counts as not yet)."""
    async def tolerant():
        try:
            return await cond()
        except ApiError:
            return None
    return await wait_for(tolerant, timeout, what)


async def scale(cluster, kind: str, replicas: int) -> None:
    name = {"sts": "web", "deploy": "pause"}[kind]
    await cluster.kubelab("scale", kind, name, f"--replicas={replicas}")
    if kind == "sts":
        desired.web = replicas
    else:
        desired.pause = replicas


async def pods_of(client: Client, app: str) -> list:
    items, _ = await client.list("Pod", "default", label_selector=f"app={app}")
    return items


async def lease_renewed_ago(client: Client, name: str) -> float:
    lease = await client.get("Lease", name, "kube-system")
    return time.time() - lease.spec.renew_time.ToNanoseconds() / 1e9


# --- the tests -------------------------------------------------------------------------------------------

async def test_the_workload_comes_up(cluster, client, tmp_path_factory):
    pause = tmp_path_factory.mktemp("manifests") / "pause.yaml"
    pause.write_text(PAUSE_YAML)
    await cluster.kubelab("apply", "-f", str(WEB_YAML), "-f", str(pause))
    await converged(cluster, client)


async def test_scheduler_killed_while_pods_wait(cluster, client):
    await cluster.kubelab("kill", "scheduler")
    await scale(cluster, "deploy", 6)
    await scale(cluster, "sts", 3)

    async def pending():
        return [p for p in await pods_of(client, "pause") if not p.spec.node_name]
    await until(pending, "a pause pod waiting for the scheduler")
    await cluster.kubelab("start", "scheduler")
    await converged(cluster, client)


async def test_replicaset_controller_partitioned(cluster, client):
    await cluster.kubelab("partition", "replicaset")
    await until(lambda: _health(cluster, "replicaset", "NOT_SERVING"), "replicaset to notice the partition")
    victim = (await pods_of(client, "pause"))[0]
    await cluster.kubelab("delete", "pod", victim.metadata.name, "--wait=false")
    await scale(cluster, "deploy", 9)
    await cluster.kubelab("heal", "replicaset")
    await converged(cluster, client)
    assert victim.metadata.uid not in {p.metadata.uid for p in await pods_of(client, "pause")}


async def test_statefulset_controller_paused_past_its_renew_deadline(cluster, client):
    """SIGSTOP for longer than the lease's renew deadline (10 s): on SIGCONT it stops leading, then, as
    nobody took over, leads again and catches up on what changed meanwhile."""
    await cluster.kubelab("pause", "statefulset")
    try:
        web_0 = await client.get("Pod", "web-0", "default")
        await cluster.kubelab("delete", "pod", "web-0", "--wait=false")
        await scale(cluster, "sts", 4)

        async def stale():
            return await lease_renewed_ago(client, "statefulset") > 11
        await until(stale, "the paused leader's renew deadline to pass")
    finally:
        await cluster.kubelab("resume", "statefulset")
    await converged(cluster, client)
    assert (await client.get("Pod", "web-0", "default")).metadata.uid != web_0.metadata.uid


async def test_provisioner_killed_while_a_claim_waits(cluster, client):
    await cluster.kubelab("kill", "provisioner")
    await scale(cluster, "sts", 5)

    async def waiting():
        claims, _ = await client.list("PersistentVolumeClaim", "default")
        return any(c.metadata.name == "www-web-4" and c.status.phase == "Pending" for c in claims)
    await until(waiting, "web-4's claim waiting for the provisioner", timeout=60)
    await cluster.kubelab("start", "provisioner")
    await converged(cluster, client)


async def test_node_agent_killed_while_its_pods_change(cluster, client):
    on_node_1 = [p for p in await pods_of(client, "pause") if p.spec.node_name == "node-1"]
    await cluster.kubelab("kill", "node-1")
    if on_node_1:  # graceful: it stays Terminating until its kubelet has stopped it
        await cluster.kubelab("delete", "pod", on_node_1[0].metadata.name, "--wait=false")
    await scale(cluster, "deploy", 12)
    await cluster.kubelab("start", "node-1")
    await converged(cluster, client)


async def test_apiserver_killed_and_started(cluster, client):
    await cluster.kubelab("kill", "apiserver")
    await until(lambda: _health(cluster, "scheduler", "NOT_SERVING"), "the scheduler to notice")
    await cluster.kubelab("start", "apiserver")
    await scale(cluster, "deploy", 4)
    await scale(cluster, "sts", 3)
    await converged(cluster, client)


async def test_apiserver_paused_while_a_replicaset_creates_pods(cluster, client):
    """SIGSTOP of the API server in the middle of a scale-up, for longer than the renew deadline: the
    replicaset controller stops leading with creates in flight, and leading again it creates the rest at
    once, not after its expectations of those creates expire (5 minutes)."""
    rows = await ps(cluster)
    _, rv = await client.list("Pod", "default", label_selector="app=pause")

    async def pause_at_the_first_create():
        async for ev in client.watch("Pod", "default", label_selector="app=pause", resource_version=rv):
            if ev.type == "ADDED":  # `kubelab pause apiserver`, at the moment it matters
                os.kill(rows["apiserver"]["pid"], signal.SIGSTOP)
                return

    async def not_leading():
        return await asyncio.to_thread(check_health, rows["replicaset"]["address"], 3, "leader") != SERVING

    watch = asyncio.create_task(pause_at_the_first_create())
    try:
        await scale(cluster, "deploy", 20)
        await asyncio.wait_for(watch, 30)
        await until(not_leading, "the replicaset controller to stop leading")
    finally:
        watch.cancel()
        await cluster.kubelab("resume", "apiserver")
    await converged(cluster, client)


async def test_apiserver_partitioned_from_redis(cluster, client):
    await cluster.kubelab("partition", "apiserver")
    await until(lambda: _health(cluster, "apiserver", "NOT_SERVING"), "the API server to lose Redis")
    await cluster.kubelab("heal", "apiserver")
    web_1 = await client.get("Pod", "web-1", "default")
    await cluster.kubelab("delete", "pod", "web-1", "--wait=false")
    await scale(cluster, "deploy", 10)
    await converged(cluster, client)
    assert (await client.get("Pod", "web-1", "default")).metadata.uid != web_1.metadata.uid


async def test_redis_killed_and_started(cluster, client):
    before = {p.metadata.name: p.metadata.uid for p in await pods_of(client, "nginx")}
    await cluster.kubelab("kill", "redis")
    await until(lambda: _health(cluster, "apiserver", "NOT_SERVING"), "the API server to lose Redis")
    await cluster.kubelab("start", "redis")
    await scale(cluster, "deploy", 3)
    await converged(cluster, client)
    after = {p.metadata.name: p.metadata.uid for p in await pods_of(client, "nginx")}
    assert after == before, "append-only persistence keeps every object"


async def _health(cluster, name: str, health: str) -> bool:
    return (await ps(cluster))[name]["health"] == health
