"""Duplicates and races: an event has one effect however often, and however concurrently,
it arrives; one offer is accepted once however many clicks race for it."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import orjson

from bot.core.rules import REFUSALS_KEPT
from tests.e2e.harness import BUYER, BotHarness, card_id, requested_data


def chat_event(bot: BotHarness, text: str, event_id: str) -> bytes:
    data = {
        "conversation_id": "conv-1",
        "message_id": f"m-{event_id}",
        "sender": {"role": "seller", "id": "seller-1"},
        "text": text,
    }
    return orjson.dumps(bot.envelope("chat.message", data, event_id=event_id))


async def offer_made_once(bot: BotHarness, version_before: int) -> None:
    body = await bot.get_request()
    assert body["status"] == "offer_pending" and body["offers_made"] == 1
    assert body["version"] == version_before + 1
    assert [e["type"] for e in body["timeline"]].count("offer_made") == 1
    await bot.card_at(card_id("offer"), 1)
    await bot.settle()
    posted = [m for m in bot.platform.conversation("conv-1") if m.card is not None]
    assert [m.card["card_id"] for m in posted if m.card] == [card_id("request"), card_id("offer")]
    assert len([t for t in bot.texts() if "Your offer of $10.00" in t]) == 1


async def test_the_same_event_twice_has_one_effect(bot: BotHarness) -> None:
    await bot.requested()
    version = (await bot.get_request())["version"]
    body = chat_event(bot, "/offer 10", "evt-offer-1")
    first, second = await bot.post_raw(body), await bot.post_raw(body)
    assert (first.status, first.body) == (200, {"ok": True})
    assert (second.status, second.body) == (200, {"ok": True})
    await offer_made_once(bot, version)


async def test_the_same_event_ten_times_at_once_has_one_effect(bot: BotHarness) -> None:
    await bot.requested()
    version = (await bot.get_request())["version"]
    body = chat_event(bot, "/offer 10", "evt-offer-burst")
    answers = await asyncio.gather(*(bot.post_raw(body) for _ in range(10)))
    assert [a.status for a in answers] == [200] * 10
    await offer_made_once(bot, version)


async def test_a_known_request_id_creates_nothing(bot: BotHarness) -> None:
    await bot.requested()
    await bot.reply("We received your reshipment request", audience="buyer")
    await bot.settle()
    before = await bot.get_request()
    calls = len(bot.platform.calls)
    again = await bot.request()  # a new event id, the same request id
    assert (again.status, again.body) == (200, {"ok": True})
    elsewhere = await bot.send("reshipment.requested", requested_data("RQ-1", "conv-2", bot.clock))
    assert (elsewhere.status, elsewhere.body) == (200, {"ok": True})
    await bot.settle()
    assert await bot.get_request() == before
    assert len(bot.platform.calls) == calls
    assert bot.platform.conversation("conv-2") == []
    listed = await bot.api("/api/requests?conversation_id=conv-2")
    assert listed.body["items"] == []


async def test_fifty_racing_accepts_refund_once(bot: BotHarness) -> None:
    """Fifty taps in one minute: one refund. The first `commands_per_minute` (20) are
    decided (one accepted, the rest refused as out of date), the next one is told to
    slow down, and the others are answered but neither recorded nor replied to."""
    offer = await bot.offered("10.00")
    accept = next(a for a in offer["actions"] if a["id"] == "accept_offer")
    clicks = [bot.click(offer, "accept_offer", BUYER, token=accept["token"]) for _ in range(50)]
    answers = await asyncio.gather(*clicks)
    assert Counter(a.status for a in answers) == {200: 50}, [a.body for a in answers]

    done = await bot.request_at("refunded")
    types = Counter(entry["type"] for entry in done["timeline"])
    assert types["offer_accepted"] == 1 and done["refused_attempts"] == 19, types
    assert types["refused"] == REFUSALS_KEPT  # the latest refusals; all are counted
    refused: list[dict[str, Any]] = [e for e in done["timeline"] if e["type"] == "refused"]
    assert {e["detail"]["code"] for e in refused} == {"stale_card"}
    await bot.eventually(
        lambda: len([t for t in bot.texts(audience="buyer") if "out of date" in t]) == 19,
        what="19 refusal replies",
    )
    await bot.reply("faster than I can answer", audience="buyer")
    await bot.settle()
    assert len([t for t in bot.texts(audience="buyer") if "faster than" in t]) == 1
    assert len([t for t in bot.texts(audience="buyer") if "out of date" in t]) == 19
    assert bot.platform.effect_count("refund:RQ-1") == 1
    assert len(bot.platform.refunds) == 1 and bot.platform.refunds[0]["amount"] == "10.00"
    assert len([c for c in bot.calls("/v1/refunds") if c.status < 300]) == 1
