"""The API server across restarts: its own, Redis's, and beside a second API server."""
import asyncio
import contextlib
import itertools
import signal
import uuid

import grpc
import pytest

from kubelab import manifest
from kubelab.api.v1 import apiserver_pb2, core_pb2
from kubelab.client import ApiError, Client
from kubelab.cluster.healthcheck import NOT_SERVING, SERVING, check_health
from tests.support import ApiServerProcess, RedisProcess, wait_until


def service(name: str, ns: str = "default") -> core_pb2.Service:
    svc = core_pb2.Service()
    svc.metadata.name, svc.metadata.namespace = name, ns
    svc.spec.ports.add(port=80)
    return svc


async def drain(client, kind, rv, n, out, **kw):
    async for ev in client.watch(kind, resource_version=rv, **kw):
        if ev.type != "BOOKMARK":
            out.append((ev.type, ev.object.metadata.name, int(ev.resource_version)))
            if len(out) == n:
                return out


@pytest.fixture
def own_redis():
    r = RedisProcess().start()
    yield r
    r.stop(signal.SIGKILL)


async def test_watch_resumes_across_apiserver_restart(own_redis):
    server = ApiServerProcess(own_redis.url).start()
    try:
        async with Client(server.address, retry_deadline=30) as c:
            _, rv = await c.list("Service")
            seen: list = []
            watch = asyncio.create_task(drain(c, "Service", rv, 20, seen))
            acked = [await c.create(service(f"r{i}")) for i in range(10)]
            await asyncio.to_thread(wait_until, lambda: len(seen) == 10, 10, 0.02, "first ten events")
            server.stop(signal.SIGKILL)
            server.start()  # same port: the watch reconnects and resumes from its last resourceVersion
            acked += [await c.create(service(f"r{i}")) for i in range(10, 20)]
            await asyncio.wait_for(watch, 20)
            assert [(n, r) for _, n, r in seen] == [(o.metadata.name, int(o.metadata.resource_version))
                                                   for o in acked]
    finally:
        server.stop()


async def test_two_apiservers_give_the_same_answers(own_redis):
    a = ApiServerProcess(own_redis.url).start()
    b = ApiServerProcess(own_redis.url).start()
    try:
        async with Client(a.address) as ca, Client(b.address) as cb:
            _, rv = await ca.list("Service")
            seen_a, seen_b = [], []
            wa = asyncio.create_task(drain(ca, "Service", rv, 30, seen_a))
            wb = asyncio.create_task(drain(cb, "Service", rv, 30, seen_b))
            writes = [ca.create(service(f"ab{i}")) if i % 2 else cb.create(service(f"ab{i}")) for i in range(30)]
            await asyncio.gather(*writes)
            await asyncio.wait_for(asyncio.gather(wa, wb), 20)
            assert seen_a == seen_b
            la, rva = await ca.list("Service")
            lb, rvb = await cb.list("Service")
            # deterministic: map fields (kube-dns's labels) otherwise serialize in hash order, per process
            assert [s.SerializeToString(deterministic=True) for s in la] == \
                [s.SerializeToString(deterministic=True) for s in lb]
            obj = await cb.get("Service", "ab0", "default")
            obj.spec.ports[0].port = 81
            await ca.update(obj)
            with pytest.raises(ApiError) as e:
                await cb.update(obj)  # the same stale copy, through the other server
            assert e.value.code == grpc.StatusCode.ABORTED
    finally:
        a.stop()
        b.stop()


async def test_slow_watcher_is_cut_off_without_slowing_writers(own_redis):
    server = ApiServerProcess(own_redis.url, "--watch-queue", "20").start()
    try:
        async with Client(server.address) as c:
            _, rv = await c.list("Service")
            # a raw stream that is never read: its queue fills and the server ends it
            stuck = c.stub.Watch(apiserver_pb2.WatchRequest(kind="Service", resource_version=rv))
            fast: list = []
            watch = asyncio.create_task(drain(c, "Service", rv, 300, fast))
            loop = asyncio.get_running_loop()
            started = loop.time()
            big = service("x")
            big.metadata.annotations["pad"] = "p" * 20000  # fill the transport windows quickly
            for i in range(300):
                big.metadata.name = f"slow{i}"
                await c.create(big)
            elapsed = loop.time() - started
            await asyncio.wait_for(watch, 30)
            assert len(fast) == 300  # the reading watcher saw everything
            with pytest.raises(grpc.RpcError) as e:
                async for _ in stuck:
                    pass
            assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "could not keep up" in e.value.details()
            assert elapsed < 30  # writers were not held up by the stuck reader
    finally:
        server.stop()


