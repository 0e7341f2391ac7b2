"""kubelab.aiocompat.wait_for: a cancellation arriving as the awaited thing finishes is not lost (CPython
gh-86296, Python 3.11's wait_for returned the result instead: the API server's hang after SIGTERM)."""
import asyncio
import sys

import pytest

from kubelab import aiocompat


async def cancelled_as_it_finishes(wait_for) -> str:
    fut = asyncio.get_running_loop().create_future()

    async def caller():
        return await wait_for(fut, 5)

    task = asyncio.create_task(caller())
    await asyncio.sleep(0)  # the caller waits
    fut.set_result("result")  # the awaited thing finishes ...
    task.cancel()  # ... and the caller is cancelled in the same loop iteration
    try:
        return await task
    except asyncio.CancelledError:
        return "cancelled"


async def test_a_cancel_as_the_awaited_thing_finishes_is_kept():
    assert await cancelled_as_it_finishes(aiocompat.wait_for) == "cancelled"


async def test_results_timeouts_and_errors_as_asyncio_wait_for():
    async def value(delay, v):
        await asyncio.sleep(delay)
        return v

    async def fail():
        raise ValueError("boom")

    assert await aiocompat.wait_for(value(0, 1), 1) == 1
    assert await aiocompat.wait_for(value(0, 2), None) == 2
    with pytest.raises(TimeoutError):
        await aiocompat.wait_for(value(5, 3), 0.01)
    with pytest.raises(ValueError, match="boom"):
        await aiocompat.wait_for(fail(), 1)
    done = asyncio.get_running_loop().create_future()
    done.set_result(4)
    assert await aiocompat.wait_for(done, 0) == 4  # a non-positive timeout: done already, its result
    with pytest.raises(TimeoutError):
        await aiocompat.wait_for(value(1, 5), 0)  # else cancelled at once


def test_install_replaces_asyncio_wait_for_before_3_12(monkeypatch):
    monkeypatch.setattr(asyncio, "wait_for", asyncio.wait_for)
    monkeypatch.setattr(asyncio.tasks, "wait_for", asyncio.tasks.wait_for)
    aiocompat.install()
    replaced = asyncio.wait_for is aiocompat.wait_for and asyncio.tasks.wait_for is aiocompat.wait_for
    assert replaced == (sys.version_info < (3, 12))
    assert asyncio.run(cancelled_as_it_finishes(asyncio.wait_for)) == "cancelled"
