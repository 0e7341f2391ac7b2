"""The Redis store (services/apiserver/store.py): writes sent together when they come together, and the
event stream read back in both of its entry forms."""
import asyncio

import pytest
import redis.exceptions

from services.apiserver.store import STREAM, Change, KeyExists, RevisionConflict, Store
from tests.support import RedisProcess, wait_for


@pytest.fixture(scope="module")
def own_redis():
    r = RedisProcess(persistent=False).start()
    yield r
    r.stop()


@pytest.fixture
async def store(own_redis):
    s = Store(own_redis.url)
    await s.redis.flushdb()
    yield s
    await s.close()


async def test_concurrent_writes_each_get_their_own_answer(store):
    revs = await asyncio.gather(*(store.create("ConfigMap", f"default/cm-{i}", b"x%d" % i) for i in range(300)))
    assert sorted(revs) == list(range(1, 301))
    outcomes = await asyncio.gather(
        store.create("ConfigMap", "default/cm-7", b"again"),
        store.update("ConfigMap", "default/cm-8", b"new", expected_rv=revs[8]),
        store.update("ConfigMap", "default/cm-9", b"stale", expected_rv=revs[9] - 1 if revs[9] > 1 else 999),
        return_exceptions=True)
    assert isinstance(outcomes[0], KeyExists)
    assert outcomes[1] == 301
    assert isinstance(outcomes[2], RevisionConflict) and outcomes[2].current == revs[9]
    assert await store.get("ConfigMap", "default/cm-8") == (b"new", 301)
    assert await store.get("ConfigMap", "default/cm-7") == (b"x7", revs[7])


async def test_writes_after_redis_forgot_the_script(store):
    await store.create("ConfigMap", "default/a", b"a")
    await store.redis.script_flush()
    revs = await asyncio.gather(*(store.create("ConfigMap", f"default/b-{i}", b"b") for i in range(20)))
    assert sorted(revs) == list(range(2, 22))
    assert len(await store.read_changes(0, block_ms=0)) == 21


async def test_a_cancelled_caller_leaves_the_other_writes_alone(store):
    first = asyncio.ensure_future(store.create("ConfigMap", "default/gone", b"x"))
    others = [asyncio.ensure_future(store.create("ConfigMap", f"default/o-{i}", b"x")) for i in range(10)]
    await asyncio.sleep(0)
    first.cancel()
    assert len(set(await asyncio.gather(*others))) == 10


@pytest.mark.parametrize("turns", [0, 1])
async def test_closing_fails_what_is_still_queued(store, turns):
    """Closed before its sender ran (turns=0) or once it has sent (1): no caller is left waiting; each has its
    answer (a write Redis had already applied) or an error."""
    calls = [asyncio.ensure_future(store.create("ConfigMap", f"default/c-{i}", b"x")) for i in range(5)]
    for _ in range(turns + 1):
        await asyncio.sleep(0)
    await store.close()
    done, pending = await asyncio.wait(calls, timeout=5)
    assert not pending
    for c in done:
        if turns == 0:
            with pytest.raises(redis.exceptions.ConnectionError):
                c.result()
        elif c.exception() is not None:
            assert isinstance(c.exception(), redis.exceptions.ConnectionError)


async def test_changes_read_back_in_both_stream_forms(store):
    """Entries are one packed field now; a Redis kept from before holds four-field ones."""
    await store.redis.xadd(STREAM, {"type": "ADDED", "kind": "Pod", "key": "default/old", "data": b"\x0a\x00"},
                           id="1-0")
    await store.redis.set("kl:rev", 1)
    rev = await store.create("Pod", "default/new", b"line one\nline two")
    assert rev == 2
    assert await store.read_changes(0, block_ms=1) == [
        Change(1, "ADDED", "Pod", "default/old", b"\x0a\x00"),
        Change(2, "ADDED", "Pod", "default/new", b"line one\nline two")]
    await store.update("Pod", "default/new", b"", expected_rv=2)
    await store.delete("Pod", "default/new", b"last", expected_rv=3)
    assert [(c.type, c.data) for c in (await store.snapshot(["Pod"])).history] == [
        ("ADDED", b"\x0a\x00"), ("ADDED", b"line one\nline two"), ("MODIFIED", b""), ("DELETED", b"last")]


async def test_a_read_cancelled_while_it_waits_leaves_nothing_on_its_connection(store):
    """The watch cache's reads keep one connection: a read cancelled while Redis holds it blocked must
    not leave that read's late answer to be taken as the next read's."""
    rev = await store.create("ConfigMap", "default/first", b"1")
    waiting = asyncio.ensure_future(store.read_changes(rev, block_ms=1500))

    async def blocked():  # the read reached Redis and waits there
        return (await store.redis.info("clients"))["blocked_clients"] >= 1
    await wait_for(blocked, 5, "the read blocked in Redis")
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await store.create("ConfigMap", "default/second", b"2")
    assert [(c.key, c.data) for c in await store.read_changes(rev, block_ms=1)] == [("default/second", b"2")]
    assert [c.key for c in await store.read_changes(0, block_ms=1)] == ["default/first", "default/second"]


async def test_writes_and_reads_go_on_at_once_after_redis_restarts():
    """Writes and stream reads each keep one connection; when Redis went away and came back while it was
    idle, the first write and the first read after it succeed (the connection is replaced before use, as a
    pool does on checkout) instead of failing once on the dead socket."""
    own = RedisProcess(persistent=True).start()
    s = Store(own.url)
    try:
        first = await s.create("ConfigMap", "default/before", b"1")
        assert [c.key for c in await s.read_changes(0, block_ms=1)] == ["default/before"]
        await asyncio.to_thread(own.stop)  # the loop runs meanwhile, as the API server's always does
        await asyncio.to_thread(own.start)
        assert await s.create("ConfigMap", "default/after", b"2") == first + 1
        assert [c.key for c in await s.read_changes(first, block_ms=1)] == ["default/after"]
    finally:
        await s.close()
        own.stop()
