"""The work queue keeps client-go's promises: dedup, one worker per key, delays, backoff, clean shutdown.

Time is a FakeClock throughout; `asyncio.sleep(0)` only yields to other tasks, it never waits.
"""

import asyncio
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubelab.workqueue import (
    BucketRateLimiter, FakeClock, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, QueueEmpty, ShutDown,
    WorkQueue, default_controller_rate_limiter,
)


def new_queue() -> tuple[WorkQueue, FakeClock]:
    clock = FakeClock()
    return WorkQueue("test", clock=clock), clock


# --- the dedup queue ----------------------------------------------------------------------------------

async def test_fifo_and_dedup():
    q, _ = new_queue()
    for key in ["a", "b", "a", "c", "b"]:
        q.add(key)
    assert len(q) == 3 and q.depth == 3 and q.adds == 3
    assert [await q.get() for _ in range(3)] == ["a", "b", "c"]
    assert len(q) == 0


async def test_key_added_while_processing_waits_for_done():
    q, _ = new_queue()
    q.add("a")
    assert await q.get() == "a"
    q.add("a")
    q.add("a")
    assert len(q) == 0, "a key being processed must not be handed to a second worker"
    with pytest.raises(QueueEmpty):
        q.get_nowait()
    q.done("a")
    assert len(q) == 1 and q.get_nowait() == "a"
    q.done("a")
    assert len(q) == 0


async def test_done_without_readd_does_not_requeue():
    q, _ = new_queue()
    q.add("a")
    q.done(q.get_nowait())
    assert len(q) == 0


async def test_get_waits_for_add():
    q, _ = new_queue()
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not getter.done()
    q.add("x")
    assert await getter == "x"


async def test_cancelled_getter_passes_its_wakeup_on():
    q, _ = new_queue()
    first, second = asyncio.create_task(q.get()), asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.add("x")
    first.cancel()
    assert await second == "x"
    assert first.cancelled()


async def test_queue_is_truthy_even_when_empty():
    q, _ = new_queue()
    assert q and len(q) == 0


# --- shutting down ------------------------------------------------------------------------------------

async def test_shut_down_wakes_waiting_getters():
    q, _ = new_queue()
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.shut_down()
    with pytest.raises(ShutDown):
        await getter
    assert q.shutting_down


async def test_shut_down_hands_out_what_is_queued_then_stops():
    q, _ = new_queue()
    q.add("a")
    q.shut_down()
    q.add("b")
    assert len(q) == 1
    assert await q.get() == "a"
    with pytest.raises(ShutDown):
        await q.get()
    with pytest.raises(ShutDown):
        q.get_nowait()


async def test_shut_down_cancels_delayed_keys_and_timers():
    q, clock = new_queue()
    q.add_after("a", 10)
    q.add_rate_limited("b")
    assert q.waiting() == 2 and clock.pending_timers() == 1
    q.shut_down()
    assert q.waiting() == 0 and clock.pending_timers() == 0
    clock.advance(100)
    assert len(q) == 0
    q.add_after("c", 1)
    assert q.waiting() == 0


async def test_async_iteration_ends_at_shut_down():
    q, _ = new_queue()
    for key in "abc":
        q.add(key)
    q.shut_down()
    seen = []
    async for key in q:
        seen.append(key)
        q.done(key)
    assert seen == ["a", "b", "c"]


async def test_shut_down_with_drain_waits_for_processing():
    q, _ = new_queue()
    q.add("a")
    key = await q.get()
    drain = asyncio.create_task(q.shut_down_with_drain())
    await asyncio.sleep(0)
    assert not drain.done(), "drain must wait for the key in flight"
    q.done(key)
    await drain


async def test_shut_down_stops_a_drain_wait():
    q, _ = new_queue()
    q.add("a")
    await q.get()
    drain = asyncio.create_task(q.shut_down_with_drain())
    await asyncio.sleep(0)
    q.shut_down()
    await drain


async def test_workers_drain_the_queue_and_never_share_a_key():
    q, _ = new_queue()
    active: set[str] = set()
    processed: Counter[str] = Counter()

    async def worker() -> None:
        async for key in q:
            assert key not in active
            active.add(key)
            await asyncio.sleep(0)  # let other workers run while this key is held
            if processed[key] % 3 == 0:
                q.add(key)  # an event arrives for the key being processed
            processed[key] += 1
            active.discard(key)
            q.done(key)

    async with asyncio.TaskGroup() as tg:
        for _ in range(4):
            tg.create_task(worker())
        for i in range(300):
            q.add(f"k{i % 7}")
            if i % 5 == 0:
                await asyncio.sleep(0)
        await q.shut_down_with_drain()
    assert set(processed) == {f"k{i}" for i in range(7)}
    assert not active and len(q) == 0


# --- delays -------------------------------------------------------------------------------------------

async def test_add_after_waits_for_the_clock():
    q, clock = new_queue()
    q.add_after("a", 5)
    q.add_after("b", 2)
    clock.advance(1.9)
    assert len(q) == 0
    clock.advance(0.1)
    assert q.get_nowait() == "b"
    clock.advance(3)
    assert q.get_nowait() == "a"
    assert q.retries == 2 and clock.pending_timers() == 0


async def test_add_after_keeps_the_earliest_time():
    q, clock = new_queue()
    q.add_after("a", 10)
    q.add_after("a", 3)
    q.add_after("a", 7)
    assert q.waiting() == 1
    clock.advance(3)
    assert len(q) == 1 and q.waiting() == 0
    clock.advance(10)
    assert len(q) == 1, "superseded delays must not add the key again"