async def test_redis_restart_with_persistence_loses_no_acknowledged_write(own_redis):
    server = ApiServerProcess(own_redis.url).start()
    try:
        async with Client(server.address, retry_deadline=30) as c:
            names = [f"keep{i}" for i in range(25)]
            for n in names:
                await c.create(service(n))
            own_redis.stop(signal.SIGKILL)
            await asyncio.to_thread(wait_until, lambda: check_health(server.address) == NOT_SERVING, 10, 0.05,
                                    "NOT_SERVING while Redis is down")
            own_redis.start()
            await asyncio.to_thread(wait_until, lambda: check_health(server.address) == SERVING, 15, 0.05,
                                    "SERVING again")
            items, _ = await c.list("Service")
            assert set(names) <= {s.metadata.name for s in items}
            await c.create(service("after"))
    finally:
        server.stop()


async def test_paused_redis_is_noticed_and_its_return_heals(own_redis):
    """A SIGSTOPped Redis answers nothing and resets nothing: the API server must not wait on it forever,
    and must serve again once it answers, even while writes keep the change stream busy (as a cluster's
    heartbeats do)."""
    server = ApiServerProcess(own_redis.url).start()

    async def keep_writing(c):
        for i in itertools.count():
            with contextlib.suppress(ApiError):
                await c.create(service(f"busy{i}"))
            await asyncio.sleep(0.05)

    try:
        async with Client(server.address, retry_deadline=0) as c, Client(server.address, retry_deadline=0) as w:
            await c.create(service("before"))
            writer = asyncio.create_task(keep_writing(w))
            own_redis.proc.send_signal(signal.SIGSTOP)
            try:
                await asyncio.to_thread(wait_until, lambda: check_health(server.address) == NOT_SERVING, 15, 0.1,
                                        "NOT_SERVING while Redis is paused")
                with pytest.raises(ApiError) as e:
                    await asyncio.wait_for(c.create(service("during")), 20)  # an error, not a hang
                assert e.value.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
            finally:
                own_redis.proc.send_signal(signal.SIGCONT)
            await asyncio.to_thread(wait_until, lambda: check_health(server.address) == SERVING, 15, 0.1,
                                    "SERVING again once Redis resumes")
            writer.cancel()
            await c.create(service("after"))
            items, _ = await c.list("Service")
            assert {"before", "after"} <= {s.metadata.name for s in items}
    finally:
        server.stop()


async def test_a_create_whose_answer_was_lost_is_not_made_twice(own_redis):
    """Redis pauses with the create's write in its socket: the API server times out and answers
    UNAVAILABLE, the client retries; Redis resumes and applies the first attempt. The retry, carrying
    the same request id, gets that object: one pod, not two (generateName gives every attempt a new
    name, so nothing else would catch the duplicate)."""
    server = ApiServerProcess(own_redis.url).start()
    pod = manifest.from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "lost-"},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    try:
        async with Client(server.address, retry_deadline=60, max_backoff=1.0) as c:
            await c.create(service("warm"))  # the write script is loaded, the connections are up
            own_redis.proc.send_signal(signal.SIGSTOP)
            try:
                create = asyncio.create_task(c.create(pod, "default"))
                # The first attempt's write waits in Redis's socket; it times out (5 s), and the API
                # server reports NOT_SERVING meanwhile, so every retry is refused until Redis is back.
                await asyncio.to_thread(wait_until, lambda: check_health(server.address) == NOT_SERVING, 20,
                                        0.1, "NOT_SERVING while Redis is paused")
                await asyncio.to_thread(wait_until, lambda: "storage unavailable" in server.logs() or create.done(),
                                        20, 0.1, "the first attempt to time out")
                assert not create.done()
            finally:
                own_redis.proc.send_signal(signal.SIGCONT)
            made = await asyncio.wait_for(create, 60)
            pods, _ = await c.list("Pod", "default")
            assert [p.metadata.name for p in pods if p.metadata.generate_name == "lost-"] == [made.metadata.name]
            assert "create retried, answering with the object its first attempt made" in server.logs()
    finally:
        server.stop()


async def test_redis_losing_data_ends_every_watch():
    volatile = RedisProcess(persistent=False).start()
    server = ApiServerProcess(volatile.url).start()
    try:
        async with Client(server.address, retry_deadline=30) as c:
            _, rv = await c.list("Service")
            seen: list = []
            watch = asyncio.create_task(drain(c, "Service", rv, 1000, seen))
            await c.create(service("gone"))
            await asyncio.to_thread(wait_until, lambda: seen, 10, 0.02, "the watch to be open")
            volatile.stop(signal.SIGKILL)
            volatile.start()  # empty: the revision went back
            with pytest.raises(ApiError) as e:
                await asyncio.wait_for(watch, 20)
            assert e.value.reason == "Expired"
            await asyncio.to_thread(wait_until, lambda: "redis lost data" in server.logs(), 10, 0.05, "log line")
            await asyncio.to_thread(wait_until, lambda: check_health(server.address) == SERVING, 15, 0.05,
                                    "SERVING again")
            # the system namespaces come back, so the cluster stays usable
            names = {n.metadata.name for n in (await c.list("Namespace"))[0]}
            assert {"default", "kube-system"} <= names
    finally:
        server.stop()
        volatile.stop(signal.SIGKILL)
