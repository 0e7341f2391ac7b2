"""asyncio.wait_for that never loses a cancellation, on Python 3.11 (every kubelab process installs it).

Python 3.11's `asyncio.wait_for(aw, timeout)` runs `aw` as a task of its own and waits for it; when the
caller is cancelled in the same loop iteration in which that task finishes, it returns the task's result
and the cancellation is gone (CPython gh-86296; 3.12 rewrote wait_for on `asyncio.timeout` and fixed it).
redis-py sends every command inside `wait_for(..., socket_timeout)`, and a send finishes in one step, so a
cancel arriving then was swallowed often: the API server's watch cache, cancelled at SIGTERM while it sent
an XREAD, went on reading the stream, and the process stayed up until the skeleton's watchdog made it
leave (a 5 s stop, in tests 8 times out of 10 when SIGTERM came right after start; in CI an API server
alive minutes after SIGTERM before the watchdog existed). Our own code calls wait_for too.

`install()` replaces `asyncio.wait_for` (and `asyncio.tasks.wait_for`) by 3.12's definition on older
Pythons; a no-op from 3.12 on. Libraries that call `asyncio.wait_for` through the module, as redis-py and
grpc.aio do, get it as well.
"""
from __future__ import annotations

import asyncio
import sys
from typing import Any, Awaitable

__all__ = ["install", "wait_for"]

_original = asyncio.wait_for


async def wait_for(fut: Awaitable[Any], timeout: float | None) -> Any:
    """3.12's asyncio.wait_for: `asyncio.timeout` around the await; a non-positive timeout cancels at once
    unless `fut` is already done."""
    if timeout is not None and timeout <= 0:
        task = asyncio.ensure_future(fut)
        if task.done():
            return task.result()
        await asyncio.tasks._cancel_and_wait(task, loop=asyncio.get_running_loop())  # 3.12 has no loop
        try:
            return task.result()
        except asyncio.CancelledError as exc:
            raise TimeoutError from exc
    async with asyncio.timeout(timeout):
        return await fut


def install() -> None:
    """Use `wait_for` above for asyncio.wait_for on Python older than 3.12."""
    if sys.version_info < (3, 12):
        asyncio.wait_for = asyncio.tasks.wait_for = wait_for
