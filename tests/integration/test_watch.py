"""Watch histories: order, no gaps, no repeats, expiry, slow watchers, restarts."""
import asyncio
import uuid

import grpc
import pytest

from kubelab.api.v1 import core_pb2
from kubelab.client import ApiError, Client
from tests.support import ApiServerProcess


def configmap_like(ns: str, name: str, value: str = "0") -> core_pb2.Service:
    """Services are the cheapest kind to churn: no node, no controller touches them."""
    svc = core_pb2.Service()
    svc.metadata.name = name
    svc.metadata.namespace = ns
    svc.metadata.labels["v"] = value
    svc.spec.ports.add(port=80)
    return svc


async def new_namespace(client) -> str:
    ns = core_pb2.Namespace()
    ns.metadata.name = f"w-{uuid.uuid4().hex[:8]}"
    await client.create(ns)
    return ns.metadata.name


async def collect(client, n, **kw):
    """The first n events of a watch, as (type, name, rv)."""
    out = []
    async for ev in client.watch("Service", **kw):
        if ev.type == "BOOKMARK":
            continue
        out.append((ev.type, ev.object.metadata.name, int(ev.resource_version)))
        if len(out) == n:
            return out
    return out


async def test_initial_events_then_changes(client):
    ns = await new_namespace(client)
    await client.create(configmap_like(ns, "a"))
    await client.create(configmap_like(ns, "b"))
    task = asyncio.create_task(collect(client, 4, namespace=ns))
    await asyncio.sleep(0)  # let the watch open before the change; order is checked below either way
    s = await client.get("Service", "a", ns)
    s.metadata.labels["v"] = "1"
    await client.update(s)
    await client.delete("Service", "b", ns)
    events = await asyncio.wait_for(task, 10)
    assert sorted(events[:2]) == sorted([("ADDED", "a", events[0][2] if events[0][1] == "a" else events[1][2]),
                                         ("ADDED", "b", events[1][2] if events[1][1] == "b" else events[0][2])])
    assert [(t, n) for t, n, _ in events[2:]] == [("MODIFIED", "a"), ("DELETED", "b")]


async def test_concurrent_writers_and_watchers_at_different_versions(client):
    ns = await new_namespace(client)
    _, start_rv = await client.list("Service", ns)
    writes: list[tuple[str, str, int]] = []

    async def writer(w: int):
        for i in range(15):
            name = f"w{w}-{i}"
            obj = await client.create(configmap_like(ns, name))
            writes.append(("ADDED", name, int(obj.metadata.resource_version)))
            obj.metadata.labels["v"] = "x"
            obj = await client.update(obj)
            writes.append(("MODIFIED", name, int(obj.metadata.resource_version)))

    async def watcher(from_rv: str, n: int):
        return await collect(client, n, namespace=ns, resource_version=from_rv)

    total = 4 * 15 * 2
    early = asyncio.create_task(watcher(start_rv, total))
    await asyncio.gather(*(writer(w) for w in range(4)))
    writes.sort(key=lambda e: e[2])
    mid_rv = writes[total // 2][2]
    late = await asyncio.wait_for(watcher(str(mid_rv), total - total // 2 - 1), 20)
    seen = await asyncio.wait_for(early, 20)
    assert seen == writes  # every event once, in revision order, no gap
    assert late == writes[total // 2 + 1:]
    revs = [rv for _, _, rv in seen]
    assert revs == sorted(set(revs))


async def test_label_selector_transitions(client):
    ns = await new_namespace(client)
    task = asyncio.create_task(collect(client, 3, namespace=ns, label_selector="v=1",
                                       resource_version=(await client.list("Service", ns))[1]))
    s = await client.create(configmap_like(ns, "t", "0"))
    s.metadata.labels["v"] = "1"
    s = await client.update(s)          # enters the selection: ADDED
    s.metadata.labels["extra"] = "y"
    s = await client.update(s)          # stays: MODIFIED
    s.metadata.labels["v"] = "2"
    await client.update(s)              # leaves: DELETED
    assert [(t, n) for t, n, _ in await asyncio.wait_for(task, 10)] == [
        ("ADDED", "t"), ("MODIFIED", "t"), ("DELETED", "t")]


async def test_too_old_resource_version(client, apiserver):
    ns = await new_namespace(client)
    _, old_rv = await client.list("Service", ns)
    s = await client.create(configmap_like(ns, "churn"))
    for i in range(520):  # the fixture's API server keeps 500 changes
        s.metadata.labels["v"] = str(i)
        s = await client.update(s)
    with pytest.raises(ApiError) as e:
        async for _ in client.watch("Service", namespace=ns, resource_version=old_rv):
            pass
    assert e.value.code == grpc.StatusCode.OUT_OF_RANGE and e.value.reason == "Expired"
    assert e.value.message.startswith(f"too old resource version: {old_rv} (")


async def test_bookmarks(redis_server):
    url = redis_server.url.rsplit("/", 1)[0] + "/15"
    server = ApiServerProcess(url, "--bookmark-interval", "0.2").start()
    try:
        async with Client(server.address) as c:
            _, rv = await c.list("Service")
            async for ev in c.watch("Service", resource_version=rv, allow_bookmarks=True):
                assert ev.type == "BOOKMARK" and int(ev.resource_version) >= int(rv)
                break
    finally:
        server.stop()
