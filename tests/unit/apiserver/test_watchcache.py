"""Watcher.drain: what one batched watch message may take from a watcher's queue."""
import asyncio

import pytest

from services.apiserver.cached import Cached
from services.apiserver.watchcache import ADDED, Watcher, WatchClosed


def cached(rev: int, size: int = 10) -> Cached:
    return Cached("Service", rev, "ns", f"s{rev}", {}, {}, b"x" * size)


def watcher(*events: Cached) -> Watcher:
    w = Watcher("Service", lambda c: True, max_queue=1000)
    for c in events:
        w.push(ADDED, c)
    return w


def revs(events) -> list[int]:
    return [c.rev for _, c in events]


def test_takes_everything_queued_within_bounds_oldest_first():
    w = watcher(*(cached(r) for r in range(1, 6)))
    assert revs(w.drain(500, 1 << 20)) == [1, 2, 3, 4, 5]
    assert w.drain(500, 1 << 20) == []


def test_an_empty_queue_gives_nothing_at_once():
    assert watcher().drain(500, 1 << 20) == []


@pytest.mark.parametrize("max_events, taken", [(0, []), (1, [1]), (3, [1, 2, 3])])
def test_stops_at_max_events_and_leaves_the_rest_in_order(max_events, taken):
    w = watcher(*(cached(r) for r in range(1, 6)))
    assert revs(w.drain(max_events, 1 << 20)) == taken
    assert revs(w.drain(500, 1 << 20)) == [r for r in range(1, 6) if r not in taken]


@pytest.mark.parametrize("max_bytes, taken", [(-1, []), (0, []), (99, []), (100, [1]), (250, [1, 2]),
                                              (300, [1, 2, 3])])
def test_stops_before_the_event_that_would_pass_max_bytes(max_bytes, taken):
    w = watcher(*(cached(r, size=100) for r in range(1, 4)))
    assert revs(w.drain(500, max_bytes)) == taken
    assert revs(w.drain(500, 1 << 20)) == [r for r in (1, 2, 3) if r not in taken]


def test_a_large_event_does_not_let_smaller_later_ones_jump_ahead():
    w = watcher(cached(1, 10), cached(2, 1000), cached(3, 10))
    assert revs(w.drain(500, 500)) == [1]
    assert revs(w.drain(500, 1 << 20)) == [2, 3]


async def test_a_closed_watcher_still_hands_out_what_it_queued_then_next_raises():
    w = watcher(cached(1), cached(2), cached(3))
    w.close(WatchClosed("gone", "RESOURCE_EXHAUSTED"))
    assert revs([await w.next(None)]) == [1]
    assert revs(w.drain(500, 1 << 20)) == [2, 3]
    with pytest.raises(WatchClosed):
        await w.next(None)


async def test_pacer_sends_a_quiet_streams_event_at_once_and_spaces_a_busy_ones():
    from services.apiserver.servicer import Pacer

    # A window long enough that "at once" (< half of it) cannot be confused with "waited" on a busy machine.
    loop = asyncio.get_running_loop()
    pacer = Pacer(0.4)
    t0 = loop.time()
    await pacer.wait()  # nothing sent yet: at once
    assert loop.time() - t0 < 0.2
    pacer.sent()
    await pacer.wait()  # right after a message: the rest of the window
    assert loop.time() - t0 >= 0.38
    pacer.sent()
    await asyncio.sleep(0.45)
    t1 = loop.time()
    await pacer.wait()  # the last message is a window old: at once
    assert loop.time() - t1 < 0.2
    off = Pacer(0.0)
    off.sent()
    t2 = loop.time()
    await off.wait()
    assert loop.time() - t2 < 0.2


def test_pacing_widens_the_window_only_while_more_streams_are_busy_than_the_budget_allows():
    from services.apiserver.servicer import Pacing

    pacing = Pacing(0.010, 4000.0)
    assert pacing.window() == 0.010
    pacing.busy = 40  # 40 busy streams at 10 ms send 4000 messages a second: the budget, no wider
    assert pacing.window() == 0.010
    pacing.busy = 100  # a hundred: 25 ms, so that together they still send 4000 a second
    assert pacing.window() == pytest.approx(0.025)
    assert Pacing(0.010, 0.0).window() == 0.010  # no budget: the base window whatever the load
    off = Pacing(0.0, 4000.0)
    off.busy = 100
    assert off.window() == 0.0  # batching off stays off


async def test_busy_streams_are_counted_while_they_wait_and_uncounted_when_quiet_or_closed():
    from services.apiserver.servicer import Pacer, Pacing

    loop = asyncio.get_running_loop()
    pacing = Pacing(0.2, 10.0)  # 2 busy streams fill the budget; 4 widen the window to 0.4 s
    pacers = [Pacer(pacing) for _ in range(4)]
    for p in pacers:
        await p.wait()  # first messages: at once, none busy
        p.sent()
    assert pacing.busy == 0
    await asyncio.gather(*(p.wait() for p in pacers))  # each has an event right after its message
    assert pacing.busy == 4
    assert pacing.window() == pytest.approx(0.4)
    for p in pacers:
        p.sent()
    t0 = loop.time()
    await asyncio.gather(*(p.wait() for p in pacers))  # still busy: they wait the widened window
    assert loop.time() - t0 >= 0.38  # 0.4 s, not the base 0.2 s
    for p in pacers:
        p.sent()
    pacers[0].last -= 0.45  # its last message more than the widened window ago
    t1 = loop.time()
    await pacers[0].wait()  # a window after its last message: quiet again, at once
    assert loop.time() - t1 < 0.2
    assert pacing.busy == 3
    for p in pacers:
        p.close()
    assert pacing.busy == 0


async def test_a_cancelled_next_stays_cancelled_when_an_event_comes_in_the_same_moment():
    """A watch handler is cancelled when its client goes or the server stops. An event pushed in the same
    loop iteration must not win over the cancellation (asyncio.wait_for on 3.11 lets it), or the handler
    carries on and the server's shutdown waits for it."""
    w = watcher()
    task = asyncio.create_task(w.next(60.0))
    await asyncio.sleep(0)  # waiting for an event
    w.push(ADDED, cached(1))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
