"""Putting many requests into Redis quickly, through the store's own commit.

Building 100,000 requests with the factories or the rules takes longer than storing
them, so the benchmarks build one request and copy it with new ids (`renamed`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import redis

from bot.core.models import ReshipmentRequest
from bot.core.schedule import nearest_deadline, offer_ttl, timers_for
from storage import RedisStore
from storage.base import Commit, CommitResult
from storage.keys import BUCKETS, Keys
from tests.bench.common import PREFIX

T = TypeVar("T")
CHUNK = 500  # commits in flight at once (the store's pool has 64 connections)


def renamed(
    template: ReshipmentRequest, request_id: str, conversation_id: str, **changes: object
) -> ReshipmentRequest:
    """`template` with other ids (its cards' ids too) and `changes`; not re-validated."""
    cards = tuple(
        card.model_copy(update={"card_id": card.card_id.replace(template.request_id, request_id)})
        for card in template.cards
    )
    update = {"request_id": request_id, "conversation_id": conversation_id, "cards": cards}
    return template.model_copy(update=update | changes)


def seeding_store(url: str) -> RedisStore:
    """A store for loading data: waits for a free connection instead of failing fast."""
    return RedisStore.from_url(url, prefix=PREFIX, socket_timeout=30.0, timeout=30.0)


def new_commit(request: ReshipmentRequest, now: datetime, event_id: str | None = None) -> Commit:
    """The commit that stores `request` as new, with its timers, offer key and queue entry."""
    return Commit(
        request.conversation_id,
        now,
        request=request,
        expected_version=0,
        event_id=event_id,
        timers=timers_for(request),
        offer_ttl=offer_ttl(request, now),
        queue_at=nearest_deadline(request),
    )


async def in_chunks(
    items: Sequence[T], action: Callable[[T], Awaitable[object]], chunk: int = CHUNK
) -> list[object]:
    results: list[object] = []
    for start in range(0, len(items), chunk):
        results += await asyncio.gather(*(action(item) for item in items[start : start + chunk]))
    return results


async def commit_all(store: RedisStore, commits: Sequence[Commit]) -> None:
    results = await in_chunks(commits, store.commit)
    failed = [result for result in results if result is not CommitResult.ok]
    if failed:
        raise RuntimeError(f"{len(failed)} seeding commits failed: {failed[:3]}")


def in_two_processes(function: Callable[..., list[T]], count: int, *args: Any) -> list[T]:
    """`function(*args, start, stop)` over [0, count) in two halves, in two processes,
    results concatenated in order. For seeding: the Python client is the slow part, and
    a second process keeps the second core busy. `function` must be module-level."""
    half = count // 2
    context = multiprocessing.get_context("spawn")  # no inherited sockets or loops
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        parts = [
            pool.submit(function, *args, start, stop) for start, stop in ((0, half), (half, count))
        ]
        return [item for part in parts for item in part.result()]


def timer_count(client: redis.Redis, keys: Keys) -> int:
    """Timers stored in all buckets (claimed ones included)."""
    with client.pipeline(transaction=False) as pipe:
        for bucket in range(BUCKETS):
            pipe.zcard(keys.timers(bucket))
        return sum(pipe.execute())
