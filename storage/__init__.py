"""Where reshipbot keeps everything: one `Store` contract, two backends.

`RedisStore` for production (several processes and machines), `MemoryStore` for the
zero-setup default (in this process only: nothing survives a restart).
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.clock import Clock
from storage.base import Store
from storage.codec import DEFAULT_EVENT_TTL
from storage.memory import MemoryStore
from storage.redis import RedisStore


def open_store(
    redis_url: str | None,
    clock: Clock,
    event_ttl: timedelta = DEFAULT_EVENT_TTL,
    prefix: str = "rb",
) -> Store:
    """Redis when a URL is configured, else the embedded in-process store."""
    if redis_url:
        return RedisStore.from_url(redis_url, event_ttl=event_ttl, prefix=prefix)
    return MemoryStore(clock, event_ttl=event_ttl)


__all__ = ["MemoryStore", "RedisStore", "Store", "open_store"]
