"""WatchBatched: the events of Watch, several to a stream message, in order, once, resumable."""
import asyncio
import signal
import uuid

import pytest

from kubelab.api.v1 import apiserver_pb2, core_pb2
from kubelab.client import Client
from tests.support import ApiServerProcess, RedisProcess


def service(ns: str, name: str) -> core_pb2.Service:
    svc = core_pb2.Service()
    svc.metadata.name, svc.metadata.namespace = name, ns
    svc.spec.ports.add(port=80)
    return svc


async def new_namespace(client) -> str:
    ns = core_pb2.Namespace()
    ns.metadata.name = f"b-{uuid.uuid4().hex[:8]}"
    await client.create(ns)
    return ns.metadata.name


async def burst(client, ns: str, names) -> list[tuple[str, int]]:
    """Create all at once; (name, resourceVersion) in revision order."""
    objs = await asyncio.gather(*(client.create(service(ns, n)) for n in names))
    return sorted(((o.metadata.name, int(o.metadata.resource_version)) for o in objs), key=lambda e: e[1])


async def read_batches(call, n: int, on_batch=None) -> list[list[tuple[str, int]]]:
    """Messages of a raw WatchBatched stream until n events, each as its (name, rv) events."""
    batches, count = [], 0
    async for batch in call:
        assert batch.events, "a message carries at least one event"
        batches.append([(ev.object.service.metadata.name, int(ev.resource_version)) for ev in batch.events])
        count += len(batch.events)
        if on_batch:
            on_batch()
        if count >= n:
            call.cancel()
            return batches
    return batches


def flat(batches) -> list:
    return [e for b in batches for e in b]


async def test_history_replay_comes_in_one_message_with_the_same_events_as_watch(client):
    ns = await new_namespace(client)
    _, rv = await client.list("Service", ns)
    acked = await burst(client, ns, [f"h{i}" for i in range(200)])
    req = apiserver_pb2.WatchRequest(kind="Service", namespace=ns, resource_version=rv)
    batches = await asyncio.wait_for(read_batches(client.stub.WatchBatched(req), 200), 20)
    assert len(batches) == 1  # queued before the stream started: one message, not 200
    assert flat(batches) == acked
    one_by_one = []
    async for ev in client.stub.Watch(req):
        one_by_one.append((ev.object.service.metadata.name, int(ev.resource_version)))
        if len(one_by_one) == 200:
            break
    assert one_by_one == acked


async def test_live_burst_arrives_in_fewer_messages_than_events_in_order_exactly_once(client):
    ns = await new_namespace(client)
    _, rv = await client.list("Service", ns)
    first = await client.create(service(ns, "first"))
    req = apiserver_pb2.WatchRequest(kind="Service", namespace=ns, resource_version=rv)
    registered = asyncio.Event()
    reader = asyncio.create_task(read_batches(client.stub.WatchBatched(req), 301, registered.set))
    await asyncio.wait_for(registered.wait(), 10)  # the stream is open: what follows arrives live
    acked = await burst(client, ns, [f"l{i}" for i in range(300)])
    batches = await asyncio.wait_for(reader, 20)
    events = flat(batches)
    assert events == [("first", int(first.metadata.resource_version))] + acked
    assert len(batches) < len(events)


@pytest.fixture
def own_redis():
    r = RedisProcess().start()
    yield r
    r.stop(signal.SIGKILL)


async def test_client_resumes_mid_batch_exactly_across_a_server_restart(own_redis):
    server = ApiServerProcess(own_redis.url).start()
    try:
        async with Client(server.address, retry_deadline=30) as c:
            ns = await new_namespace(c)
            _, rv = await c.list("Service", ns)
            acked = await burst(c, ns, [f"r{i}" for i in range(200)])  # replayed below as one batch
            seen: list[tuple[str, int]] = []
            paused, go_on = asyncio.Event(), asyncio.Event()

            async def consume():
                async for ev in c.watch("Service", namespace=ns, resource_version=rv):
                    seen.append((ev.object.metadata.name, int(ev.resource_version)))
                    if len(seen) == 50:  # in the middle of the first message's 200 events
                        paused.set()
                        await go_on.wait()
                    if len(seen) == 220:
                        return

            watch = asyncio.create_task(consume())
            await asyncio.wait_for(paused.wait(), 20)
            server.stop(signal.SIGKILL)
            server.start()  # same port: the watch resumes from the last event it handed out
            go_on.set()
            acked += await burst(c, ns, [f"s{i}" for i in range(20)])
            await asyncio.wait_for(watch, 30)
            assert seen == acked
    finally:
        server.stop()
