"""The timer worker: claims due timers from the store and fires them through the dispatcher.

Redis is the truth for timers (a due-time sorted set per bucket); a claim is a lease, so
timers claimed by a process that dies come back when the lease ends. Firing goes through
the same read-decide-commit path as any human action, so a timer racing a click has
exactly one outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

from bot.core.clock import Clock
from bot.core.errors import StorageError
from bot.runtime.dispatcher import Dispatcher
from storage.base import Store, TimerClaim

log = logging.getLogger("reshipbot.scheduler")


class TimerObserver(Protocol):
    def fired(self, kind: str, result: str) -> None: ...


class Scheduler:
    def __init__(
        self,
        store: Store,
        dispatcher: Dispatcher,
        clock: Clock,
        *,
        batch: int = 500,
        concurrency: int = 64,
        lease: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.25,
        observer: TimerObserver | None = None,
    ) -> None:
        self._store = store
        self._dispatcher = dispatcher
        self._clock = clock
        self._batch = batch
        self._lease = lease
        self._poll = poll_interval
        self._observer = observer
        self._slots = asyncio.Semaphore(concurrency)
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Fire due timers until `stop()`."""
        while not self._stopping.is_set():
            try:
                fired = await self.run_once()
            except StorageError as problem:
                log.warning("timer poll failed: %s", problem)
                fired = 0
            if fired < self._batch:
                await self._pause(self._poll)

    async def run_once(self) -> int:
        """Claim one batch of due timers and fire them all; returns how many."""
        claims = await self._store.claim_timers(self._clock.now(), self._batch, self._lease)
        if claims:
            await asyncio.gather(*(self._fire(claim) for claim in claims))
        return len(claims)

    async def _fire(self, claim: TimerClaim) -> None:
        async with self._slots:
            try:
                result = await self._dispatcher.fire_timer(claim)
            except StorageError as problem:
                # The lease runs out and the timer comes back: nothing is lost.
                log.warning(
                    "timer %s of %s not fired: %s", claim.kind.value, claim.request_id, problem
                )
                return
            if self._observer is not None:
                self._observer.fired(claim.kind.value, result.code or result.verdict)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def stop(self) -> None:
        self._stopping.set()
