"""`kill -9` of the server at random moments under load, on the Redis store.

One `reshipbot serve` (role all) on a private key prefix; the recording platform runs in
the test's loop. Journeys start one after another (new request → seller acts → buyer
clicks real card tokens → logistics for shipped ones) while the server is killed and
started again 3 times on the same port. Every event that failed on the wire or got a
503 is sent again, like a platform would: same event id, same body.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from typing import Any

import pytest

from bot.platforms.generic.sandbox import SandboxState
from tests.e2e.harness import BUYER, SELLER, chat_data, click_data, logistics_data, requested_data
from tests.faults.conftest import MakeFleet
from tests.faults.support import (
    RedisProbe,
    Report,
    WebhookSender,
    assert_once_per_key,
    redundant_updates,
    wait_card,
    wait_request,
)
from tests.processes import BotProcess

JOURNEYS = 30
START_EVERY = 0.2  # seconds between journeys: the load spans the kills
KILLS = 3
EXPECTED = {  # journey kind → the status it ends in
    "leave": "awaiting_seller",
    "approve_ship_deliver": "delivered",
    "approve_card": "awaiting_shipment",
    "offer_accept": "refunded",
    "offer_decline": "awaiting_seller",
    "refund": "refunded",
}
KINDS = list(EXPECTED)


async def journey(sender: WebhookSender, platform: SandboxState, n: int) -> tuple[str, str]:
    bot = sender.harness
    rid, conv = f"RQ-K{n}", f"conv-k{n}"
    kind = KINDS[n % len(KINDS)]

    async def send(type_: str, data: dict[str, Any]) -> None:
        sent = await sender.send(type_, data)
        assert sent.ok, sent

    def chat(text: str, who: dict[str, str] = SELLER) -> dict[str, Any]:
        return chat_data(text, who, conv)

    await send("reshipment.requested", requested_data(rid, conv, bot.clock))
    card = await wait_card(bot, f"{rid}.request.seller")
    if kind == "approve_ship_deliver":
        await send("chat.message", chat(f"/approve #{rid}"))
        await wait_request(bot, rid, lambda r: r["replacement_order_id"], what="the order id")
        await send("chat.message", chat("/ship"))
        shipped = await wait_request(
            bot, rid, lambda r: (r["shipment"] or {}).get("tracking_number")
        )
        number = shipped["shipment"]["tracking_number"]
        at = int(bot.clock.now().timestamp())
        for offset, status in enumerate(("picked_up", "in_transit", "delivered")):
            await send("logistics.updated", logistics_data(number, status, at + offset))
    elif kind == "approve_card":
        await send("card.action", click_data(card, "approve", SELLER, conversation_id=conv))
    elif kind == "refund":
        await send("card.action", click_data(card, "refund_only", SELLER, conversation_id=conv))
    elif kind.startswith("offer_"):
        await send("chat.message", chat("/offer 10"))
        offer = await wait_card(bot, f"{rid}.offer.buyer")
        action = "accept_offer" if kind == "offer_accept" else "decline_offer"
        await send("card.action", click_data(offer, action, BUYER, conversation_id=conv))
    return rid, kind


async def killer(process: BotProcess, moments: list[float], started: float) -> list[float]:
    """kill -9 at each moment (seconds after `started`), then start again on the same port."""
    downtimes = []
    for moment in moments:
        await asyncio.sleep(max(0.0, started + moment - time.monotonic()))
        process.kill9()
        down = time.monotonic()
        await process.start()
        downtimes.append(time.monotonic() - down)
    return downtimes


@pytest.mark.timeout(120)
async def test_kill_9_at_random_moments_loses_and_duplicates_nothing(
    make_fleet: MakeFleet, redis_url: str, report: Report
) -> None:
    # the shortest outbox lease (15 s): entries in flight at a kill are claimed again then
    fleet = await make_fleet(redis_url, RESHIPBOT_WORKER_LEASE="5s")
    process = await fleet.start()
    bot, platform = fleet.harness, fleet.harness.platform
    sender = WebhookSender(bot, pause=0.1)
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    span = JOURNEYS * START_EVERY
    moments = sorted(rng.uniform(0.3, span) for _ in range(KILLS))
    report(
        f"seed {seed}: {JOURNEYS} journeys over {span:.1f}s, kill -9 at "
        + ", ".join(f"{m:.2f}s" for m in moments)
    )

    started = time.monotonic()
    killing = asyncio.create_task(killer(process, moments, started))
    journeys = []
    for n in range(JOURNEYS):
        journeys.append(asyncio.create_task(journey(sender, platform, n)))
        await asyncio.sleep(START_EVERY)
    downtimes = await killing
    done = await asyncio.gather(*journeys)
    loaded = time.monotonic() - started

    probe = RedisProbe(fleet.redis_url, fleet.prefix)
    try:
        await probe.drained(bot)
        requests = {r.request_id: r for r in await probe.requests()}
        timers, expected_timers = await probe.timers(), await probe.expected_timers()
        dead = await probe.dead_count()
    finally:
        await probe.close()

    tally = sender.tally()
    by_key = assert_once_per_key(platform)
    report(
        f"{len(sender.log)} events, {sum(len(s.attempts) for s in sender.log)} attempts "
        f"({dict(tally)}); {len(sender.retried())} events needed a retry; "
        f"restarts took "
        + ", ".join(f"{d:.2f}s" for d in downtimes)
        + f"; load done in {loaded:.1f}s"
    )
    assert all(sent.ok for sent in sender.log)
    assert "500" not in tally
    # every request a 2xx'd event created exists, its card delivered once, its end reached
    created = [s for s in sender.log if s.type == "reshipment.requested"]
    assert {s.data["request_id"] for s in created} == set(requests)
    ends: Counter[str] = Counter()
    for rid, kind in done:
        request = requests[rid]
        assert request.status.value == EXPECTED[kind], (rid, kind, request.status)
        assert platform.card(f"{rid}.request.seller") is not None
        refused = [e for e in request.timeline if e.type == "refused"]
        assert not refused, (rid, refused)
        ends[request.status.value] += 1
    assert len(platform.refunds) == ends["refunded"]
    assert len(platform.replacement_orders) == sum(
        1 for _, kind in done if kind.startswith("approve")
    )
    assert len(platform.shipments) == ends["delivered"]
    assert dead == 0
    # no request is stuck: every open one has exactly its timers in Redis, nothing else is there
    assert timers == expected_timers
    open_requests = [r for r in requests.values() if not r.status.terminal]
    report(
        f"outbox drained; {len(by_key)} idempotency keys, none with 2 effects, none lost "
        f"({redundant_updates(platform)} cards answered 409: already shown); "
        f"ends {dict(ends)}; {len(timers)} timers in Redis = timers_for() of the "
        f"{len(open_requests)} open requests; no refusal, no dead letter"
    )
