"""Property: random sequences of outbox and timer operations give the same answers on
the embedded store and on Redis (the contract suite checks chosen cases; this checks
the orders nobody thought of)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.core.clock import FakeClock
from bot.core.commands import TimerKind
from storage import MemoryStore, Store
from storage.base import Commit, CommitResult, OutboxEntry, TimerClaim
from tests.factories import NOW, make_entry, make_request
from tests.redis_server import MakeRedisStore
from tests.storage.helpers import save

LEASE = timedelta(seconds=30)
CONVERSATIONS = ["conv-1", "conv-2", "conv-3"]
REQUESTS = [("req-1", "conv-1"), ("req-2", "conv-1"), ("req-3", "conv-2")]

steps = st.sampled_from([0, 0, 1, 10, 30, 31])  # seconds the clock moves: leases end at 30
index = st.integers(0, 2)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.sampled_from(CONVERSATIONS), st.integers(1, 3)),
        st.tuples(st.just("claim"), steps),
        st.tuples(st.just("ack"), index),
        st.tuples(st.just("retry"), index, steps),
        st.tuples(st.just("dead"), index),
        st.tuples(
            st.just("arm"),
            st.sampled_from(REQUESTS),
            st.dictionaries(st.sampled_from(TimerKind), steps, max_size=2),
        ),
        st.tuples(st.just("claim_timers"), steps),
        st.tuples(st.just("release"), index, st.none() | steps),
    ),
    max_size=40,
)


class Twins:
    """Runs each operation on both stores and checks they answer alike."""

    def __init__(self, memory: Store, redis: Store) -> None:
        self.stores = (memory, redis)
        self.now = NOW
        self.entries: list[OutboxEntry] = []  # last claimed
        self.timers: list[TimerClaim] = []
        self.versions: dict[str, int] = {}

    async def both(self, method: str, *args: Any) -> Any:
        memory, redis = [await getattr(store, method)(*args) for store in self.stores]
        assert memory == redis, method
        return memory

    async def run(self, operation: tuple[Any, ...]) -> None:
        name, *args = operation
        await getattr(self, name)(*args)

    async def post(self, conversation_id: str, count: int) -> None:
        entries = [make_entry(conversation_id, text=f"m{n}", now=self.now) for n in range(count)]
        await self.both("commit", Commit(conversation_id, self.now, outbox=entries))

    async def claim(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        claimed = [await s.claim_outbox(self.now, 100, LEASE) for s in self.stores]
        memory, redis = (sorted(c, key=lambda e: e.entry_id) for c in claimed)
        assert memory == redis
        self.entries = memory

    async def ack(self, index: int) -> None:
        if index < len(self.entries):
            await self.both("ack_outbox", self.entries[index], self.now)

    async def retry(self, index: int, delay: int) -> None:
        if index < len(self.entries):
            next_at = self.now + timedelta(seconds=delay)
            await self.both("retry_outbox", self.entries[index], next_at, "HTTP 503")

    async def dead(self, index: int) -> None:
        if index < len(self.entries):
            await self.both("dead_letter", self.entries[index], "HTTP 400", self.now)

    async def arm(self, ids: tuple[str, str], due: dict[TimerKind, int]) -> None:
        request_id, conversation_id = ids
        version = self.versions.get(request_id, 0) + 1
        self.versions[request_id] = version
        request = make_request(request_id, conversation_id, version=version)
        timers = {kind: self.now + timedelta(seconds=s) for kind, s in due.items()}
        results = [await save(s, request, now=self.now, timers=timers) for s in self.stores]
        assert results == [CommitResult.ok, CommitResult.ok]

    async def claim_timers(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        claimed = [await s.claim_timers(self.now, 100, LEASE) for s in self.stores]
        memory, redis = (sorted(c, key=lambda t: (t.request_id, t.kind)) for c in claimed)
        assert memory == redis
        self.timers = memory

    async def release(self, index: int, due: int | None) -> None:
        if index < len(self.timers):
            due_at = None if due is None else self.now + timedelta(seconds=due)
            await self.both("release_timer", self.timers[index], due_at)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # stores made per example
)
@given(operations)
@example([("post", "conv-1", 2), ("claim", 0), ("ack", 0), ("claim", 0)])  # next head at once
@example([("post", "conv-1", 1), ("claim", 0), ("ack", 0), ("retry", 0, 0), ("claim", 0)])
@example([("post", "conv-2", 2), ("claim", 0), ("dead", 0), ("claim", 0), ("dead", 0)])
@example(
    [
        ("arm", REQUESTS[0], {TimerKind.seller_deadline: 0}),
        ("claim_timers", 0),
        ("arm", REQUESTS[0], {TimerKind.seller_deadline: 10}),
        ("release", 0, None),  # the commit in between wins
        ("claim_timers", 10),
    ]
)
@example(
    [
        ("arm", REQUESTS[1], {TimerKind.offer_expiry: 0}),
        ("claim_timers", 0),
        ("claim_timers", 31),  # lease ended: claimed again
        ("release", 0, 1),
        ("claim_timers", 1),
    ]
)
async def test_memory_and_redis_answer_alike(
    make_redis_store: MakeRedisStore, ops: list[tuple[Any, ...]]
) -> None:
    twins = Twins(MemoryStore(FakeClock()), make_redis_store())
    for operation in ops:
        await twins.run(operation)

    await twins.claim(3600)  # everything left is due (leases ended) and in the same state
    await twins.claim_timers(3600)
    await twins.both("dead_letters", 100)
