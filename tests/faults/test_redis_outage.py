"""Redis going away for a few seconds under load, and coming back, while the bot runs on.

A private redis-server serves one `reshipbot serve` (role all). A stream of signed events
(new requests in new conversations, and `/status` in the conversations made before) runs
through the outage while `/readyz` is polled. Three ways for Redis to fail:

- hung: SIGSTOP for 3 s, then SIGCONT. Connections stay open; nothing answers.
- stopped: the server is stopped for 3 s and started again on the same port. It runs with
  an append-only file synced on every write, so what was committed before survives (a
  throw-away `--save ""` server would come back empty, and the test would prove nothing).
- connections killed: `CLIENT KILL TYPE normal` every 20 ms for 2 s; the data stays.

The sender retries half of the events that failed (same event id and body) once Redis is
back and abandons the other half, as a platform that gave up would.

Checked: answers are 200 or 503 only (never 500), `/readyz` is 503 while Redis is away
and 200 again without a restart; every event answered 200 is committed (its processed
marker and request are in Redis); retried events are committed once; abandoned ones
are not (but for a commit already on its way, `MAX_LATE`); the outbox drains with one
effect per idempotency key; every open request has exactly its timers.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import orjson
import pytest

from storage import RedisStore
from storage.base import Commit, CommitResult
from tests.e2e.conftest import MakeBot
from tests.e2e.harness import BUYER, chat_data, requested_data
from tests.faults.conftest import MakeFleet, PrivateRedis
from tests.faults.support import (
    RedisProbe,
    Report,
    Sent,
    WebhookSender,
    assert_once_per_key,
)
from tests.redis_server import RedisServer

OUTAGE = 3.0
BEFORE = 4  # requests made before the outage; `/status` goes to their conversations
EVERY = 0.04  # seconds between events of the stream
# An event answered 503 may still have been committed: its commit script reached Redis
# just before it hung or lost the connection, and ran after the bot gave up waiting
# (see the last test). Only a commit in flight at that instant can do it: a round trip
# of about a millisecond, with an event every 40 ms.
MAX_LATE = 2


async def hung(redis: RedisServer) -> None:
    redis.pause()
    await asyncio.sleep(OUTAGE)
    redis.resume()


async def stopped(redis: RedisServer) -> None:
    redis.stop()
    await asyncio.sleep(OUTAGE)
    await asyncio.to_thread(redis.restart)


async def connections_killed(redis: RedisServer) -> None:
    ends = time.monotonic() + 2.0
    while time.monotonic() < ends:
        await asyncio.to_thread(redis.kill_clients)
        await asyncio.sleep(0.02)


OUTAGES: dict[str, Callable[[RedisServer], Awaitable[None]]] = {
    "hung": hung,
    "stopped": stopped,
    "connections_killed": connections_killed,
}


async def stream(sender: WebhookSender, stop: asyncio.Event) -> list[Sent]:
    """One attempt per event, each in its own task, until `stop`; the events sent."""
    bot, sent, tasks = sender.harness, [], []
    n = 0
    while not stop.is_set():
        if n % 3 == 2:
            conv = f"conv-before-{n % BEFORE}"
            event = sender.make("chat.message", chat_data("/status", BUYER, conv))
        else:
            rid = f"RQ-O{n}"
            event = sender.make(
                "reshipment.requested", requested_data(rid, f"conv-o{n}", bot.clock)
            )
        sent.append(event)
        tasks.append(asyncio.create_task(sender.deliver(event, retry=False)))
        n += 1
        await asyncio.sleep(EVERY)
    await asyncio.gather(*tasks)
    return sent


async def readiness(bot_url: str, stop: asyncio.Event) -> list[int | str]:
    seen: list[int | str] = []
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while not stop.is_set():
            try:
                async with session.get(f"{bot_url}/readyz") as answer:
                    seen.append(answer.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                seen.append(type(exc).__name__)
            await asyncio.sleep(0.1)
    return seen


def conversation_of(sent: Sent) -> str:
    return str(sent.data["conversation_id"])


@dataclass
class Outcome:
    variant: str
    sent: list[Sent]
    retried: list[Sent]
    abandoned: list[Sent]
    late: list[Sent]  # abandoned after a 503, yet committed (see the docstring below)
    ready_seen: list[int | str]
    first: Counter[str]


async def ride_out(
    variant: str,
    private_redis: PrivateRedis,
    make_fleet: MakeFleet,
    report: Report,
) -> Outcome:
    """One outage under load, from start to the checks; the numbers for the report."""
    redis = private_redis(persistent=variant == "stopped")
    fleet = await make_fleet(redis.url, RESHIPBOT_WORKER_LEASE="5s")
    process = await fleet.start()
    assert process.process is not None
    pid = process.process.pid
    bot = fleet.harness
    sender = WebhookSender(bot, pause=0.1)
    for n in range(BEFORE):
        made = await sender.send(
            "reshipment.requested", requested_data(f"RQ-B{n}", f"conv-before-{n}", bot.clock)
        )
        assert made.ok, made

    stop_stream, stop_probe = asyncio.Event(), asyncio.Event()
    streaming = asyncio.create_task(stream(sender, stop_stream))
    probing = asyncio.create_task(readiness(bot.base_url, stop_probe))
    await asyncio.sleep(0.5)
    outage_at = time.monotonic()
    await OUTAGES[variant](redis)
    back_at = time.monotonic()

    async def ready() -> bool:
        answer = await bot.api("/readyz", token=None)
        return answer.status == 200

    await bot.eventually(ready, what="/readyz 200 again")
    recovered = time.monotonic() - back_at
    await asyncio.sleep(0.5)
    stop_stream.set()
    sent = await streaming
    stop_probe.set()
    ready_seen = await probing
    first = Counter(str(s.attempts[0]) for s in sent)
    report(
        f"{variant}: outage {back_at - outage_at:.1f}s; {len(sent)} events in the stream, "
        f"first answers {dict(first)}; /readyz saw {dict(Counter(map(str, ready_seen)))}; "
        f"ready again {recovered:.2f}s after Redis returned, same process (pid {pid})"
    )
    # never a 500: every answer to these valid events is 200 or 503; the process lives on
    assert set(first) <= {"200", "503"}, first
    assert process.process.poll() is None and process.process.pid == pid
    if variant != "connections_killed":
        assert first["503"] > 0 and 503 in ready_seen

    failed = [s for s in sent if not s.ok]
    retried, abandoned = failed[::2], failed[1::2]
    for s in retried:  # the platform sends them again, now that the bot is back
        await sender.deliver(s)
        assert s.ok, s

    probe = RedisProbe(redis.url, fleet.prefix)
    try:
        committed = {
            s.event_id: await probe.processed(conversation_of(s), s.event_id) for s in sent
        }
        draining = time.monotonic()
        await probe.drained(bot)
        drained = time.monotonic() - draining
        stored = {r.request_id for r in await probe.requests()}
        timers, expected_timers = await probe.timers(), await probe.expected_timers()
    finally:
        await probe.close()

    # 200 means committed, and a retried event was committed once
    for s in sent:
        if s.ok:
            assert committed[s.event_id], f"answered 200 but not stored: {s}"
            assert s.type != "reshipment.requested" or s.data["request_id"] in stored
    late = [s for s in abandoned if committed[s.event_id]]
    for s in abandoned:
        assert s.type != "reshipment.requested" or (s.data["request_id"] in stored) == (s in late)
    assert len(late) <= MAX_LATE, f"{len(late)} abandoned 503s were committed: {late}"
    for rid in stored:
        assert bot.platform.card(f"{rid}.request.seller") is not None, rid
    by_key = assert_once_per_key(bot.platform)
    assert timers == expected_timers
    report(
        f"{variant}: {len(retried)} failed events retried → 200, stored once; "
        f"{len(abandoned)} abandoned → {len(abandoned) - len(late)} not stored, {len(late)} "
        f"committed late; {len(stored)} requests, each with its card (outbox drained "
        f"{drained:.1f}s after); {len(by_key)} keys, none with 2 effects; "
        f"{len(timers)} timers, as timers_for() says"
    )
    return Outcome(variant, sent, retried, abandoned, late, ready_seen, first)


@pytest.mark.timeout(90)
async def test_the_bot_rides_out_redis_hung_stopped_and_cut_off(
    private_redis: PrivateRedis, make_fleet: MakeFleet, report: Report
) -> None:
    """The three outages at once, each on its own Redis, bot process and platform.

    They run side by side because each waits for the outbox lease (15 s) of the entries
    whose acknowledgement Redis missed, and those waits overlap.
    """
    outcomes = await asyncio.gather(
        *(ride_out(variant, private_redis, make_fleet, report) for variant in OUTAGES)
    )
    assert sum(len(o.retried) for o in outcomes) > 0


async def test_a_commit_that_reached_a_hung_redis_lands_after_the_503_and_the_retry_is_safe(
    private_redis: PrivateRedis,
    make_bot: MakeBot,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
) -> None:
    """What a 503 promises: "not known to be done; send it again" — not "nothing happened".

    A commit script that Redis received before it hung runs when it wakes, after the bot
    gave up waiting and answered 503. The sender's retry then finds the event processed:
    200, and no second effect.
    """
    redis = private_redis()
    store = RedisStore.from_url(redis.url, prefix="rblate")
    bot = await make_bot("redis", store=store)
    await bot.requested("RQ-0", conversation_id="conv-0")  # the scripts are loaded now
    real_commit = store.commit

    async def commit_then_hang(change: Commit) -> CommitResult:
        redis.pause()  # the script still goes out: it waits in Redis's socket buffer
        return await real_commit(change)

    monkeypatch.setattr(store, "commit", commit_then_hang)
    event = bot.envelope("reshipment.requested", requested_data("RQ-1", "conv-1", bot.clock))
    started = time.monotonic()
    try:
        first = await bot.post_raw(orjson.dumps(event))
    finally:
        redis.resume()
    waited = time.monotonic() - started
    monkeypatch.setattr(store, "commit", real_commit)

    async def landed() -> bool:
        return (await store.read_conversation("conv-1", event["event_id"])).duplicate

    await bot.eventually(landed, what="the commit to land after the 503")
    retry = await bot.post_raw(orjson.dumps(event))
    await bot.card_at("RQ-1.request.seller", 1)
    await bot.settle()
    try:
        report(
            f"first answer {first.status} after {waited:.1f}s, yet committed once Redis woke; "
            f"the retry {retry.status} (a duplicate); "
            f"request {(await bot.get_request())['status']}, its card and text sent once"
        )
        assert first.status == 503 and first.body["error"]["code"] == "storage_unavailable"
        assert retry.status == 200
        assert_once_per_key(bot.platform)
        assert len(await bot.timeline("RQ-1")) == 1  # requested, once
    finally:
        await store.close()
