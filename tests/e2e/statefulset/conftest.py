"""A real local cluster (`kubelab up -d`: API server, scheduler, storage controllers, the StatefulSet
controller, two kubelets) in a temporary state dir, driven through the `kubelab` command as a user
drives it, and watched through the API client for the assertions."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.cluster import registry

ROOT = Path(__file__).resolve().parents[3]
KUBELAB = [shutil.which("kubelab")] if shutil.which("kubelab") else [sys.executable, "-m", "kubelab.cli"]
WEB_YAML = ROOT / "examples" / "statefulset" / "web.yaml"
NEEDED = ("apiserver", "scheduler", "provisioner", "statefulset", "kubelet")


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

    async def kubelab(self, *args: str, timeout: float = 90) -> str:
        """`kubelab ARGS` without blocking the event loop (watches run meanwhile); its stdout."""
        result = await asyncio.to_thread(self.run, *args, timeout=timeout)
        return result.stdout

    def node_dir(self, node: str) -> Path:
        return self.state_dir / "nodes" / node


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    missing = [c for c in NEEDED if not registry.is_available(registry.component(c))]
    if missing:
        pytest.skip(f"components not written yet: {', '.join(missing)}")
    c = Cluster(tmp_path_factory.mktemp("sts-e2e") / "state")
    try:
        c.run("up", "-d", "--nodes", "2", timeout=120)
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
    namespace.metadata.name = f"web-{uuid.uuid4().hex[:6]}"
    await client.create(namespace)
    return namespace.metadata.name


class PodHistory:
    """Every pod event of a namespace, in the API's order, with each pod's state at the time."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns = client, ns
        self.events: list[tuple[str, str, bool]] = []  # (type, pod, running and ready)
        self.violations: list[str] = []

    def ready(self, name: str) -> bool:
        """The last state the stream showed for `name`: Running and Ready."""
        return next((r for t, n, r in reversed(self.events) if n == name), False)

    async def run(self) -> None:
        async for ev in self.client.watch("Pod", self.ns):
            pod = ev.object
            name = pod.metadata.name
            ready = pod.status.phase == "Running" and any(
                c.type == "Ready" and c.status == "True" for c in pod.status.conditions) and \
                not pod.metadata.HasField("deletion_timestamp")
            if ev.type == "ADDED":
                ordinal = int(name.rsplit("-", 1)[1])
                if ordinal > 0 and not self.ready(f"web-{ordinal - 1}"):
                    self.violations.append(f"{name} created while web-{ordinal - 1} was not Running and Ready")
            self.events.append((ev.type, name, ready and ev.type != "DELETED"))

    def created(self) -> list[str]:
        return [n for t, n, _ in self.events if t == "ADDED"]

    def deleted(self) -> list[str]:
        return [n for t, n, _ in self.events if t == "DELETED"]


@pytest.fixture
async def history(client, ns):
    h = PodHistory(client, ns)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(h.run())
        yield h
        task.cancel()


async def wait_for(cond, timeout: float = 60.0, what: str = "condition"):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await cond()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read().decode()
