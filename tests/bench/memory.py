"""Redis bytes per open request (SPEC §6: at most 4 KB), and where they go.

1. **At scale.** 100,000 open requests — a quarter each just requested, offer pending,
   approved (awaiting shipment) and shipped with 3 tracking events — committed straight
   to a private Redis with `store.commit`, with their request-id, order and tracking
   indexes and one processed-event marker per event that led there. Each state's request
   is built once with `bot.rules.decide` (so its JSON is real) and copied with new ids
   of the same length (tests/bench/states.py).
   Figure: the `INFO memory` `used_memory` delta divided by 100,000; the breakdown is
   `MEMORY USAGE` over 1 % of them. Not in it: the chat message log, which only the
   outbox writes (part 2 has it).
2. **Through the webhook.** On top of those (so the buckets' sorted sets have their
   real encoding), a `serve --role all` process and the sandbox platform take 20
   conversations to each state with signed events; the outbox drains, so each
   conversation's message log fills. Figure: per state, `MEMORY USAGE` of each of the
   request's keys — conversation hash, offer key, event markers, message log, indexes —
   plus its share of its bucket's timers and queue sorted sets (its members times the
   average bytes per member of those sets; tests/bench/usage.py).

Baseline: the request's JSON (`len(request.model_dump_json())`), so the ratio is what
the structures and indexes around it cost.

    uv run python -m tests.bench.memory
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import redis
import redis.asyncio as aioredis

from bot.core.models import ReshipmentRequest
from storage import RedisStore
from storage.base import Commit
from storage.keys import Keys
from tests.bench.common import PREFIX, Figure, Report, private_redis, start_bot, start_platform
from tests.bench.events import chat, logistics, requested
from tests.bench.roundtrips import Sender, signed
from tests.bench.seed import in_chunks, in_two_processes, new_commit, seeding_store
from tests.bench.states import TRACKING_STEPS, clone, templates
from tests.bench.usage import Parts, RequestKeys, measure, zset_member_bytes

REQUESTS = 100_000
SAMPLE_EVERY = 97  # the breakdown at scale: MEMORY USAGE of ~1 % (of every state)
PER_STATE = 20  # conversations per state through the webhook
TARGET = 4096
KEYS = Keys(PREFIX)


# --- 1. at scale -------------------------------------------------------------------------


def _seed_part(url: str, now: datetime, start: int, stop: int) -> list[RequestKeys]:
    return asyncio.run(_seed(url, now, range(start, stop)))


async def _seed(url: str, now: datetime, numbers: range) -> list[RequestKeys]:
    """Requests `numbers` (of every state in turn) with their indexes and markers."""
    states, built = templates(now)
    store = seeding_store(url)

    async def seed(n: int) -> RequestKeys:
        state, request = states[n % 4], clone(built[n % 4], n)
        item = RequestKeys(
            request.conversation_id,
            request.request_id,
            request.order.order_id,
            [f"evt-{n:07d}-{k}" for k in range(state.events)],
        )
        await store.claim_request_id(item.request_id, item.conversation_id, item.order_id)
        if request.shipment is not None and request.shipment.tracking_number:
            item.tracking = request.shipment.tracking_number
            await store.claim_tracking(item.tracking, item.conversation_id, item.request_id)
        for event_id in item.events[:-1]:  # markers of the events before the last
            await store.commit(Commit(item.conversation_id, now, event_id=event_id))
        await store.commit(new_commit(request, now, item.events[-1]))
        return item

    try:
        return await in_chunks(numbers, seed)  # type: ignore[return-value]
    finally:
        await store.close()


def at_scale(report: Report, url: str) -> None:
    control = redis.Redis.from_url(url)
    control.flushall()
    before = int(control.info("memory")["used_memory"])
    started = time.perf_counter()
    now = datetime.now(UTC) - timedelta(hours=1)
    seeded = in_two_processes(_seed_part, REQUESTS, url, now)
    seeding = time.perf_counter() - started
    after = int(control.info("memory")["used_memory"])
    per_request = (after - before) / REQUESTS
    built = templates(now)[1]
    json_size = sum(len(clone(t, 0).model_dump_json()) for t in built) / len(built)
    shares = zset_member_bytes(control)
    parts = Parts()
    sample = seeded[::SAMPLE_EVERY]
    for item in sample:
        measure(control, item, shares, parts)
    control.close()
    attributed = parts.total / len(sample)
    note = (
        f"{parts.describe(len(sample))}; keyspace overhead (dict entries, expiry "
        f"table) {per_request - attributed:,.0f}; seeded in {seeding:.0f} s; "
        "no message log"
    )
    report.add(
        Figure(
            f"memory/open request, {REQUESTS // 1000}k (INFO)",
            per_request,
            "B",
            json_size,
            "request JSON",
            f"≤ {TARGET} B",
            per_request <= TARGET,
            note,
        )
    )


# --- 2. through the webhook --------------------------------------------------------------


class Flow:
    """Conversations taken to a state by signed events, each event id remembered."""

    def __init__(self, sender: Sender, store: RedisStore) -> None:
        self.sender = sender
        self.store = store
        self.events: dict[str, list[str]] = {}
        self.tracking: dict[str, str] = {}
        self._seq = 0

    def send(self, conversation_id: str, event: dict[str, object]) -> None:
        self.events.setdefault(conversation_id, []).append(str(event["event_id"]))
        self.sender.send_all([signed(event)])

    async def wait(self, ids: list[str], done: str) -> dict[str, ReshipmentRequest]:
        deadline = time.monotonic() + 30
        while True:
            found = {rid: await self.store.get_request(rid) for rid in ids}
            ready = {rid: r for rid, r in found.items() if r is not None and _is(r, done)}
            if len(ready) == len(ids):
                return ready
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(ids) - len(ready)} requests never got {done}")
            await asyncio.sleep(0.1)

    def now(self) -> int:
        return int(datetime.now(UTC).timestamp())


def _is(request: ReshipmentRequest, done: str) -> bool:
    if done == "replacement order":
        return request.replacement_order_id is not None
    if done == "tracking number":
        return request.shipment is not None and request.shipment.tracking_number is not None
    return True


Groups = dict[str, list[tuple[RequestKeys, int]]]  # state → (its keys, its JSON size)


async def _drive(port: int, url: str) -> Groups:
    store = RedisStore.from_url(url, prefix=PREFIX)
    sender = Sender(port)
    flow = Flow(sender, store)
    groups = {
        name: [f"W{name[:3]}{n}" for n in range(PER_STATE)]
        for name in ("requested", "offer pending", "awaiting shipment", "shipped")
    }
    try:
        for ids in groups.values():
            for rid in ids:
                flow.send(f"c{rid}", requested(rid, f"c{rid}", flow.now()))
        for rid in groups["offer pending"]:
            flow.send(
                f"c{rid}", chat(f"c{rid}", "seller", "seller-bench", "/offer 40%", flow.now())
            )
        for rid in groups["awaiting shipment"] + groups["shipped"]:
            flow.send(f"c{rid}", chat(f"c{rid}", "seller", "seller-bench", "/approve", flow.now()))
        await flow.wait(groups["awaiting shipment"] + groups["shipped"], "replacement order")
        for rid in groups["shipped"]:
            flow.send(f"c{rid}", chat(f"c{rid}", "seller", "seller-bench", "/ship", flow.now()))
        shipped = await flow.wait(groups["shipped"], "tracking number")
        for step in range(len(TRACKING_STEPS)):
            for rid, request in shipped.items():
                tracking = request.shipment.tracking_number  # type: ignore[union-attr]
                flow.tracking[rid] = str(tracking)
                flow.send(f"c{rid}", logistics(str(tracking), step, flow.now()))
        await _drained(url, [f"c{rid}" for ids in groups.values() for rid in ids])
        found: Groups = {}
        for name, ids in groups.items():
            for rid in ids:
                stored = await store.get_request(rid)
                item = RequestKeys(
                    f"c{rid}", rid, f"order-{rid}", flow.events[f"c{rid}"], flow.tracking.get(rid)
                )
                size = len(stored.model_dump_json()) if stored is not None else 0
                found.setdefault(name, []).append((item, size))
        return found
    finally:
        sender.close()
        await store.close()


async def _drained(url: str, conversations: list[str]) -> None:
    """Wait until every conversation's outbox is delivered (and its message log written)."""
    client = aioredis.Redis.from_url(url)
    left = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            left = sum([await client.llen(KEYS.outbox_queue(c)) for c in conversations])
            if not left:
                return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"{left} outbox entries never delivered")
    finally:
        await client.aclose()


def through_webhook(report: Report, url: str) -> None:
    platform, platform_url = start_platform()
    bot, port = start_bot(url, platform_url, role="all")
    try:
        groups = asyncio.run(_drive(port, url))
    finally:
        bot.stop()
        platform.stop()
    control = redis.Redis.from_url(url)
    shares = zset_member_bytes(control)
    for name, items in groups.items():
        parts = Parts()
        for item, _ in items:
            measure(control, item, shares, parts)
        per_request = parts.total / len(items)
        json_size = sum(size for _, size in items) / len(items)
        report.add(
            Figure(
                f"memory/request via webhook: {name}",
                per_request,
                "B",
                json_size,
                "request JSON",
                f"≤ {TARGET} B",
                per_request <= TARGET,
                parts.describe(len(items)),
            )
        )
    control.close()


def bench(report: Report) -> None:
    with private_redis() as redis_server:
        at_scale(report, redis_server.url)
        through_webhook(report, redis_server.url)


if __name__ == "__main__":
    bench(Report())
