"""The seed's experiment on a real local cluster (`kubelab up -d --nodes 3`: API server, scheduler, storage
controllers, Deployment/ReplicaSet controllers, garbage collector, three kubelets running real processes),
driven through the `kubelab` command with the manifests in examples/seed, and watched through the API
client and the cluster's state dir (where the disks live) for the assertions."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.cluster import registry

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "examples" / "seed"
KUBELAB = [shutil.which("kubelab")] if shutil.which("kubelab") else [sys.executable, "-m", "kubelab.cli"]
NEEDED = ("apiserver", "scheduler", "provisioner", "replicaset", "lifecycle", "kubelet")
APP = "app=random-number-generator"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for var in ("KUBELAB_STATE_DIR", "KUBELAB_SERVER", registry.OVERRIDES_ENV):
        env.pop(var, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    return env


class Cluster:
    def __init__(self, state_dir: Path):
        self.state_dir, self.env = state_dir, _env()
        self.apiserver = ""

    def run(self, *args: str, check: bool = True, timeout: float = 90) -> subprocess.CompletedProcess:
        cmd = [*KUBELAB, "--state-dir", str(self.state_dir), *args]
        result = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        if check and result.returncode != 0:
            raise AssertionError(f"kubelab {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                                 f"{result.stderr}")
        return result

    async def kubelab(self, *args: str, check: bool = True, timeout: float = 90) -> subprocess.CompletedProcess:
        """`kubelab ARGS` without blocking the event loop."""
        return await asyncio.to_thread(self.run, *args, check=check, timeout=timeout)

    def disk(self, pv: str) -> Path:
        """Where a network disk lives: outside every node (docs/conventions.md)."""
        return self.state_dir / "disks" / pv


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    missing = [c for c in NEEDED if not registry.is_available(registry.component(c))]
    if missing:
        pytest.skip(f"components not written yet: {', '.join(missing)}")
    c = Cluster(tmp_path_factory.mktemp("seed-e2e") / "state")
    try:
        c.run("up", "-d", "--nodes", "3", timeout=120)
        rows = json.loads(c.run("ps", "--format", "json", "--timeout", "3").stdout)
        c.apiserver = next(r["address"] for r in rows if r["name"] == "apiserver")
        yield c
    finally:
        c.run("down", "--purge", "--timeout", "5", check=False)


@pytest.fixture
async def client(cluster):
    c = Client(cluster.apiserver, retry_deadline=20)
    yield c
    await c.close()


@pytest.fixture
async def ns(client) -> str:
    namespace = core_pb2.Namespace()
    namespace.metadata.name = f"seed-{uuid.uuid4().hex[:6]}"
    await client.create(namespace)
    return namespace.metadata.name


async def wait_for(cond, timeout: float = 60.0, what: str = "condition"):
    """Poll an async condition (every 200 ms) until truthy; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await cond()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


async def pods(client: Client, ns: str) -> list[core_pb2.Pod]:
    items, _ = await client.list("Pod", ns, label_selector=APP)
    return [p for p in items if not p.metadata.HasField("deletion_timestamp")]


def running(pod: core_pb2.Pod) -> bool:
    return pod.status.phase == "Running" and any(c.type == "Ready" and c.status == "True"
                                                 for c in pod.status.conditions)


def waiting_reason(pod: core_pb2.Pod) -> str:
    """ContainerCreating and the like: what `kubelab get pods` shows for a pod that has not started."""
    for cs in pod.status.container_statuses:
        if cs.state.HasField("waiting"):
            return cs.state.waiting.reason
    return ""


async def events_of(client: Client, ns: str, name: str) -> list[str]:
    items, _ = await client.list("Event", ns)
    return [f"{e.reason}: {e.message}" for e in items if e.involved_object.name == name]


async def volume_of(client: Client, ns: str) -> str:
    async def bound():
        claim = await client.get("PersistentVolumeClaim", "data-volume", ns)
        return claim.spec.volume_name if claim.status.phase == "Bound" else None
    return await wait_for(bound, 60, "the claim to be bound")


def lines(path: Path) -> int:
    try:
        return len(path.read_text().splitlines())
    except FileNotFoundError:
        return 0
