"""T14 over HTTP: wrong person, stale or forged card, reused token, closed request.

Each refusal must show in three places and nowhere else: a chat reply to the actor, a
`refused` entry in the request's timeline, and nothing at the platform besides the reply
(no refund, order or shipment call, no card re-rendered).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.e2e.harness import (
    AGENT,
    BUYER,
    OTHER_BUYER,
    OTHER_SELLER,
    SELLER,
    Answer,
    BotHarness,
    card_id,
    memory_only,
)

EFFECT_PATHS = ("/v1/refunds", "/v1/replacement-orders", "/v1/shipments", "/v1/chat/cards/")


@dataclass
class Before:
    """What the platform and the request looked like before the refused attempt."""

    cards: dict[str, int]
    effect_calls: int
    texts: int
    version: int
    timeline: int


def visible_cards(bot: BotHarness) -> dict[str, int]:
    return {
        message.card["card_id"]: message.card["version"]
        for message in bot.platform.conversation("conv-1")
        if message.card is not None
    }


async def before(bot: BotHarness) -> Before:
    await bot.settle()
    request = await bot.get_request()
    return Before(
        cards=visible_cards(bot),
        effect_calls=sum(len(bot.calls(path)) for path in EFFECT_PATHS),
        texts=len(bot.texts()),
        version=request["version"],
        timeline=len(request["timeline"]),
    )


async def assert_refused(
    bot: BotHarness,
    answer: Answer,
    seen: Before,
    *,
    actor: dict[str, str],
    reply: str | None,
    code: str,
) -> dict[str, Any]:
    """The attempt is answered (or, for agents, not), logged as refused, and did nothing."""
    assert answer.status == 200, answer
    if reply is not None:
        await bot.reply(reply, audience=actor["role"], since=seen.texts)
    request = await bot.get_request()  # the webhook answered after the commit
    entries = request["timeline"][seen.timeline :]
    assert [e["type"] for e in entries] == ["refused"], entries
    assert entries[0]["actor"] == actor and entries[0]["detail"]["code"] == code
    assert request["version"] == seen.version + 1
    await bot.settle()
    assert visible_cards(bot) == seen.cards
    assert sum(len(bot.calls(path)) for path in EFFECT_PATHS) == seen.effect_calls
    new_texts = bot.texts()[seen.texts :]
    assert len(new_texts) == (1 if reply is not None else 0), new_texts
    refused: dict[str, Any] = entries[0]
    return refused


# --- the wrong person ------------------------------------------------------------------


async def test_another_buyer_cannot_cancel(bot: BotHarness) -> None:
    await bot.requested()
    seen = await before(bot)
    answer = await bot.chat("/cancel", sender=OTHER_BUYER)
    await assert_refused(
        bot,
        answer,
        seen,
        actor=OTHER_BUYER,
        reply="Request RQ-1 belongs to another buyer or seller",
        code="not_your_request",
    )
    assert (await bot.get_request())["status"] == "awaiting_seller"


@memory_only
async def test_another_seller_cannot_approve(bot: BotHarness) -> None:
    await bot.requested()
    seen = await before(bot)
    answer = await bot.chat("/approve", sender=OTHER_SELLER)
    await assert_refused(
        bot,
        answer,
        seen,
        actor=OTHER_SELLER,
        reply="Request RQ-1 belongs to another buyer or seller",
        code="not_your_request",
    )
    assert bot.platform.replacement_orders == []


async def test_the_buyer_cannot_use_the_sellers_card(bot: BotHarness) -> None:
    card = await bot.requested()
    seen = await before(bot)
    answer = await bot.click(card, "approve", BUYER)  # the seller's token, the buyer's click
    await assert_refused(
        bot,
        answer,
        seen,
        actor=BUYER,
        reply="This button is not valid for you.",
        code="invalid_token",
    )
    assert (await bot.get_request())["status"] == "awaiting_seller"


async def test_the_seller_cannot_accept_an_offer(bot: BotHarness) -> None:
    await bot.offered("10.00")
    seen = await before(bot)
    answer = await bot.chat("/accept")
    await assert_refused(
        bot,
        answer,
        seen,
        actor=SELLER,
        reply="Only the buyer can do that for request RQ-1.",
        code="only_buyer",
    )
    assert (await bot.get_request())["status"] == "offer_pending"


@memory_only
async def test_an_agent_in_chat_is_recorded_but_not_answered(bot: BotHarness) -> None:
    await bot.requested()
    seen = await before(bot)
    answer = await bot.chat("/approve", sender=AGENT)
    await assert_refused(bot, answer, seen, actor=AGENT, reply=None, code="agent_read_only")


# --- the wrong card or token -------------------------------------------------------------


async def test_a_click_on_an_older_card_version_is_stale(bot: BotHarness) -> None:
    first = await bot.requested()  # version 1, with an approve button
    assert (await bot.chat("/offer 10")).status == 200
    offer = await bot.card_at(card_id("offer"), 1)
    assert (await bot.click(offer, "decline_offer", BUYER)).status == 200
    await bot.request_at("awaiting_seller")
    current = await bot.card_at(card_id("request"), 3)
    assert "approve" in {a["id"] for a in current["actions"]}  # approving is possible now
    seen = await before(bot)
    answer = await bot.click(first, "approve", SELLER)
    await assert_refused(
        bot,
        answer,
        seen,
        actor=SELLER,
        reply="This card is out of date. Please use the latest card for request RQ-1.",
        code="stale_card",
    )
    assert (await bot.get_request())["status"] == "awaiting_seller"


async def test_a_forged_token_changes_nothing(bot: BotHarness) -> None:
    offer = await bot.offered("10.00")
    token = next(a["token"] for a in offer["actions"] if a["id"] == "accept_offer")
    prefix, payload, mac = token.split(".")
    forged = f"{prefix}.{payload}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    seen = await before(bot)
    answer = await bot.click(offer, "accept_offer", BUYER, token=forged)
    await assert_refused(
        bot,
        answer,
        seen,
        actor=BUYER,
        reply="This button is not valid for you.",
        code="invalid_token",
    )
    assert (await bot.get_request())["status"] == "offer_pending"
    assert bot.platform.refunds == []


async def test_a_token_used_twice_works_once(bot: BotHarness) -> None:
    offer = await bot.offered("10.00")
    assert (await bot.click(offer, "accept_offer", BUYER)).status == 200
    await bot.request_at("refunded")
    await bot.eventually(lambda: bot.platform.refunds, what="the refund")
    seen = await before(bot)
    again = await bot.click(offer, "accept_offer", BUYER)  # same token, new event id
    await assert_refused(
        bot,
        again,
        seen,
        actor=BUYER,
        reply="This card is out of date",
        code="stale_card",
    )
    assert len(bot.platform.refunds) == 1 and bot.platform.effect_count("refund:RQ-1") == 1


async def test_a_token_for_another_action_or_person_changes_nothing(bot: BotHarness) -> None:
    offer = await bot.offered("10.00")
    accept = next(a["token"] for a in offer["actions"] if a["id"] == "accept_offer")
    seen = await before(bot)
    answer = await bot.click(offer, "decline_offer", BUYER, token=accept)
    await assert_refused(
        bot, answer, seen, actor=BUYER, reply="not valid for you", code="invalid_token"
    )
    seen = await before(bot)
    answer = await bot.click(offer, "accept_offer", OTHER_BUYER)  # the buyer's own token
    await assert_refused(
        bot, answer, seen, actor=OTHER_BUYER, reply="not valid for you", code="invalid_token"
    )
    body = await bot.get_request()
    assert body["status"] == "offer_pending" and body["offer"]["status"] == "pending"


# --- a closed request ----------------------------------------------------------------------


async def test_a_closed_request_refuses_commands_and_clicks(bot: BotHarness) -> None:
    card = await bot.requested()
    assert (
        await bot.chat("/reject duplicate_request Same as request RQ-0 last week")
    ).status == 200
    await bot.request_at("rejected")
    seen = await before(bot)
    answer = await bot.chat("/approve")
    await assert_refused(
        bot,
        answer,
        seen,
        actor=SELLER,
        reply="Request RQ-1 is already closed (rejected); it cannot change any more.",
        code="request_closed",
    )
    seen = await before(bot)
    answer = await bot.chat("/cancel", sender=BUYER)
    await assert_refused(
        bot, answer, seen, actor=BUYER, reply="is already closed (rejected)", code="request_closed"
    )
    latest = bot.card(card_id("request"))
    assert latest is not None and latest["actions"] == []
    seen = await before(bot)
    answer = await bot.click(card, "refund_only", SELLER)  # the last open version's token
    await assert_refused(
        bot, answer, seen, actor=SELLER, reply="This card is out of date", code="stale_card"
    )
    assert (await bot.get_request())["status"] == "rejected"


# --- malformed commands ------------------------------------------------------------------


@memory_only
async def test_malformed_and_unknown_commands_get_usage(bot: BotHarness) -> None:
    await bot.requested()
    seen = await before(bot)
    answer = await bot.chat("/reject")
    await assert_refused(bot, answer, seen, actor=SELLER, reply="Usage: /reject CODE", code="usage")
    seen = await before(bot)
    answer = await bot.chat("/reject other too short")
    await assert_refused(
        bot, answer, seen, actor=SELLER, reply="at least 10 characters", code="comment_too_short"
    )
    seen = await before(bot)
    answer = await bot.chat("/frobnicate")
    await assert_refused(
        bot,
        answer,
        seen,
        actor=SELLER,
        reply="/frobnicate is not a command",
        code="unknown_command",
    )
    await bot.chat("thanks, I will check the photos")  # not a command: no answer at all
    await bot.settle()
    assert len(bot.texts()) == seen.texts + 1
