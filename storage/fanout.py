"""Change notices within one process: what Redis pub/sub is to the Redis store.

The embedded store publishes each `Change` to every open feed's queue, without waiting.
A feed that falls `QUEUE_SIZE` notices behind loses its oldest ones (notices are hints;
the reader reads the store again), as a Redis subscriber past its output buffer would.
"""

from __future__ import annotations

import asyncio
import logging

from storage.base import Change, ChangeFeed

log = logging.getLogger("reshipbot.storage")

QUEUE_SIZE = 1000


class FanOut:
    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._queues: set[asyncio.Queue[Change | None]] = set()

    def publish(self, change: Change) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
                log.warning("a change feed fell behind: its oldest notice was dropped")
            queue.put_nowait(change)

    def feed(self) -> ChangeFeed:
        return _MemoryFeed(self)

    def _join(self) -> asyncio.Queue[Change | None]:
        queue: asyncio.Queue[Change | None] = asyncio.Queue(self._queue_size)
        self._queues.add(queue)
        return queue

    def _leave(self, queue: asyncio.Queue[Change | None]) -> None:
        self._queues.discard(queue)


class _MemoryFeed(ChangeFeed):
    def __init__(self, fanout: FanOut) -> None:
        self._fanout = fanout
        self._queue: asyncio.Queue[Change | None] | None = None
        self._closed = False

    async def open(self) -> None:
        if self._queue is None and not self._closed:
            self._queue = self._fanout._join()

    async def next(self) -> Change:
        if self._queue is None or self._closed:
            raise StopAsyncIteration
        change = await self._queue.get()
        if change is None:
            raise StopAsyncIteration
        return change

    async def close(self) -> None:
        self._closed = True
        if self._queue is not None:
            self._fanout._leave(self._queue)
            if self._queue.full():
                self._queue.get_nowait()
            self._queue.put_nowait(None)  # wakes a reader waiting in next()