async def test_add_after_non_positive_delay_adds_now():
    q, _ = new_queue()
    q.add_after("a", 0)
    q.add_after("b", -1)
    assert len(q) == 2 and q.waiting() == 0


async def test_delayed_key_wakes_a_waiting_getter():
    q, clock = new_queue()
    getter = asyncio.create_task(q.get())
    q.add_after("a", 1)
    await asyncio.sleep(0)
    clock.advance(1)
    assert await getter == "a"


async def test_real_clock_uses_loop_timers():
    q = WorkQueue("real")
    q.add_after("a", 0.001)
    assert await asyncio.wait_for(q.get(), timeout=5) == "a"
    q.add_after("b", 3600)
    q.shut_down()
    assert q.waiting() == 0


# --- rate limiting ------------------------------------------------------------------------------------

def test_exponential_backoff_and_forget():
    rl = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    delays = [rl.when("a") for _ in range(20)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[-1] == 1000.0 and rl.num_requeues("a") == 20
    assert rl.when("b") == 0.005
    rl.forget("a")
    assert rl.num_requeues("a") == 0 and rl.when("a") == 0.005
    assert [rl.when("c") for _ in range(2000)][-1] == 1000.0  # 2**2000 must not overflow


def test_token_bucket_bursts_then_spaces():
    clock = FakeClock()
    bucket = BucketRateLimiter(qps=10, burst=100, clock=clock)
    assert all(bucket.when(i) == 0 for i in range(100))
    assert bucket.when("x") == pytest.approx(0.1)
    assert bucket.when("y") == pytest.approx(0.2)
    clock.advance(10)  # pays back the two tokens borrowed above, then refills 98
    assert all(bucket.when(i) == 0 for i in range(98))
    assert bucket.when("w") == pytest.approx(0.1)
    clock.advance(1000)  # refills to the burst, never beyond
    assert all(bucket.when(i) == 0 for i in range(100))
    assert bucket.when("z") == pytest.approx(0.1)
    assert bucket.num_requeues("z") == 0


def test_max_of_takes_the_longest_delay():
    clock = FakeClock()
    rl = MaxOfRateLimiter(ItemExponentialFailureRateLimiter(1.0, 60.0), BucketRateLimiter(1, 1, clock))
    assert rl.when("a") == 1.0  # the bucket says 0
    assert rl.when("b") == 1.0  # bucket: 1s; backoff for b: 1s
    assert rl.when("a") == 2.0
    assert rl.num_requeues("a") == 2
    rl.forget("a")
    assert rl.num_requeues("a") == 0


async def test_queue_backoff_grows_and_resets():
    q, clock = new_queue()
    for expected in [0.005, 0.01, 0.02, 0.04]:
        q.add_rate_limited("a")
        clock.advance(expected * 0.99)
        assert len(q) == 0
        clock.advance(expected * 0.02)
        q.done(q.get_nowait())
    assert q.num_requeues("a") == 4
    q.forget("a")
    assert q.num_requeues("a") == 0
    q.add_rate_limited("a")
    clock.advance(0.005)
    assert len(q) == 1


@given(st.integers(min_value=1, max_value=60))
def test_default_limiter_backoff_is_exponential_and_capped(n):
    rl = default_controller_rate_limiter(FakeClock())
    delays = [rl.when("k") for _ in range(n)]
    assert delays == [min(0.005 * 2**i, 1000.0) for i in range(n)]
    assert all(b == min(2 * a, 1000.0) for a, b in zip(delays, delays[1:]))
    rl.forget("k")
    assert rl.when("k") == 0.005


# --- the model check ----------------------------------------------------------------------------------

KEYS = st.sampled_from("abcd")
WORKERS = st.integers(min_value=0, max_value=2)
OPS = st.lists(st.one_of(
    st.tuples(st.just("add"), KEYS),
    st.tuples(st.just("add_rate_limited"), KEYS),
    st.tuples(st.just("forget"), KEYS),
    st.tuples(st.just("start"), WORKERS),
    st.tuples(st.just("finish"), WORKERS),
    st.tuples(st.just("advance"), st.sampled_from([0.001, 0.005, 0.05, 1.0, 30.0])),
), max_size=80)


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_random_schedules_never_share_or_lose_a_key(ops):
    """Simulated workers: a key is never held twice, and every add is followed by a processing."""
    clock = FakeClock()
    q = WorkQueue("model", clock=clock)
    held: dict[int, str] = {}
    last_add: dict[str, int] = {}
    last_start: dict[str, int] = {}

    def start(worker: int, step: int) -> bool:
        try:
            key = q.get_nowait()
        except QueueEmpty:
            return False
        assert key not in held.values(), f"{key} handed to two workers"
        held[worker] = key
        last_start[key] = step
        return True

    for step, (op, arg) in enumerate(ops):
        if op in ("add", "add_rate_limited"):
            getattr(q, op)(arg)
            last_add[arg] = step
        elif op == "forget":
            q.forget(arg)
        elif op == "start" and arg not in held:
            start(arg, step)
        elif op == "finish" and arg in held:
            q.done(held.pop(arg))
        elif op == "advance":
            clock.advance(arg)

    step = len(ops)
    for _ in range(50):  # let every delay pass, then drain with worker 0
        for worker in list(held):
            q.done(held.pop(worker))
        clock.advance(2000)
        while start(0, step):
            q.done(held.pop(0))
            step += 1
        if len(q) == 0 and q.waiting() == 0:
            break
    assert len(q) == 0 and q.waiting() == 0 and clock.pending_timers() == 0
    for key, added in last_add.items():
        assert last_start.get(key, -1) > added, f"{key} added at step {added} was never processed after"
