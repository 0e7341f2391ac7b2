"""The Deployment/ReplicaSet controllers (and the garbage collector) as real processes against a real API
server; the tests play the scheduler and the kubelets (`Nodes`: bind pods, report them Running and Ready,
confirm graceful deletions).

No fixed sleeps: conditions are polled with a deadline. "X did not happen" is checked at a sync point:
after a change the controller must react to (a generation bump), `status.observedGeneration` catching up
means a whole sync ran over a state that includes everything before it.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import sys
import uuid

import pytest
import yaml

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.errors import ApiError, is_conflict, is_not_found
from kubelab.manifest import from_dict
from tests.support import ComponentProcess, ROOT, running, wait_for

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: nginx
        image: nginx:1.25
"""


class ControllerProcess(ComponentProcess):
    """A controller process that is SERVING once start() returns."""

    def start(self) -> ControllerProcess:
        super().start()
        self.wait_serving()
        return self


@pytest.fixture
def controllers(apiserver):
    """Start `services.<module>` processes with `start(module, *flags)`; all stopped at the end."""
    started: list[ControllerProcess] = []

    def start(module: str = "replicaset", *args: str, address: str | None = None) -> ControllerProcess:
        c = ControllerProcess(module, address or apiserver.address, *args).start()
        started.append(c)
        return c
    yield start
    for c in started:
        c.stop()


@pytest.fixture
def controller(controllers):
    return controllers("replicaset")


@pytest.fixture
async def ns(client) -> str:
    namespace = core_pb2.Namespace()
    namespace.metadata.name = f"rs-{uuid.uuid4().hex[:8]}"
    await client.create(namespace)
    return namespace.metadata.name


def web(replicas: int = 3, **spec):
    data = yaml.safe_load(WEB)
    data["spec"]["replicas"] = replicas
    for key, value in spec.items():
        data["spec"][key] = value
    return from_dict(data)


async def pods_of(client: Client, ns: str, active_only: bool = True) -> list[core_pb2.Pod]:
    items, _ = await client.list("Pod", ns)
    return [p for p in items if not active_only or
            (not p.metadata.HasField("deletion_timestamp") and p.status.phase not in ("Failed", "Succeeded"))]


async def update(client: Client, kind: str, ns: str, name: str, change):
    """Read-modify-write, retried on conflict (the controllers write status meanwhile)."""
    for _ in range(30):
        obj = await client.get(kind, name, ns)
        change(obj)
        try:
            return await client.update(obj)
        except ApiError as e:
            if not is_conflict(e):
                raise
    raise AssertionError(f"could not update {kind} {name}: conflicts")


async def observed(client: Client, kind: str, ns: str, name: str, generation: int | None = None, timeout=20.0):
    """Wait until the controller has synced `generation` (default: the current one); returns the object."""
    async def done():
        obj = await client.get(kind, name, ns)
        want = generation or obj.metadata.generation
        return obj if obj.status.observed_generation >= want else None
    return await wait_for(done, timeout, f"{kind} {name} to be observed")


async def set_state(client: Client, pod: core_pb2.Pod, phase: str = "Running", ready: bool = True) -> None:
    """Play the kubelet: report the pod's phase and Ready condition."""
    for _ in range(20):
        pod.status.phase = phase
        del pod.status.conditions[:]
        cond = pod.status.conditions.add(type="Ready", status="True" if ready else "False")
        cond.last_transition_time.GetCurrentTime()
        try:
            await client.update_status(pod)
            return
        except ApiError as e:
            if is_not_found(e):
                return
            if not is_conflict(e):
                raise
            pod = await client.get("Pod", pod.metadata.name, pod.metadata.namespace)
    raise AssertionError(f"could not update the status of {pod.metadata.name}")


