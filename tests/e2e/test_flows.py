"""Whole flows over HTTP, on both stores: what the platform receives and what agents see."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import BUYER, SELLER, BotHarness, card_id

REQUEST_CARD = card_id("request")
OFFER_CARD = card_id("offer")
SHIPMENT_CARD = card_id("shipment")
OUTCOME_CARD = card_id("outcome")


def card_versions(bot: BotHarness, card: str) -> list[int]:
    """Every version of `card` the platform received: the post, then each update."""
    versions = []
    for call in bot.calls("/v1/chat/"):
        body = call.body or {}
        sent = body.get("card") or body.get("message", {}).get("card")
        if sent and sent["card_id"] == card and call.status < 300:
            versions.append(sent["version"])
    return versions


def refund_bodies(bot: BotHarness) -> list[dict[str, Any]]:
    return [call.body for call in bot.calls("/v1/refunds") if call.status < 300]


# --- reshipment, shipped by the platform or the seller --------------------------------


async def test_platform_shipping_updates_cards_in_place_until_delivered(bot: BotHarness) -> None:
    first = await bot.requested()
    assert first["status"] == "open" and first["version"] == 1
    await bot.reply("We received your reshipment request RQ-1", audience="buyer")
    assert (await bot.click(first, "approve", SELLER)).status == 200
    await bot.field_set("replacement_order_id")
    [order] = bot.platform.replacement_orders
    assert order["lines"] == [{"line_id": "L1", "quantity": 2}]
    assert order["shipping_option"] == "platform" and order["shipping_fee_paid_by"] == "seller"
    assert order["ship_by"].endswith("Z")
    approved = await bot.card_at(REQUEST_CARD, 2)
    assert [a["id"] for a in approved["actions"]] == ["arrange_shipment"]

    assert (await bot.chat("/ship")).status == 200
    number = await bot.tracking_number()
    [shipment] = bot.platform.shipments
    assert shipment["tracking_number"] == number and shipment["shipping_option"] == "platform"
    shipment_card = await bot.card_at(SHIPMENT_CARD, 1)
    assert shipment_card["audience"] == "buyer"
    assert [a["id"] for a in shipment_card["actions"]] == ["check_logistics"]
    assert number in " ".join(shipment_card["lines"])

    assert (await bot.logistics(number, "picked_up")).status == 200
    assert (await bot.logistics(number, "in_transit", description="Hub Bangkok")).status == 200
    await bot.card_at(SHIPMENT_CARD, 3)
    assert (await bot.logistics(number, "delivered")).status == 200
    done = await bot.request_at("delivered")
    assert done["shipment"]["status"] == "delivered"
    assert [e["status"] for e in done["shipment"]["events"]] == [
        "picked_up",
        "in_transit",
        "delivered",
    ]

    outcome = await bot.card_at(OUTCOME_CARD, 1)
    assert outcome["audience"] == "buyer" and outcome["actions"] == []
    assert "delivered" in outcome["title"].lower()
    await bot.settle()
    for card in (REQUEST_CARD, SHIPMENT_CARD):
        final = bot.card(card)
        assert final is not None
        assert final["status"] == "closed" and final["actions"] == [], card
        versions = card_versions(bot, card)
        assert versions == sorted(set(versions)) and versions[-1] == final["version"], versions
        assert len(versions) >= 3, versions
    # one chat message per card: every later version replaced it in place
    posted = [m.card["card_id"] for m in bot.platform.conversation("conv-1") if m.card]
    assert sorted(posted) == sorted({REQUEST_CARD, SHIPMENT_CARD, OUTCOME_CARD})


async def test_seller_shipping_with_carrier_and_tracking(bot: BotHarness) -> None:
    await bot.approved(shipping_option="seller")
    assert (await bot.chat("/ship")).status == 200  # seller shipping needs both
    await bot.reply("send /ship CARRIER TRACKING_NUMBER", audience="seller")
    assert (await bot.chat('/ship "Kerry Express" TH0001234567')).status == 200
    shipped = await bot.request_at("shipped")
    assert shipped["shipment"] == {
        "carrier": "Kerry Express",
        "tracking_number": "TH0001234567",
        "shipping_option": "seller",
        "status": shipped["shipment"]["status"],
        "events": [],
    }
    await bot.eventually(lambda: bot.platform.shipments, what="shipment call")
    [call] = [c for c in bot.calls("/v1/shipments") if c.status < 300]
    assert call.body["carrier"] == "Kerry Express"
    assert call.body["tracking_number"] == "TH0001234567"
    assert call.body["shipping_option"] == "seller"
    await bot.reply("tracking number TH0001234567", audience="buyer")

    # the tracking index routes carrier events to the request
    answer = await bot.logistics("TH0001234567", "in_transit", carrier="Kerry Express")
    assert answer.status == 200
    assert (await bot.logistics("TH0001234567", "delivered", carrier="Kerry Express")).status == 200
    done = await bot.request_at("delivered")
    assert [e["status"] for e in done["shipment"]["events"]] == ["in_transit", "delivered"]


# --- partial refund offers -------------------------------------------------------------


async def test_partial_offer_accepted_on_the_card(bot: BotHarness) -> None:
    offer = await bot.offered("10.00")
    assert {a["id"] for a in offer["actions"]} == {
        "accept_offer",
        "decline_offer",
        "cancel_request",
    }
    assert (await bot.click(offer, "accept_offer", BUYER)).status == 200
    done = await bot.request_at("refunded")
    assert (done["resolution"], done["decided_by"]) == ("refund_partial", "buyer")
    assert done["refund"]["amount"] == "10.00" and done["refund"]["kind"] == "partial"
    assert done["offer"]["status"] == "accepted"

    await bot.eventually(lambda: bot.platform.refunds, what="refund call")
    [refund] = bot.platform.refunds
    assert (refund["request_id"], refund["order_id"]) == ("RQ-1", "ORD-1")
    assert (refund["amount"], refund["currency"], refund["kind"]) == ("10.00", "USD", "partial")
    assert bot.platform.effect_count("refund:RQ-1") == 1

    accepted = await bot.card_at(OFFER_CARD, 2)
    assert accepted["status"] == "accepted" and accepted["actions"] == []
    outcome = await bot.card_at(OUTCOME_CARD, 1)
    assert outcome["actions"] == [] and "$10.00" in " ".join(outcome["lines"])
    await bot.reply("The buyer accepted your offer", audience="seller")
    assert await bot.field_set("refund") and (await bot.get_request())["refund"]["refund_id"]


async def test_declined_offer_then_second_offer_refused_then_rejected(bot: BotHarness) -> None:
    offer = await bot.offered("10.00")
    assert (await bot.click(offer, "decline_offer", BUYER)).status == 200
    back = await bot.request_at("awaiting_seller")
    assert back["offer"]["status"] == "declined" and back["deadlines"]["seller_due_at"]
    declined = await bot.card_at(OFFER_CARD, 2)
    assert declined["status"] == "declined" and declined["actions"] == []
    await bot.reply("The buyer declined your offer", audience="seller")
    request_card = bot.card(REQUEST_CARD)
    assert request_card is not None
    assert {a["id"] for a in request_card["actions"]} == {"approve", "reject"}

    assert (await bot.chat("/offer 5")).status == 200
    await bot.reply("you can only /approve or /reject", audience="seller")
    assert (await bot.get_request())["status"] == "awaiting_seller"

    comment = "The photos show all three cups intact."
    assert (await bot.chat(f"/reject evidence_insufficient {comment}")).status == 200
    rejected = await bot.request_at("rejected")
    assert rejected["rejection"] == {"reason_code": "evidence_insufficient", "comment": comment}
    assert (rejected["resolution"], rejected["decided_by"]) == ("rejected", "seller")
    outcome = await bot.card_at(OUTCOME_CARD, 1)
    text = " ".join(outcome["lines"])
    assert "the evidence is not sufficient" in text and comment in text
    closed = await bot.card_at(REQUEST_CARD, request_card["version"] + 1)
    assert closed["status"] == "closed" and closed["actions"] == []
    await bot.settle()
    assert bot.platform.refunds == [] and bot.platform.replacement_orders == []


@pytest.mark.parametrize("how", ["chat", "card"])
async def test_refund_only_refunds_the_affected_value_at_once(bot: BotHarness, how: str) -> None:
    card = await bot.requested()
    answer = (
        await bot.chat("/refund") if how == "chat" else await bot.click(card, "refund_only", SELLER)
    )
    assert answer.status == 200
    done = await bot.request_at("refunded")
    assert (done["resolution"], done["decided_by"]) == ("refund_full", "platform")
    assert done["refund"] == {
        "amount": "25.00",
        "currency": "USD",
        "kind": "full",
        "refund_id": done["refund"]["refund_id"],
    }
    await bot.eventually(lambda: bot.platform.refunds, what="refund call")
    [refund] = bot.platform.refunds
    assert (refund["amount"], refund["kind"]) == ("25.00", "full")
    outcome = await bot.card_at(OUTCOME_CARD, 1)
    assert "$25.00" in " ".join(outcome["lines"])
    closed = await bot.card_at(REQUEST_CARD, 2)
    assert closed["status"] == "closed" and closed["actions"] == []


async def test_an_offer_of_the_whole_affected_value_is_a_full_refund(bot: BotHarness) -> None:
    await bot.requested()
    assert (await bot.chat("/offer 25.00")).status == 200
    done = await bot.request_at("refunded")
    assert done["resolution"] == "refund_full" and done["offer"] is None
    await bot.eventually(lambda: bot.platform.refunds, what="refund call")
    assert [(r["amount"], r["kind"]) for r in bot.platform.refunds] == [("25.00", "full")]
    assert bot.card(OFFER_CARD) is None


async def test_an_offer_above_the_affected_value_is_refused_naming_both(bot: BotHarness) -> None:
    await bot.requested()
    assert (await bot.chat("/offer 30")).status == 200
    text = await bot.reply("more than the affected value", audience="seller")
    assert "$30.00" in text and "$25.00" in text
    body = await bot.get_request()
    assert body["status"] == "awaiting_seller" and body["offers_made"] == 0
    assert body["timeline"][-1]["type"] == "refused"


async def test_an_offer_in_percent_is_that_share_of_the_affected_value(bot: BotHarness) -> None:
    await bot.requested(items=[{"line_id": "L1", "quantity": 1}, {"line_id": "L2", "quantity": 3}])
    assert (await bot.chat("/offer 40%")).status == 200  # 40 % of 24.50 = 9.80
    pending = await bot.request_at("offer_pending")
    assert pending["affected_value"] == "24.50"
    assert pending["offer"]["amount"] == "9.80" and pending["offer"]["status"] == "pending"
    card = await bot.card_at(OFFER_CARD, 1)
    assert "$9.80" in " ".join(card["lines"])
    await bot.reply("Your offer of $9.80", audience="seller")


# --- cancellation ----------------------------------------------------------------------


async def test_buyer_cancels_in_chat(bot: BotHarness) -> None:
    await bot.approved()
    assert (await bot.chat("/cancel", sender=BUYER)).status == 200
    done = await bot.request_at("cancelled")
    assert (done["resolution"], done["decided_by"]) == ("cancelled", "buyer")
    assert all(value is None for value in done["deadlines"].values())
    outcome = await bot.card_at(OUTCOME_CARD, 1)
    assert "You cancelled request RQ-1." in outcome["lines"]
    await bot.reply("The buyer cancelled request RQ-1", audience="seller")
    closed = await bot.card_at(REQUEST_CARD, 3)
    assert closed["status"] == "closed" and closed["actions"] == []


async def test_buyer_cancels_on_the_offer_card(bot: BotHarness) -> None:
    offer = await bot.offered("10.00")
    assert (await bot.click(offer, "cancel_request", BUYER)).status == 200
    done = await bot.request_at("cancelled")
    assert done["decided_by"] == "buyer" and done["offer"]["status"] == "declined"
    ended = await bot.card_at(OFFER_CARD, 2)
    assert ended["status"] == "declined" and ended["actions"] == []
    await bot.settle()
    assert bot.platform.refunds == []


async def test_the_platform_cancels_a_request(bot: BotHarness) -> None:
    await bot.requested()
    cancelled_at = int(bot.clock.now().timestamp())
    answer = await bot.send(
        "reshipment.cancelled", {"request_id": "RQ-1", "cancelled_at": cancelled_at}
    )
    assert answer.status == 200
    done = await bot.request_at("cancelled")
    assert (done["resolution"], done["decided_by"]) == ("cancelled", "platform")
    await bot.reply("The platform cancelled your request RQ-1", audience="buyer")
    await bot.reply("The platform cancelled request RQ-1", audience="seller")
    closed = await bot.card_at(REQUEST_CARD, 2)
    assert closed["actions"] == []


# --- questions -------------------------------------------------------------------------


async def test_status_track_and_help_answer_each_person(bot: BotHarness) -> None:
    await bot.requested()
    assert (await bot.chat("/status", sender=BUYER)).status == 200
    await bot.reply("Request RQ-1: waiting for the seller, who has until", audience="buyer")
    assert (await bot.chat("/help")).status == 200
    seller_help = await bot.reply("What you can do now", audience="seller")
    for word in ("/approve", "/reject", "/offer", "/refund", "/status", "/help"):
        assert word in seller_help
    assert "/accept" not in seller_help and "/ship" not in seller_help
    assert (await bot.chat("/help", sender=BUYER)).status == 200
    buyer_help = await bot.reply("What you can do now", audience="buyer")
    assert "/cancel" in buyer_help and "/status" in buyer_help
    for word in ("/approve", "/accept", "/decline", "/offer", "/ship", "/track"):
        assert word not in buyer_help, word
    assert (await bot.chat("/track", sender=BUYER)).status == 200
    await bot.reply("Request RQ-1 has not shipped yet.", audience="buyer")

    await bot.chat("/approve")
    await bot.field_set("replacement_order_id")
    await bot.chat("/ship")
    number = await bot.tracking_number()
    await bot.logistics(number, "in_transit", description="Left the Bangkok hub")
    await bot.request_at("shipped")

    async def logged() -> bool:
        return bool((await bot.get_request())["shipment"]["events"])

    await bot.eventually(logged, what="the logistics event")
    assert (await bot.chat("/track", sender=BUYER)).status == 200
    track = await bot.reply(f"tracking number {number}. Latest status", audience="buyer")
    assert "Left the Bangkok hub" in track
    assert (await bot.chat("/status")).status == 200
    status = await bot.reply("Request RQ-1: shipped with", audience="seller")
    assert number in status
    assert (await bot.chat("/help", sender=BUYER)).status == 200
    await bot.eventually(
        lambda: len([t for t in bot.texts(audience="buyer") if "What you can do" in t]) == 2,
        what="the second help answer",
    )
    later_help = [t for t in bot.texts(audience="buyer") if "What you can do" in t][-1]
    assert "/track" in later_help and "/cancel" not in later_help


async def test_several_open_requests_need_a_request_id(bot: BotHarness) -> None:
    await bot.requested("RQ-1")
    await bot.requested("RQ-2")
    assert (await bot.chat("/approve")).status == 200
    listing = await bot.reply("several open requests", audience="seller")
    assert "#RQ-1" in listing and "#RQ-2" in listing and "/approve #RQ-1" in listing
    for request_id in ("RQ-1", "RQ-2"):
        assert (await bot.get_request(request_id))["status"] == "awaiting_seller"

    assert (await bot.chat("/approve #RQ-2")).status == 200
    await bot.request_at("awaiting_shipment", "RQ-2")
    assert (await bot.get_request("RQ-1"))["status"] == "awaiting_seller"
    # both are still open (awaiting_shipment is open): still a list without #ID
    assert (await bot.chat("/refund")).status == 200
    await bot.eventually(
        lambda: len([t for t in bot.texts(audience="seller") if "several open" in t]) == 2,
        what="the second listing",
    )
    assert (await bot.chat("/refund #RQ-1")).status == 200
    await bot.request_at("refunded", "RQ-1")
    assert (await bot.get_request("RQ-2"))["status"] == "awaiting_shipment"
    # one request is left open: a command without #ID acts on it
    await bot.field_set("replacement_order_id", "RQ-2")
    assert (await bot.chat("/ship")).status == 200
    await bot.request_at("shipped", "RQ-2")
