"""Small helpers shared by the storage contract tests."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.core.clock import FakeClock
from bot.core.commands import TimerKind
from bot.core.models import ReshipmentRequest
from bot.core.schedule import nearest_deadline
from storage import MemoryStore, Store
from storage.base import Commit, CommitResult, OutboxEntry
from tests.factories import NOW


async def save(
    store: Store,
    request: ReshipmentRequest,
    *,
    expected_version: int | None = None,
    now: datetime = NOW,
    event_id: str | None = None,
    timers: Mapping[TimerKind, datetime] | None = None,
    offer_ttl: timedelta | None = None,
    outbox: Sequence[OutboxEntry] = (),
    ack_outbox: str | None = None,
) -> CommitResult:
    """Commit `request` as a transition would (queue place = its nearest deadline)."""
    commit = Commit(
        conversation_id=request.conversation_id,
        now=now,
        request=request,
        expected_version=request.version - 1 if expected_version is None else expected_version,
        event_id=event_id,
        timers=timers or {},
        offer_ttl=offer_ttl,
        queue_at=nearest_deadline(request),
        outbox=outbox,
        ack_outbox=ack_outbox,
    )
    return await store.commit(commit)


async def elapse(store: Store, clock: FakeClock, delta: timedelta) -> None:
    """Let time pass for the store's TTLs: the fake clock for memory, real time for Redis."""
    clock.advance(delta)
    if not isinstance(store, MemoryStore):
        await asyncio.sleep(delta.total_seconds())


async def drain_outbox(store: Store, now: datetime) -> list[OutboxEntry]:
    """Deliver everything due at `now`, in the order the store lets it go."""
    delivered: list[OutboxEntry] = []
    while batch := await store.claim_outbox(now, 100, timedelta(seconds=30)):
        for entry in batch:
            delivered.append(entry)
            await store.ack_outbox(entry, now)
    return delivered
