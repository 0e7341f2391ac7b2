"""Informers against a real API server: the cache follows the API through churn, expiry and restarts,
and handlers see each change exactly once."""
from __future__ import annotations

import asyncio
import contextlib
import random
import signal

import pytest

from kubelab.client import ApiError, Client
from kubelab.errors import is_already_exists, is_conflict, is_not_found, is_service_unavailable
from kubelab.informer import BY_LABEL, BY_NAMESPACE, InformerFactory, SharedInformer, key_of
from tests.integration.runtime.conftest import new_namespace, service
from tests.support import wait_for
from tests.support import ApiServerProcess


class Mirror:
    """Rebuilds the cache from handler calls alone; records every call and any impossible one."""

    def __init__(self, informer: SharedInformer):
        self.objects: dict[str, tuple[str, str]] = {}  # key -> (uid, resourceVersion)
        self.calls: list[tuple[str, str]] = []
        self.errors: list[str] = []
        informer.add_event_handler(on_add=self.add, on_update=self.update, on_delete=self.delete)

    def add(self, obj):
        key = key_of(obj)
        if key in self.objects:
            self.errors.append(f"add of known {key}")
        self.objects[key] = (obj.metadata.uid, obj.metadata.resource_version)
        self.calls.append(("add", key))

    def update(self, old, new):
        key = key_of(new)
        if self.objects.get(key) != (old.metadata.uid, old.metadata.resource_version):
            self.errors.append(f"update of {key} from a state the mirror does not hold")
        if int(new.metadata.resource_version) <= int(old.metadata.resource_version):
            self.errors.append(f"update of {key} to an older version")
        self.objects[key] = (new.metadata.uid, new.metadata.resource_version)
        self.calls.append(("update", key))

    def delete(self, obj):
        key = key_of(obj)
        if self.objects.pop(key, None) is None:
            self.errors.append(f"delete of unknown {key}")
        self.calls.append(("delete", key))


def versions(objs) -> dict[str, tuple[str, str]]:
    return {key_of(o): (o.metadata.uid, o.metadata.resource_version) for o in objs}


async def converged(client: Client, informer: SharedInformer, mirror: Mirror, ns: str) -> bool:
    items, _ = await client.list("Service", ns)
    return versions(informer.list()) == versions(items) == mirror.objects


@contextlib.asynccontextmanager
async def running(client: Client, ns: str):
    factory = InformerFactory(client)
    informer = factory.informer("Service", ns)
    mirror = Mirror(informer)
    async with asyncio.TaskGroup() as tg:
        factory.start(tg)
        assert await informer.wait_for_cache_sync(20)
        yield informer, mirror
        factory.stop()


async def churn(client: Client, ns: str, ops: int, names: int = 25, seed: int = 0, tolerate_outage=False):
    rnd = random.Random(seed)
    for i in range(ops):
        name = f"s{rnd.randrange(names)}"
        try:
            op = rnd.choice(["create", "update", "update", "delete"])
            if op == "create":
                await client.create(service(ns, name, {"v": str(i % 3)}))
            elif op == "update":
                svc = await client.get("Service", name, ns)
                svc.metadata.labels["v"] = str(i % 3)
                await client.update(svc)
            else:
                await client.delete("Service", name, ns)
        except ApiError as e:
            raced = is_already_exists(e) or is_not_found(e) or is_conflict(e)
            if not (raced or (is_service_unavailable(e) and tolerate_outage)):
                raise


async def test_cache_equals_fresh_list_after_random_churn(client):
    ns = await new_namespace(client)
    for i in range(5):
        await client.create(service(ns, f"s{i}", {"v": "0"}))
    async with running(client, ns) as (informer, mirror):
        assert mirror.calls == [("add", f"{ns}/s{i}") for i in range(5)]
        await asyncio.gather(*(churn(client, ns, 80, seed=s) for s in range(4)))
        await wait_for(lambda: converged(client, informer, mirror, ns), 20, "cache == list")
        assert mirror.errors == []
        items, _ = await client.list("Service", ns)
        for v in "012":
            expected = sorted(key_of(o) for o in items if o.metadata.labels["v"] == v)
            assert [key_of(o) for o in informer.by_index(BY_LABEL, f"v={v}")] == expected
        assert len(informer.by_index(BY_NAMESPACE, ns)) == len(items)
        assert informer.relists == 1


