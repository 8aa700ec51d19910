"""OutboxWorker with a real store, a FakeClock and the sandbox platform over real HTTP.

Backoff is checked by moving the clock: nothing here sleeps to wait for a retry. The
`store` fixture runs the delivery rules on both backends; the loop's tests use memory.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.core.clock import FakeClock
from bot.core.commands import Command, RefundIssued
from bot.core.errors import StorageUnavailable
from bot.platforms.base import Delivery
from bot.platforms.generic.platform import GenericOutbound
from bot.platforms.generic.sandbox import SandboxState
from bot.runtime.metrics import Metrics
from bot.runtime.outbox import OutboxWorker
from storage import MemoryStore, Store
from storage.base import Commit, OutboxEntry
from tests.outbox.support import enqueue, refund_entry, text_entry
from tests.timing import WAIT, patience

LEASE = timedelta(seconds=30)
FAR = timedelta(days=30)
SECOND = timedelta(seconds=1)
EPSILON = timedelta(milliseconds=1)


class Recorder:
    """Collects what the worker hands back: results, dead letters, metrics."""

    def __init__(self, store: Store | None = None) -> None:
        self.results: list[tuple[OutboxEntry, Command]] = []
        self.dead_letters: list[tuple[OutboxEntry, str]] = []
        self.attempts: list[str] = []
        self.deaths = 0
        self._store = store  # when set, on_result acks like the dispatcher's commit does

    async def on_result(self, entry: OutboxEntry, result: Command) -> None:
        self.results.append((entry, result))
        if self._store is not None:
            commit = Commit(entry.conversation_id, entry.created_at, ack_outbox=entry.entry_id)
            await self._store.commit(commit)

    async def on_dead(self, entry: OutboxEntry, error: str) -> None:
        self.dead_letters.append((entry, error))

    def attempt(self, outcome: str) -> None:
        self.attempts.append(outcome)

    def dead(self) -> None:
        self.deaths += 1


def worker_for(
    store: Store, client: Any, clock: FakeClock, recorder: Recorder | None = None, **options: Any
) -> OutboxWorker:
    recorder = recorder or Recorder()
    settings: dict[str, Any] = {
        "on_result": recorder.on_result,
        "on_dead": recorder.on_dead,
        "metrics": recorder,
        "lease": LEASE,
        "poll_interval": 0.01,
        "jitter": lambda: 1.0,  # the full backoff
    }
    return OutboxWorker(store, client, clock, **(settings | options))


async def drain(worker: OutboxWorker) -> int:
    """run_once until nothing is due at the clock's time; the number delivered."""
    total = 0
    while delivered := await worker.run_once():
        total += delivered
    return total


async def pending(store: Store, clock: FakeClock) -> list[OutboxEntry]:
    """Entries still in the outbox (claimable once every lease and backoff is over)."""
    return await store.claim_outbox(clock.now() + FAR, 100, LEASE)


def texts(state: SandboxState, conversation_id: str) -> list[str | None]:
    return [message.text for message in state.conversation(conversation_id)]


