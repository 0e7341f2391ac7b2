"""Level-triggered and careful with its own writes: the controller killed and restarted converges without
duplicates (Endpoints of Services deleted meanwhile go too), a lagging slice cache never makes it create a
second slice, and a standby takes over from a killed leader."""
from __future__ import annotations

from kubelab.client import Client
from tests.integration.endpoints.conftest import endpoints_view, run_pod, service, wait_for, wait_views
from tests.integration.replicaset.lagproxy import LaggingProxy
from tests.support import running


class SliceCount:
    """The most slices a Service ever had at once, as the API server's watch tells it."""

    def __init__(self, client: Client, ns: str):
        self.client, self.ns = client, ns
        self.live: dict[str, str] = {}
        self.most: dict[str, int] = {}

    async def run(self) -> None:
        async for ev in self.client.watch("EndpointSlice", self.ns):
            es = ev.object
            if es is None:
                continue
            svc = es.metadata.labels.get("kubernetes.io/service-name", "")
            if ev.type == "DELETED":
                self.live.pop(es.metadata.name, None)
            else:
                self.live[es.metadata.name] = svc
            count = sum(1 for s in self.live.values() if s == svc)
            self.most[svc] = max(self.most.get(svc, 0), count)

    async def caught_up(self, *services: str) -> None:
        """Wait until the watch has had a live slice of each service (the reads before may be ahead of it)."""
        async def seen():
            return set(services) <= set(self.live.values())
        await wait_for(seen, 30, f"the slice watch to have seen the slices of {', '.join(services)}")


async def test_killed_and_restarted_converges_without_duplicates(client, ns, controllers, cluster_nodes):
    count = SliceCount(client, ns)
    async with running(count):
        ctrl = controllers("endpoints")
        await client.create(service("a", {"app": "a"}, [{"name": "http", "port": 80}]), ns)
        await client.create(service("b", {"app": "b"}, [{"name": "http", "port": 80}]), ns)
        for i in range(3):
            await run_pod(client, ns, f"a{i}", f"198.18.4.{i + 2}", labels={"app": "a"})
        await wait_views(client, ns, "a", {f"a{i}": [("http", 80)] for i in range(3)})
        await wait_views(client, ns, "b", {})
        ctrl.kill()  # SIGKILL: nothing flushed, nothing said goodbye
        await client.delete("Pod", "a0", ns, grace_period_seconds=0)
        for i in (3, 4):
            await run_pod(client, ns, f"a{i}", f"198.18.4.{i + 2}", labels={"app": "a"})
        await client.delete("Service", "b", ns)
        await client.create(service("c", {"app": "a"}, [{"name": "http", "port": 80}]), ns)
        controllers("endpoints")
        want = {f"a{i}": [("http", 80)] for i in (1, 2, 3, 4)}
        await wait_views(client, ns, "a", want)
        await wait_views(client, ns, "c", want)

        async def b_endpoints_gone():
            return await endpoints_view(client, ns, "b") is None
        await wait_for(b_endpoints_gone, 30, "the Endpoints of the deleted Service b to go")
        await count.caught_up("a", "c")
    assert count.most["a"] == 1 and count.most["c"] == 1


async def test_a_lagging_slice_cache_creates_no_duplicates(client, ns, controllers, cluster_nodes, apiserver):
    proxy = LaggingProxy(apiserver.address, 2.0, kinds=("EndpointSlice",))
    proxy.start()
    count = SliceCount(client, ns)
    try:
        async with running(count):
            controllers("endpoints", address=proxy.address)
            await client.create(service("lag", {"app": "lag"}, [{"name": "http", "port": 80}]), ns)
            # Pod changes keep bringing the Service back while the controller's slice cache is behind.
            for i in range(4):
                await run_pod(client, ns, f"p{i}", f"198.18.5.{i + 2}", labels={"app": "lag"})
            await wait_views(client, ns, "lag", {f"p{i}": [("http", 80)] for i in range(4)})
            await count.caught_up("lag")
        assert count.most["lag"] == 1
    finally:
        proxy.stop()


async def test_a_standby_takes_over_from_a_killed_leader(client, ns, controllers, cluster_nodes):
    flags = ("--leader-elect", "--leader-elect-lease-duration", "2s", "--leader-elect-renew-deadline", "1500ms",
             "--leader-elect-retry-period", "250ms", "--leader-elect-resource-name", f"endpoints-{ns}")
    first = controllers("endpoints", *flags)
    first.wait_serving("leader")
    second = controllers("endpoints", *flags)
    await client.create(service("ha", {"app": "ha"}, [{"name": "http", "port": 80}]), ns)
    await wait_views(client, ns, "ha", {})
    assert not second.serving("leader")
    first.kill()
    await run_pod(client, ns, "p", "198.18.6.2", labels={"app": "ha"})
    await wait_views(client, ns, "ha", {"p": [("http", 80)]})
    second.wait_serving("leader", timeout=10)
