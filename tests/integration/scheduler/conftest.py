"""Fixtures for the scheduler's integration tests: a fresh API server per test (on a Redis of this
package's own), scheduler processes, and Node objects created directly through the API (Ready, with
allocatable resources and the hostname label) instead of kubelets."""
from __future__ import annotations


import pytest
import redis

from kubelab.api.v1 import core_pb2
from kubelab.client import Client
from kubelab.cluster.healthcheck import SERVING, check_health
from kubelab.process import LEADER_SERVICE
from tests.support import ApiServerProcess, ComponentProcess, RedisProcess, wait_for


@pytest.fixture(scope="module")
def own_redis():
    server = RedisProcess(persistent=False).start()
    yield server
    server.stop()


class SchedulerProcess(ComponentProcess):
    def __init__(self, apiserver: str, *args: str, name: str = "scheduler"):
        super().__init__("scheduler", apiserver, *args, name=name)

    def is_leader(self) -> bool:
        return check_health(self.address, timeout=0.5, service=LEADER_SERVICE) == SERVING


class Cluster:
    def __init__(self, apiserver: ApiServerProcess):
        self.apiserver = apiserver
        self.schedulers: list[SchedulerProcess] = []

    def scheduler(self, *args: str, wait: bool = True, name: str = "scheduler") -> SchedulerProcess:
        s = SchedulerProcess(self.apiserver.address, *args, name=name).start()
        self.schedulers.append(s)
        if wait:
            s.wait_serving()
        return s


_db = iter(range(1, 10_000))


@pytest.fixture
def cluster(own_redis):
    url = own_redis.url.rsplit("/", 1)[0] + f"/{next(_db) % 16}"
    redis.Redis.from_url(url).flushdb()
    api = ApiServerProcess(url).start()
    c = Cluster(api)
    yield c
    for s in c.schedulers:
        s.stop()
    api.stop()


@pytest.fixture
async def client(cluster):
    c = Client(cluster.apiserver.address, retry_deadline=20)
    yield c
    await c.close()


async def create_node(client: Client, name: str, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
                      labels: dict | None = None, taints: list[tuple[str, str, str]] = ()) -> core_pb2.Node:
    n = core_pb2.Node()
    n.metadata.name = name
    n.metadata.labels.update({"kubernetes.io/hostname": name, **(labels or {})})
    for key, value, effect in taints:
        n.spec.taints.add(key=key, value=value, effect=effect)
    created = await client.create(n)
    for k, v in (("cpu", cpu), ("memory", memory), ("pods", pods)):
        created.status.allocatable[k] = v
        created.status.capacity[k] = v
    created.status.conditions.add(type="Ready", status="True", reason="KubeletReady")
    return await client.update_status(created)


def new_pod(name: str, cpu: str | None = "100m", *, ns: str = "default", node_selector: dict | None = None,
            claims: list[str] = (), tolerations: list[dict] = (), scheduler_name: str = "") -> core_pb2.Pod:
    p = core_pb2.Pod()
    p.metadata.name, p.metadata.namespace = name, ns
    c = p.spec.containers.add(name="app", image="busybox", command=["sleep", "3600"])
    if cpu:
        c.resources.requests["cpu"] = cpu
    p.spec.node_selector.update(node_selector or {})
    for claim in claims:
        p.spec.volumes.add(name=claim, persistent_volume_claim=core_pb2.PersistentVolumeClaimVolumeSource(
            claim_name=claim))
    for t in tolerations:
        p.spec.tolerations.add(**t)
    if scheduler_name:
        p.spec.scheduler_name = scheduler_name
    return p


async def wait_bound(client: Client, name: str, ns: str = "default", timeout: float = 20.0) -> str:
    async def bound():
        return (await client.get("Pod", name, ns)).spec.node_name
    return await wait_for(bound, timeout, f"pod {ns}/{name} to be bound")


async def wait_condition(client: Client, name: str, ns: str = "default", timeout: float = 20.0):
    """The pod's PodScheduled condition once it is False."""
    async def unschedulable():
        p = await client.get("Pod", name, ns)
        return next((c for c in p.status.conditions if c.type == "PodScheduled" and c.status == "False"), None)
    return await wait_for(unschedulable, timeout, f"pod {ns}/{name} to be unschedulable")


async def events_of(client: Client, name: str, ns: str = "default", reason: str | None = None) -> list:
    events, _ = await client.list("Event", ns)
    return [e for e in events if e.involved_object.name == name and (reason is None or e.reason == reason)]