class Nodes:
    """Stand-ins for the scheduler and the kubelets of `nodes`: new pods are bound round-robin and
    reported Running and Ready (unless `ready(pod)` says no); graceful deletions are confirmed at once.
    `created`/`deleted` record pod names in watch order; `max_active` the most active pods ever seen."""

    def __init__(self, client: Client, ns: str, nodes=("node-1", "node-2", "node-3")):
        self.client, self.ns = client, ns
        self._next = itertools.cycle(nodes)
        self.ready = lambda pod: True
        self.confirm = lambda pod: True
        """Whether to confirm a graceful deletion now (False: the pod stays Terminating)."""
        self.log: list[tuple[str, str, str]] = []
        """(ADDED|DELETED, pod name, image) in watch order."""
        self.created: list[str] = []
        self.deleted: list[str] = []
        self.active: dict[str, core_pb2.Pod] = {}
        self.max_active = 0

    async def run(self) -> None:
        async for ev in self.client.watch("Pod", self.ns):
            pod = ev.object
            if pod is None:
                continue
            name = pod.metadata.name
            if ev.type in ("ADDED", "DELETED"):
                self.log.append((ev.type, name, pod.spec.containers[0].image if pod.spec.containers else ""))
            if ev.type == "ADDED":
                self.created.append(name)
            if ev.type == "DELETED":
                self.deleted.append(name)
                self.active.pop(name, None)
                continue
            if pod.metadata.HasField("deletion_timestamp") or pod.status.phase in ("Failed", "Succeeded"):
                self.active.pop(name, None)
            else:
                self.active[name] = pod
            self.max_active = max(self.max_active, len(self.active))
            try:
                await self._step(pod)
            except ApiError as e:
                if not (is_not_found(e) or is_conflict(e)):
                    raise

    async def _step(self, pod: core_pb2.Pod) -> None:
        m = pod.metadata
        if m.HasField("deletion_timestamp"):
            if self.confirm(pod):
                await self.client.delete("Pod", m.name, self.ns, grace_period_seconds=0, uid=m.uid)
        elif not pod.spec.node_name:
            await self.client.bind(self.ns, m.name, next(self._next), uid=m.uid)
        elif pod.status.phase == "Pending" and self.ready(pod):
            await set_state(self.client, pod)

    async def make_ready(self, name: str) -> None:
        await set_state(self.client, await self.client.get("Pod", name, self.ns))

    async def confirm_terminations(self) -> None:
        """Confirm the graceful deletions held so far (and any later ones)."""
        self.confirm = lambda pod: True
        for pod in await pods_of(self.client, self.ns, active_only=False):
            if pod.metadata.HasField("deletion_timestamp"):
                await self.client.delete("Pod", pod.metadata.name, self.ns, grace_period_seconds=0)


@pytest.fixture
async def nodes(client, ns):
    async with running(Nodes(client, ns)) as n:
        yield n


class ReplicaSetSizes:
    """The most pods the namespace's ReplicaSets asked for at once: the sum of their spec.replicas, in the
    order the API server wrote them. That is what a Deployment's maxSurge bounds, in Kubernetes as here.
    The pods themselves may number one more for a moment: the Deployment scales one set down, then another
    up in its next sync, and the two ReplicaSet syncs that follow (a pod deleted, a pod created) may land
    in either order."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns = client, ns
        self.replicas: dict[str, int] = {}
        self.max_total = 0

    async def run(self) -> None:
        async for ev in self.client.watch("ReplicaSet", self.ns):
            rs = ev.object
            if rs is None:
                continue
            if ev.type == "DELETED":
                self.replicas.pop(rs.metadata.name, None)
            else:
                self.replicas[rs.metadata.name] = rs.spec.replicas
            self.max_total = max(self.max_total, sum(self.replicas.values()))


@pytest.fixture
async def replica_sets(client, ns):
    async with running(ReplicaSetSizes(client, ns)) as r:
        yield r


async def events_for(client: Client, ns: str, name: str) -> list[str]:
    items, _ = await client.list("Event", ns)
    items.sort(key=lambda e: (e.first_timestamp.seconds, e.first_timestamp.nanos, e.metadata.name))
    return [f"{e.reason} {e.message}" for e in items if e.involved_object.name == name]


async def kubelab(apiserver, *args: str) -> tuple[int, str, str]:
    """The kubelab command against this API server: (exit status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kubelab.cli", "--server", apiserver.address, *args, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()
