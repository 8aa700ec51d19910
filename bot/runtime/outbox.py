"""The outbox worker: delivers committed effects, at least once, in order per conversation.

A transition commits its effects as outbox entries together with its state (SPEC §5),
so nothing is sent before it is stored. This worker claims due entries (the store
leases each conversation's oldest one only, which keeps a conversation in order), has
the platform carry them out concurrently, and records what came of each:

- done: `store.ack_outbox` — unless the platform's answer carries a result for the
  request and `on_result` is set; then `on_result(entry, result)` commits it into the
  request and acks the entry in that same atomic commit, so the worker does not ack it.
- retry: `store.retry_outbox` at `now + backoff` (base·2^attempts, capped, jittered to
  between half and all of it; a `Retry-After` from the platform is honoured up to the
  cap); after `max_attempts` attempts it becomes a dead letter.
- dead: `store.dead_letter`, then `on_dead(entry, error)` (the request's timeline).

An `on_result` that fails (the store is down, say) is retried with the same backoff
but never dead-lettered: the platform accepted the effect, and the next attempt gets
the same answer again through the `Idempotency-Key`.

A worker that dies leaves its entries leased; they are claimed again when the lease
ends (so the lease must comfortably exceed the client's timeout). Times come from the
injected clock; `poll_interval` is real time between claims when there is nothing to
do (`wake()` cuts it short after a commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.core.commands import Command
from bot.platforms.base import Delivery, DeliveryStatus
from storage.base import OutboxEntry, Store

log = logging.getLogger("reshipbot.outbox")

OnResult = Callable[[OutboxEntry, Command], Awaitable[None]]
OnDead = Callable[[OutboxEntry, str], Awaitable[None]]
# Fills in a body rendered at delivery (a card); None: nothing to send any more.
Materialize = Callable[[OutboxEntry], Awaitable[OutboxEntry | None]]


class Deliverer(Protocol):
    """What the worker needs from the platform (`bot.platforms.base.Platform`)."""

    async def deliver(self, entry: OutboxEntry) -> Delivery: ...


class OutboxMetrics(Protocol):
    def attempt(self, outcome: str) -> None:
        """One delivery attempt ended `done`, `retry` or `dead`."""

    def dead(self) -> None:
        """One entry became a dead letter."""


class _NoMetrics:
    def attempt(self, outcome: str) -> None:
        pass

    def dead(self) -> None:
        pass


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        client: Deliverer,
        clock: Clock,
        *,
        on_result: OnResult | None = None,
        on_dead: OnDead | None = None,
        materialize: Materialize | None = None,
        batch: int = 100,
        concurrency: int = 32,
        lease: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.2,
        max_attempts: int = 10,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        metrics: OutboxMetrics | None = None,
        stop_timeout: float = 10.0,
        error_pause: float = 1.0,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if batch < 1 or concurrency < 1 or max_attempts < 1:
            raise ValueError("batch, concurrency and max_attempts must be at least 1")
        self._store = store
        self._client = client
        self._clock = clock
        self._on_result = on_result
        self._on_dead = on_dead
        self._materialize = materialize
        self._batch = batch
        self._concurrency = concurrency
        self._lease = lease
        self._poll_interval = poll_interval
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._metrics: OutboxMetrics = metrics or _NoMetrics()
        self._stop_timeout = stop_timeout
        self._error_pause = error_pause
        self._jitter = jitter
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._exited: asyncio.Event | None = None

    # --- control ---------------------------------------------------------------------
    def wake(self) -> None:
        """Claim now instead of at the next poll (call it after committing new entries)."""
        self._wake.set()

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    async def run(self) -> None:
        """Deliver until `stop()`; then finish what is in flight (bounded) and return.

        A stopped worker stays stopped (a `stop()` before `run()` starts is not lost).
        """
        self._exited = asyncio.Event()
        try:
            while not self._stopping:
                await self._step()
        finally:
            await self._drain()
            self._exited.set()

    async def stop(self) -> None:
        """Stop claiming, let in-flight deliveries finish (up to `stop_timeout`), return."""
        self._stopping = True
        self._wake.set()
        if self._exited is not None:
            await self._exited.wait()
        else:
            await self._drain()

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim what is due at `now` (default: the clock), deliver it all, return the count.

        Outcomes are recorded at the clock's time after each delivery.
        """
        entries = await self._store.claim_outbox(now or self._clock.now(), self._batch, self._lease)
        tasks = [task for entry in entries if (task := self._spawn(entry)) is not None]
        if tasks:
            await asyncio.gather(*tasks)
        return len(tasks)

    # --- the loop --------------------------------------------------------------------
    async def _step(self) -> None:
        self._wake.clear()  # before claiming, so a wake() during the claim is not lost
        room = min(self._batch, self._concurrency - len(self._inflight))
        if room > 0:
            try:
                entries = await self._store.claim_outbox(self._clock.now(), room, self._lease)
            except Exception:
                log.exception("outbox: claiming failed; trying again shortly")
                await self._sleep(self._error_pause)
                return
            for entry in entries:
                self._spawn(entry)
            if len(entries) == room and len(self._inflight) < self._concurrency:
                return  # a full batch: more may be due, claim again at once
        await self._sleep(self._poll_interval)

    async def _sleep(self, seconds: float) -> None:
        """Wait `seconds`, or less if woken (a commit, a free slot, `stop()`)."""
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _spawn(self, entry: OutboxEntry) -> asyncio.Task[None] | None:
        if entry.entry_id in self._inflight:  # its lease ran out while we still deliver it
            return None
        task = asyncio.create_task(self._handle(entry), name=f"outbox:{entry.entry_id}")
        self._inflight[entry.entry_id] = task
        task.add_done_callback(lambda done: self._finished(entry.entry_id, done))
        return task

    def _finished(self, entry_id: str, task: asyncio.Task[None]) -> None:
        was_full = len(self._inflight) >= self._concurrency
        self._inflight.pop(entry_id, None)
        if was_full:
            self._wake.set()  # a slot is free: the loop may claim again
        if not task.cancelled() and task.exception() is not None:  # pragma: no cover
            log.error("outbox: delivery task failed", exc_info=task.exception())

    async def _drain(self) -> None:
        tasks = list(self._inflight.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self._stop_timeout)
        for task in pending:  # still leased: claimed again when the lease ends
            task.cancel()
        if pending:
            log.warning("outbox: stopped with %d deliveries unfinished", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)

    # --- one entry -------------------------------------------------------------------
    async def _handle(self, entry: OutboxEntry) -> None:
        async with self._slots:
            ready = await self._prepare(entry)
            if ready is None:
                return
            entry = ready
            try:
                delivery = await self._client.deliver(entry)
            except Exception as exc:  # a client is not supposed to raise; treat it as I/O
                log.exception("outbox: the platform client raised", extra=_fields(entry))
                delivery = Delivery.retry(f"client error: {type(exc).__name__}")
        self._metrics.attempt(delivery.status.value)
        try:
            await self._settle(entry, delivery)
        except Exception:  # the entry stays leased and is claimed again at lease end
            log.exception("outbox: recording the outcome failed", extra=_fields(entry))
        if delivery.status is not DeliveryStatus.retry:
            # the conversation's next entry is due now: claim it without waiting a poll
            self._wake.set()

    async def _prepare(self, entry: OutboxEntry) -> OutboxEntry | None:
        """The entry with its card rendered; None when it is settled without sending."""
        if not entry.effect.shows_card or self._materialize is None:
            return entry
        try:
            ready = await self._materialize(entry)
        except Exception as exc:  # e.g. the store is down: try again later, like a 5xx
            log.warning("outbox: could not render the entry", extra=_fields(entry))
            next_at = self._clock.now() + self._backoff(entry.attempts, None)
            with contextlib.suppress(Exception):
                await self._store.retry_outbox(entry, next_at, f"render: {type(exc).__name__}")
            return None
        if ready is None:  # overtaken by a newer entry: done without a call
            with contextlib.suppress(Exception):
                await self._store.ack_outbox(entry, self._clock.now())
            self._wake.set()
        return ready

    async def _settle(self, entry: OutboxEntry, delivery: Delivery) -> None:
        now = self._clock.now()
        error = delivery.error or "unknown error"
        if delivery.status is DeliveryStatus.done:
            if delivery.result is not None and self._on_result is not None:
                await self._feed_back(entry, delivery.result)
            else:
                await self._store.ack_outbox(entry, now)
        elif delivery.status is DeliveryStatus.retry:
            attempts = entry.attempts + 1
            if attempts >= self._max_attempts:
                await self._bury(entry, f"gave up after {attempts} attempts: {error}", now)
                return
            next_at = now + self._backoff(entry.attempts, delivery.retry_after)
            log.info("outbox: will retry", extra={**_fields(entry), "error": error})
            await self._store.retry_outbox(entry, next_at, error)
        else:
            await self._bury(entry, error, now)

    async def _feed_back(self, entry: OutboxEntry, result: Command) -> None:
        assert self._on_result is not None
        try:
            await self._on_result(entry, result)
        except Exception as exc:
            log.exception("outbox: committing the platform's answer failed", extra=_fields(entry))
            next_at = self._clock.now() + self._backoff(entry.attempts, None)
            error = f"result not recorded: {type(exc).__name__}"
            await self._store.retry_outbox(entry, next_at, error)

    async def _bury(self, entry: OutboxEntry, error: str, now: datetime) -> None:
        log.warning("outbox: dead letter", extra={**_fields(entry), "error": error})
        await self._store.dead_letter(entry, error, now)
        self._metrics.dead()
        if self._on_dead is not None:
            try:
                await self._on_dead(entry, error)
            except Exception:
                log.exception("outbox: on_dead failed", extra=_fields(entry))

    def _backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        """base·2^attempts capped, jittered to [½, 1] of it; at least `retry_after`, capped."""
        full = min(self._backoff_cap, self._backoff_base * 2.0 ** min(attempts, 64))
        seconds = full * (0.5 + 0.5 * self._jitter())
        if retry_after is not None:
            seconds = max(seconds, min(retry_after, self._backoff_cap))
        return timedelta(seconds=seconds)


def _fields(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "conversation_id": entry.conversation_id,
        "request_id": entry.request_id,
        "effect": entry.effect.value,
        "attempts": entry.attempts,
    }