async def test_cache_hands_out_copies(client):
    ns = await new_namespace(client)
    await client.create(service(ns, "a", {"v": "0"}))
    async with running(client, ns) as (informer, _):
        informer.get(f"{ns}/a").metadata.labels["v"] = "changed"
        informer.list()[0].metadata.labels["v"] = "changed"
        assert informer.get(f"{ns}/a").metadata.labels["v"] == "0"


@pytest.fixture
def two_apiservers(own_redis):
    """Two API servers on one Redis with a 20-change history; tests kill and restart the first."""
    own_redis_url = own_redis.url
    a = ApiServerProcess(own_redis_url, "--history", "20").start()
    b = ApiServerProcess(own_redis_url, "--history", "20").start()
    yield a, b
    a.stop()
    b.stop()


async def test_relist_after_expired_delivers_the_right_calls(two_apiservers):
    a, b = two_apiservers
    async with Client(a.address, retry_deadline=30) as ca, Client(b.address) as cb:
        ns = await new_namespace(cb)
        for name in ["keep", "modify", "delete", "recreate"]:
            await cb.create(service(ns, name, {"v": "0"}))
        async with running(ca, ns) as (informer, mirror):
            await wait_for(lambda: converged(cb, informer, mirror, ns), 10, "initial sync")
            mirror.calls.clear()
            a.stop(signal.SIGKILL)  # the informer's watch breaks; its resourceVersion ages meanwhile
            svc = await cb.get("Service", "modify", ns)
            svc.metadata.labels["v"] = "1"
            await cb.update(svc)
            await cb.delete("Service", "delete", ns)
            await cb.delete("Service", "recreate", ns)
            await cb.create(service(ns, "recreate", {"v": "0"}))
            await cb.create(service(ns, "new", {"v": "0"}))
            filler = await new_namespace(cb, "filler")
            for i in range(30):  # push the informer's version out of the 20-change history
                await cb.create(service(filler, f"f{i}"))
            a.start()
            await wait_for(lambda: converged(cb, informer, mirror, ns), 30, "cache == list after relist")
            assert sorted(mirror.calls) == sorted([
                ("update", f"{ns}/modify"), ("delete", f"{ns}/delete"),
                ("delete", f"{ns}/recreate"), ("add", f"{ns}/recreate"), ("add", f"{ns}/new")])
            assert mirror.calls.index(("delete", f"{ns}/recreate")) < mirror.calls.index(("add", f"{ns}/recreate"))
            assert mirror.errors == []
            assert informer.relists == 2 and informer.watch_restarts >= 1


async def test_apiserver_killed_and_restarted_mid_watch(own_redis):
    server = ApiServerProcess(own_redis.url, "--history", "10000").start()
    try:
        async with Client(server.address, retry_deadline=30) as client:
            ns = await new_namespace(client)
            async with running(client, ns) as (informer, mirror):
                writer = asyncio.create_task(churn(client, ns, 150, seed=7, tolerate_outage=True))
                await wait_for(lambda: _true(len(mirror.calls) >= 10), 20, "some churn")
                server.stop(signal.SIGKILL)
                server.start()
                await writer
                await wait_for(lambda: converged(client, informer, mirror, ns), 30, "cache == list after restart")
                assert mirror.errors == []
                assert informer.watch_restarts >= 1
                assert informer.relists == 1  # resumed from its resourceVersion: no relist needed
    finally:
        server.stop()


async def _true(value: bool) -> bool:
    return value