# --- delivery rules, on both backends -----------------------------------------------------
async def test_entries_are_delivered_in_order_per_conversation(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    entries = [text_entry(conv, text=f"{conv}-{n}") for n in range(3) for conv in ("a", "b")]
    await enqueue(store, *entries)
    worker = worker_for(store, platform_client, clock)

    rounds = [await worker.run_once() for _ in range(4)]

    assert rounds == [2, 2, 2, 0]  # one entry per conversation at a time
    assert texts(platform_state, "a") == ["a-0", "a-1", "a-2"]
    assert texts(platform_state, "b") == ["b-0", "b-1", "b-2"]
    assert await pending(store, clock) == []


async def test_a_platform_failing_for_a_while_gets_each_effect_once_after_the_backoff(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    entry = refund_entry()
    await enqueue(store, entry)
    platform_state.fail_next(3, status=503)
    worker = worker_for(store, platform_client, clock, Recorder(store))
    start = clock.now()

    for due in (SECOND, 3 * SECOND, 7 * SECOND):  # 1 s, then 2 s, then 4 s later
        assert await worker.run_once() == 1
        clock.set(start + due - EPSILON)
        assert await worker.run_once() == 0  # not before its next attempt
        clock.set(start + due)
    assert await worker.run_once() == 1

    assert [c.status for c in platform_state.calls] == [503, 503, 503, 200]
    assert {c.idempotency_key for c in platform_state.calls} == {entry.idempotency_key}
    assert platform_state.effect_count(entry.idempotency_key) == 1
    assert len(platform_state.refunds) == 1
    assert await pending(store, clock) == []


async def test_a_retrying_entry_holds_back_its_conversation_only(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    await enqueue(
        store,
        refund_entry("a"),
        text_entry("a", text="after"),
        text_entry("b", text="other"),
    )
    platform_state.fail_path("/v1/refunds", 500)
    worker = worker_for(store, platform_client, clock, Recorder(store))

    await drain(worker)
    assert texts(platform_state, "a") == []
    assert texts(platform_state, "b") == ["other"]

    platform_state.clear_faults()
    clock.advance(SECOND)
    await drain(worker)
    assert texts(platform_state, "a") == ["after"]
    assert [c.path for c in platform_state.calls if c.status == 200][-2:] == [
        "/v1/refunds",
        "/v1/chat/messages",
    ]


async def test_a_refusal_is_a_dead_letter_and_the_conversation_goes_on(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    refund, text = refund_entry(), text_entry(text="next")
    await enqueue(store, refund, text)
    platform_state.fail_path("/v1/refunds", 422)
    recorder = Recorder()
    worker = worker_for(store, platform_client, clock, recorder)

    await drain(worker)

    [dead] = await store.dead_letters()
    assert dead.entry.entry_id == refund.entry_id
    assert dead.error.startswith("HTTP 422: sandbox_fault")
    assert recorder.dead_letters == [(refund, dead.error)]
    assert recorder.results == []
    assert texts(platform_state, "conv-1") == ["next"]
    assert (recorder.attempts, recorder.deaths) == (["dead", "done"], 1)


async def test_max_attempts_make_a_dead_letter(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    entry = text_entry()
    await enqueue(store, entry)
    platform_state.fail_path("/v1/chat", 500)
    recorder = Recorder()
    worker = worker_for(store, platform_client, clock, recorder, max_attempts=3)

    for _ in range(5):
        await drain(worker)
        clock.advance(timedelta(minutes=5))

    assert len(platform_state.calls) == 3
    [dead] = await store.dead_letters()
    assert dead.error.startswith("gave up after 3 attempts: HTTP 500")
    assert dead.entry.attempts == 3
    assert [error for _, error in recorder.dead_letters] == [dead.error]
    assert recorder.attempts == ["retry", "retry", "retry"]


async def test_a_feedback_entry_goes_to_on_result_and_the_worker_does_not_ack_it(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    refund = refund_entry()
    await enqueue(store, refund, text_entry(text="next"))
    recorder = Recorder()  # records, and does not ack
    worker = worker_for(store, platform_client, clock, recorder)

    await drain(worker)

    [(entry, result)] = recorder.results
    assert entry.entry_id == refund.entry_id
    assert result == RefundIssued(platform_state.refunds[0]["refund_id"])
    assert texts(platform_state, "conv-1") == []  # the refund is still the head
    assert [e.entry_id for e in await pending(store, clock)] == [refund.entry_id]


async def test_when_on_result_acks_the_conversation_goes_on(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    await enqueue(store, refund_entry(), text_entry(text="next"))
    worker = worker_for(store, platform_client, clock, Recorder(store))

    assert await drain(worker) == 2
    assert texts(platform_state, "conv-1") == ["next"]
    assert await pending(store, clock) == []


async def test_without_on_result_a_feedback_entry_is_acked(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    await enqueue(store, refund_entry())
    worker = worker_for(store, platform_client, clock, on_result=None)

    await drain(worker)

    assert len(platform_state.refunds) == 1
    assert await pending(store, clock) == []


async def test_a_failed_on_result_is_retried_and_the_platform_replays_the_answer(
    store: Store, clock: FakeClock, platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    refund = refund_entry()
    await enqueue(store, refund)
    recorder = Recorder(store)
    failures = [StorageUnavailable("down")]

    async def on_result(entry: OutboxEntry, result: Command) -> None:
        if failures:
            raise failures.pop()
        await recorder.on_result(entry, result)

    worker = worker_for(store, platform_client, clock, recorder, on_result=on_result)

    await drain(worker)
    clock.advance(SECOND)
    await drain(worker)

    refund_id = platform_state.refunds[0]["refund_id"]
    assert [r for _, r in recorder.results] == [RefundIssued(refund_id)]
    assert [c.replayed for c in platform_state.calls] == [False, True]
    assert platform_state.effect_count(refund.idempotency_key) == 1
    assert await pending(store, clock) == []


# --- backoff arithmetic -------------------------------------------------------------------------
class ScriptedClient:
    """A platform client that answers from a script (last answer repeats)."""

    def __init__(self, *answers: Delivery | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def deliver(self, entry: OutboxEntry) -> Delivery:
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.mark.parametrize(
    ("attempts", "jitter", "retry_after", "expected"),
    [
        (0, 1.0, None, SECOND),
        (0, 0.0, None, SECOND / 2),  # jitter keeps at least half
        (3, 1.0, None, 8 * SECOND),
        (12, 1.0, None, timedelta(seconds=300)),  # capped
        (0, 1.0, 7.0, 7 * SECOND),  # Retry-After wins when longer
        (0, 1.0, 9999.0, timedelta(seconds=300)),  # but not past the cap
    ],
)
async def test_backoff(
    memory_store: MemoryStore,
    clock: FakeClock,
    attempts: int,
    jitter: float,
    retry_after: float | None,
    expected: timedelta,
) -> None:
    await enqueue(memory_store, text_entry(attempts=attempts))
    client = ScriptedClient(Delivery.retry("HTTP 503: busy", retry_after=retry_after))
    worker = worker_for(memory_store, client, clock, jitter=lambda: jitter, max_attempts=99)

    await worker.run_once()

    assert await memory_store.claim_outbox(clock.now() + expected - EPSILON, 1, LEASE) == []
    [again] = await memory_store.claim_outbox(clock.now() + expected, 1, LEASE)
    assert (again.attempts, again.last_error) == (attempts + 1, "HTTP 503: busy")


async def test_a_client_that_raises_counts_as_a_retry(
    memory_store: MemoryStore, clock: FakeClock
) -> None:
    await enqueue(memory_store, text_entry())
    recorder = Recorder()
    worker = worker_for(memory_store, ScriptedClient(RuntimeError("boom")), clock, recorder)

    await worker.run_once()

    [again] = await pending(memory_store, clock)
    assert again.last_error == "client error: RuntimeError"
    assert recorder.attempts == ["retry"]


async def test_prometheus_metrics_count_attempts_and_dead_letters(
    memory_store: MemoryStore, clock: FakeClock
) -> None:
    metrics = Metrics()
    registry = metrics.registry
    await enqueue(memory_store, text_entry("a"), text_entry("b"))
    client = ScriptedClient(Delivery.done(), Delivery.dead("HTTP 400: no"))
    worker = worker_for(memory_store, client, clock, metrics=metrics)

    await worker.run_once()

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert sample("reshipbot_outbox_attempts_total", outcome="done") == 1
    assert sample("reshipbot_outbox_attempts_total", outcome="dead") == 1
    assert sample("reshipbot_outbox_dead_letters_total") == 1


# --- the loop ------------------------------------------------------------------------------------
async def eventually(condition: Callable[[], bool], seconds: float = WAIT) -> None:
    deadline = time.monotonic() + patience(seconds)
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_wake_delivers_at_once_instead_of_at_the_next_poll(
    memory_store: MemoryStore,
    clock: FakeClock,
    platform_client: GenericOutbound,
    platform_state: SandboxState,
) -> None:
    worker = worker_for(memory_store, platform_client, clock, poll_interval=60.0)
    running = asyncio.create_task(worker.run())
    await asyncio.sleep(0.05)  # the loop found nothing and waits for the poll

    await enqueue(memory_store, text_entry(text="now"))
    worker.wake()
    await eventually(lambda: texts(platform_state, "conv-1") == ["now"])

    await worker.stop()
    assert running.done()


async def test_stop_finishes_in_flight_deliveries(
    memory_store: MemoryStore,
    clock: FakeClock,
    platform_client: GenericOutbound,
    platform_state: SandboxState,
) -> None:
    platform_state.delay(0.2)
    await enqueue(memory_store, text_entry(text="in flight"))
    worker = worker_for(memory_store, platform_client, clock)
    running = asyncio.create_task(worker.run())
    await eventually(lambda: worker.in_flight == 1)

    await worker.stop()

    assert running.done()
    assert texts(platform_state, "conv-1") == ["in flight"]
    assert await pending(memory_store, clock) == []  # delivered and acked


async def test_stop_leaves_what_it_cannot_finish_leased_for_a_later_claim(
    memory_store: MemoryStore,
    clock: FakeClock,
    platform_client: GenericOutbound,
    platform_state: SandboxState,
) -> None:
    entry = text_entry(text="slow")
    platform_state.delay(0.3)
    await enqueue(memory_store, entry)
    worker = worker_for(memory_store, platform_client, clock, stop_timeout=0.01)
    running = asyncio.create_task(worker.run())
    await eventually(lambda: worker.in_flight == 1)

    await worker.stop()
    assert running.done()
    assert await memory_store.claim_outbox(clock.now(), 10, LEASE) == []  # still leased
    await eventually(lambda: len(platform_state.calls) == 1)  # the platform did it anyway

    platform_state.clear_faults()
    clock.advance(LEASE)
    later = worker_for(memory_store, platform_client, clock)
    assert await later.run_once() == 1
    assert [c.replayed for c in platform_state.calls] == [False, True]
    assert platform_state.effect_count(entry.idempotency_key) == 1


class FlakyStore(MemoryStore):
    def __init__(self, clock: FakeClock, failures: int) -> None:
        super().__init__(clock)
        self.failures = failures

    async def claim_outbox(self, now: Any, limit: int, lease: timedelta) -> list[OutboxEntry]:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailable("redis is down")
        return await super().claim_outbox(now, limit, lease)


async def test_storage_errors_in_the_loop_are_logged_and_retried(
    clock: FakeClock,
    platform_client: GenericOutbound,
    platform_state: SandboxState,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FlakyStore(clock, failures=3)
    await enqueue(store, text_entry(text="eventually"))
    worker = worker_for(store, platform_client, clock, error_pause=0.01)
    running = asyncio.create_task(worker.run())

    await eventually(lambda: texts(platform_state, "conv-1") == ["eventually"])
    await worker.stop()

    assert running.done() and running.exception() is None
    failures = [r for r in caplog.records if "claiming failed" in r.getMessage()]
    assert len(failures) == 3


async def test_the_loop_delivers_more_entries_than_its_concurrency(
    memory_store: MemoryStore,
    clock: FakeClock,
    platform_client: GenericOutbound,
    platform_state: SandboxState,
) -> None:
    await enqueue(memory_store, *[text_entry(f"c{n}", text=f"t{n}") for n in range(20)])
    worker = worker_for(memory_store, platform_client, clock, concurrency=3, batch=5)
    running = asyncio.create_task(worker.run())

    await eventually(lambda: len(platform_state.calls) == 20)
    await worker.stop()

    assert running.done()
    assert await pending(memory_store, clock) == []
