"""Timers in real `reshipbot serve` processes on a real Redis: crashes, restarts, fleets.

A recording platform (the sandbox app) runs in the test's own event loop; the bot
processes deliver to it over HTTP, so every effect is counted where it lands.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.platforms.generic.sandbox import SANDBOX_STATE, sandbox_app
from tests.e2e.harness import (
    APP_KEY,
    APP_SECRET,
    BUYER,
)
from tests.processes import Fleet, open_fleet

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def fleet(
    redis_url: str, aiohttp_server: ServerFactory, tmp_path: Path
) -> AsyncIterator[Fleet]:
    platform = await aiohttp_server(sandbox_app(APP_KEY, APP_SECRET))
    url = str(platform.make_url("")).rstrip("/")
    async with open_fleet(redis_url, url, platform.app[SANDBOX_STATE], tmp_path) as crew:
        yield crew


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _entries(request: dict[str, object], kind: str) -> list[dict[str, object]]:
    timeline = request["timeline"]
    assert isinstance(timeline, list)
    return [entry for entry in timeline if entry["type"] == kind]


async def test_offer_lapses_after_kill_9_and_restart(fleet: Fleet) -> None:
    bot = fleet.harness
    first = await fleet.start(RESHIPBOT_OFFER_WINDOW="4s")
    assert (await bot.request()).status == 200
    await bot.card_at("RQ-1.request.seller", 1)
    assert (await bot.chat("/offer 10")).status == 200
    await bot.card_at("RQ-1.offer.buyer", 1)
    # nothing left in flight: a delivery leased by the killed process would hold the
    # conversation's later ones for the outbox lease (tests/faults/test_kill9.py)
    await fleet.drained()
    first.kill9()

    await fleet.start(RESHIPBOT_OFFER_WINDOW="4s")
    card = await bot.eventually(
        lambda: (c := bot.card("RQ-1.offer.buyer")) and c["status"] == "expired" and c,
        what="the offer card to show expired",
    )
    assert card["actions"] == []
    request = await bot.get_request()
    assert request["status"] == "awaiting_seller"
    assert request["offer"]["status"] == "expired"
    [lapse] = _entries(request, "offer_expired")
    assert _at(str(lapse["at"])) >= _at(request["offer"]["expires_at"])
    expired_updates = [
        call
        for call in bot.platform.calls_to("/v1/chat/cards/RQ-1.offer.buyer")
        if call.status == 200 and not call.replayed
    ]
    assert len(expired_updates) == 1


async def test_a_timer_claimed_by_a_dead_process_fires_once_its_lease_ends(
    fleet: Fleet,
) -> None:
    bot = fleet.harness
    # a web process takes the request and the offer; it runs no timers, so the lapse
    # is due with nobody to fire it until the test's own "worker" claims it
    web = await fleet.start("web", RESHIPBOT_OFFER_WINDOW="2s")
    assert (await bot.request()).status == 200
    assert (await bot.chat("/offer 10")).status == 200
    expires = _at((await _read(fleet, "RQ-1"))["expires_at"])
    web.kill9()
    await asyncio.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()))

    crashed = fleet.store()  # claims the due timer, then "dies" without firing it
    try:
        claimed_at = datetime.now(UTC)
        claims = await crashed.claim_timers(claimed_at, 100, timedelta(seconds=3))
        assert [claim.kind.value for claim in claims] == ["offer_expiry"]
    finally:
        await crashed.close()

    await fleet.start(RESHIPBOT_OFFER_WINDOW="2s", RESHIPBOT_WORKER_LEASE="3s")
    await bot.eventually(
        lambda: (c := bot.card("RQ-1.offer.buyer")) and c["status"] == "expired",
        what="the lapse after the lease",
    )
    request = await bot.get_request()
    [lapse] = _entries(request, "offer_expired")
    assert _at(str(lapse["at"])) >= claimed_at + timedelta(seconds=3)


async def _read(fleet: Fleet, request_id: str) -> dict[str, str]:
    request = await fleet.harness.get_request(request_id)
    offer = request["offer"]
    assert isinstance(offer, dict)
    return offer


async def test_two_workers_fire_every_timer_once(fleet: Fleet) -> None:
    bot = fleet.harness
    windows = {"RESHIPBOT_SELLER_RESPONSE_WINDOW": "4s", "RESHIPBOT_OFFER_WINDOW": "2s"}
    await fleet.start("web", **windows)
    ids = [f"RQ-{n}" for n in range(16)]
    answers = await asyncio.gather(*(bot.request(rid, f"conv-{rid}") for rid in ids))
    assert {answer.status for answer in answers} == {200}
    offered = ids[1::2]
    answers = await asyncio.gather(
        *(bot.chat("/offer 10", conversation_id=f"conv-{rid}") for rid in offered)
    )
    assert {answer.status for answer in answers} == {200}
    early = await bot.get_request(ids[0])
    await asyncio.sleep(
        max(0.0, (_at(early["deadlines"]["seller_due_at"]) - datetime.now(UTC)).total_seconds())
        + 0.5
    )
    # past the deadlines with only the web process: no timer ran, nothing was sent
    assert (await bot.get_request(ids[0]))["status"] == "awaiting_seller"
    assert (await bot.get_request(ids[1]))["status"] == "offer_pending"
    assert bot.platform.calls == []
    await fleet.start("worker", **windows)
    await fleet.start("worker", **windows)

    async def all_approved() -> bool:
        found = await asyncio.gather(*(bot.get_request(rid) for rid in ids))
        return all(r["status"] == "awaiting_shipment" for r in found)

    await bot.eventually(all_approved, what="every request auto-approved")
    for rid in ids:
        request = await bot.get_request(rid)
        assert len(_entries(request, "auto_approved")) == 1, rid
        assert len(_entries(request, "offer_expired")) == (1 if rid in offered else 0), (
            rid,
            [(e["type"], e["at"]) for e in request["timeline"]],
        )
        assert request["decided_by"] == "platform"

    def orders_delivered() -> bool:
        return all(bot.platform.effect_count(f"replacement-order:{rid}") == 1 for rid in ids)

    await bot.eventually(orders_delivered, what="one replacement order each")
    fresh = [c for c in bot.platform.calls_to("/v1/replacement-orders") if not c.replayed]
    assert sorted(c.body["request_id"] for c in fresh) == sorted(ids)


async def test_sigterm_finishes_in_flight_work_and_exits_cleanly(fleet: Fleet) -> None:
    bot = fleet.harness
    first = await fleet.start()
    ids = [f"RQ-T{n}" for n in range(30)]
    sending = [asyncio.create_task(bot.request(rid, f"conv-{rid}")) for rid in ids]
    await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)  # it is taking them
    code = await first.terminate()
    answers = await asyncio.gather(*sending, return_exceptions=True)
    assert code == 0, first.output()
    assert "Traceback" not in first.output()
    accepted = [
        rid
        for rid, a in zip(ids, answers, strict=True)
        if not isinstance(a, BaseException) and a.status == 200
    ]
    assert accepted, "some requests were answered before the shutdown"

    await fleet.start()  # picks up whatever the first left in the outbox
    for rid in accepted:
        assert (await bot.get_request(rid))["status"] == "awaiting_seller"
    await bot.eventually(
        lambda: all(bot.card(f"{rid}.request.seller") for rid in accepted),
        what="every accepted request's card delivered",
    )
    for rid in accepted:
        sent = [
            c
            for c in bot.platform.calls_to("/v1/chat/messages")
            if c.body.get("message", {}).get("card", {}).get("card_id") == f"{rid}.request.seller"
            and not c.replayed
        ]
        assert len(sent) == 1, rid
    _ = BUYER
