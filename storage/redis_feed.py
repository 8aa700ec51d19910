"""Change notices on Redis: one pub/sub subscription to the changes channel.

The commit script PUBLISHes a notice with every request it writes, and the ack and
dead-letter scripts one per logged chat message, so any process sharing the Redis hears
every change. Pub/sub delivers only to those listening at that moment: a subscriber
that was disconnected has missed notices and must read the store again.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.core.errors import StorageUnavailable
from storage.base import Change, ChangeFeed
from storage.messages import decode_change
from storage.redis_io import storage_errors

POLL = 1.0  # seconds per read: below the client's socket timeout, so an idle feed is fine
SUBSCRIBE_TIMEOUT = 5.0


class RedisFeed(ChangeFeed):
    def __init__(self, redis: aioredis.Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel
        self._pubsub: Any = None
        self._closed = False

    async def open(self) -> None:
        """Subscribe, and wait for Redis to confirm it: later commits are heard."""
        if self._pubsub is not None or self._closed:
            return
        self._pubsub = self._redis.pubsub()
        with storage_errors():
            await self._pubsub.subscribe(self._channel)
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                while True:
                    message = await self._pubsub.get_message(timeout=POLL)
                    if message is not None and message["type"] == "subscribe":
                        return
        raise StorageUnavailable("Redis did not confirm the subscription")  # pragma: no cover

    async def next(self) -> Change:
        while not self._closed and self._pubsub is not None:
            with storage_errors():
                message = await self._pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=POLL
                )
            if message is None or message.get("type") != "message":
                continue
            change = decode_change(message["data"])
            if change is not None:
                return change
        raise StopAsyncIteration

    async def close(self) -> None:
        self._closed = True
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):  # a broken connection just goes
                await pubsub.aclose()
