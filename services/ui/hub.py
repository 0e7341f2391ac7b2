"""Fan-out of the model's messages to every connected page, each with its own bounded queue.

A page that cannot keep up (its queue full: a stalled tab, a dead connection not yet noticed) is cut off
rather than slowing the others or growing memory (design.md, bounded fan-out); the browser's EventSource
reconnects by itself and starts again from a fresh snapshot.
"""
from __future__ import annotations

import asyncio

__all__ = ["Hub", "Subscriber"]

CUT_OFF = b""
"""Put in a subscriber's queue to end its stream."""


class Subscriber:
    def __init__(self, limit: int):
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=limit)

    async def next(self) -> bytes:
        return await self.queue.get()


class Hub:
    def __init__(self, limit: int = 1000):
        self.limit = limit
        self.subscribers: set[Subscriber] = set()

    def subscribe(self, first: bytes) -> Subscriber:
        """A new page's queue, starting with `first` (its snapshot); no await, so nothing slips between."""
        sub = Subscriber(self.limit)
        sub.queue.put_nowait(first)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def publish(self, message: bytes) -> None:
        for sub in list(self.subscribers):
            try:
                sub.queue.put_nowait(message)
            except asyncio.QueueFull:
                self.unsubscribe(sub)
                while not sub.queue.empty():
                    sub.queue.get_nowait()
                sub.queue.put_nowait(CUT_OFF)
