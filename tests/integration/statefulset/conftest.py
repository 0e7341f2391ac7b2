"""The StatefulSet controller as a real process against a real API server (on Redis); the tests play
the kubelet (pods Running and Ready through update_status) and the binder (claims Bound).

No fixed sleeps: conditions are polled with a deadline, and "X did not happen" is checked at a sync
point: after a harmless spec change (generation + 1), `status.observedGeneration` catching up means the
controller has finished a whole sync that saw the current state (actions come before the status write).
"""
from __future__ import annotations

import uuid

import pytest
import yaml

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.errors import ApiError, is_conflict
from kubelab.manifest import from_dict
from tests.integration.statefulset.fakes import Binder, Kubelet, set_state
from tests.support import ComponentProcess, running, wait_for

WEB = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: nginx
  serviceName: nginx
  replicas: 3
  template:
    metadata:
      labels:
        app: nginx
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.24
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
"""


class ControllerProcess(ComponentProcess):
    """`python -m services.statefulset`, SERVING once start() returns."""

    def __init__(self, apiserver: str, *args: str):
        super().__init__("statefulset", apiserver, *args, name="statefulset controller")

    def start(self) -> ControllerProcess:
        super().start()
        self.wait_serving()
        return self


@pytest.fixture
def controller(apiserver):
    """A running controller; the test may kill and restart it (`controller.start()` again)."""
    c = ControllerProcess(apiserver.address).start()
    yield c
    c.stop()


@pytest.fixture
async def ns(client) -> str:
    namespace = core_pb2.Namespace()
    namespace.metadata.name = f"sts-{uuid.uuid4().hex[:8]}"
    await client.create(namespace)
    return namespace.metadata.name


def web(replicas: int = 3, **spec) -> object:
    data = yaml.safe_load(WEB)
    data["spec"]["replicas"] = replicas
    data["spec"].update(spec)
    return from_dict(data)


async def pods_of(client: Client, ns: str, name: str = "web") -> dict[str, core_pb2.Pod]:
    items, _ = await client.list("Pod", ns)
    return {p.metadata.name: p for p in items if p.metadata.name.startswith(name + "-")}


async def claims_of(client: Client, ns: str) -> dict[str, core_pb2.PersistentVolumeClaim]:
    items, _ = await client.list("PersistentVolumeClaim", ns)
    return {c.metadata.name: c for c in items}


async def get_set(client: Client, ns: str, name: str = "web"):
    return await client.get("StatefulSet", name, ns)


async def update_set(client: Client, ns: str, change, name: str = "web"):
    """Read-modify-write with the resourceVersion read; retried on conflict (the controller writes status)."""
    for _ in range(20):
        sts = await get_set(client, ns, name)
        change(sts)
        try:
            return await client.update(sts)
        except ApiError as e:
            if not is_conflict(e):
                raise
    raise AssertionError("could not update the StatefulSet: conflicts")


async def synced(client: Client, ns: str, name: str = "web", timeout: float = 20.0):
    """A sync point: bump the generation harmlessly (the partition, while no rollout is pending, changes
    nothing) and wait until the controller has observed it. Returns the set."""
    def flip(sts):
        ru = sts.spec.update_strategy.rolling_update
        ru.partition = 0 if ru.partition else 1000
    updated = await update_set(client, ns, flip, name)

    async def observed():
        sts = await get_set(client, ns, name)
        return sts if sts.status.observed_generation >= updated.metadata.generation else None
    return await wait_for(observed, timeout, f"{name} to observe generation {updated.metadata.generation}")


async def make_ready(client: Client, ns: str, name: str) -> core_pb2.Pod:
    """Wait for pod `name` to exist, then report it Running and Ready."""
    async def created():
        return (await pods_of(client, ns)).get(name)
    pod = await wait_for(created, what=f"pod {name} to be created")
    await set_state(client, pod)
    return pod


@pytest.fixture
async def kubelet(client, ns):
    async with running(Kubelet(client, ns)) as k:
        yield k


@pytest.fixture
async def binder(client, ns):
    async with running(Binder(client, ns)) as b:
        yield b
