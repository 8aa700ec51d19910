"""What a hostile buyer, seller or sender of events tried, and what the bot does now.

Each test reproduces one attack over real HTTP, on both stores (README, "Reliability").
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bot.core.rules import REFUSALS_KEPT
from storage.redis_io import encode_request
from tests.e2e.conftest import MakeBot
from tests.e2e.harness import BUYER, SELLER, BotHarness, card_id, chat_data, requested_data

OTHER_SHOP_SELLER = {"role": "seller", "id": "seller-b"}


async def shipped_by_platform(bot: BotHarness, request_id: str, conversation_id: str) -> str:
    await bot.approved(request_id, conversation_id=conversation_id)
    assert (await bot.chat(f"/ship #{request_id}", conversation_id=conversation_id)).status == 200
    return await bot.tracking_number(request_id)


async def approved_with_seller_shipping(
    bot: BotHarness, request_id: str, conversation_id: str, **sent: Any
) -> None:
    answer = await bot.send(
        "reshipment.requested",
        requested_data(request_id, conversation_id, bot.clock, shipping_option="seller"),
        **sent,
    )
    assert answer.status == 200, answer
    await bot.card_at(card_id("request", request_id), 1)
    approve = await bot.send(
        "chat.message",
        chat_data(f"/approve #{request_id}", SELLER, conversation_id),
        **sent,
    )
    assert approve.status == 200, approve
    await bot.field_set("replacement_order_id", request_id)


# --- 1. another shipment's tracking number ----------------------------------------------
async def test_another_shops_tracking_number_cannot_be_claimed(bot: BotHarness) -> None:
    number = await shipped_by_platform(bot, "RQ-A", "conv-a")
    bot.shop_id = "shop-b"
    await approved_with_seller_shipping(bot, "RQ-B", "conv-b")

    answer = await bot.chat(f"/ship AnyCarrier {number}", conversation_id="conv-b")

    assert answer.status == 200
    await bot.reply("already belongs to another shipment", "seller", "conv-b")
    b = await bot.get_request("RQ-B")
    assert b["status"] == "awaiting_shipment" and b["shipment"] is None
    assert [e["detail"]["code"] for e in b["timeline"] if e["type"] == "refused"] == [
        "tracking_number_taken"
    ]
    bot.shop_id = "shop-1"
    assert (await bot.logistics(number, "delivered")).status == 200
    await bot.request_at("delivered", "RQ-A")  # the carrier's events reach the right request


async def test_one_parcel_cannot_carry_two_requests_of_one_shop(bot: BotHarness) -> None:
    await approved_with_seller_shipping(bot, "RQ-1", "conv-1")
    await approved_with_seller_shipping(bot, "RQ-2", "conv-2")
    assert (await bot.chat("/ship Kerry TH0001", conversation_id="conv-1")).status == 200
    await bot.request_at("shipped", "RQ-1")

    assert (await bot.chat("/ship Kerry TH0001", conversation_id="conv-2")).status == 200

    await bot.reply("already belongs to another shipment", "seller", "conv-2")
    assert (await bot.get_request("RQ-2"))["status"] == "awaiting_shipment"
    assert (await bot.logistics("TH0001", "delivered", carrier="Kerry")).status == 200
    await bot.request_at("delivered", "RQ-1")
    assert (await bot.get_request("RQ-2"))["status"] == "awaiting_shipment"


async def test_a_claim_left_by_a_closed_request_is_taken_over(bot: BotHarness) -> None:
    await approved_with_seller_shipping(bot, "RQ-1", "conv-1")
    assert bot.services is not None
    await bot.services.store.claim_tracking("TH0009", "conv-old", "RQ-OLD")  # nobody holds it

    assert (await bot.chat("/ship Kerry TH0009")).status == 200

    await bot.request_at("shipped", "RQ-1")
    assert (await bot.logistics("TH0009", "delivered", carrier="Kerry")).status == 200
    await bot.request_at("delivered", "RQ-1")


# --- 2. growth by one person -------------------------------------------------------------
@pytest.fixture
def e2e_env() -> dict[str, str]:  # this module's settings
    return {"RESHIPBOT_COMMANDS_PER_MINUTE": "1000"}


async def test_refused_commands_are_counted_not_stored_one_by_one(bot: BotHarness) -> None:
    await bot.requested()
    for n in range(200):
        assert (await bot.chat(f"/nonsense{n}", BUYER)).status == 200

    request = await bot.get_request()
    assert request["refused_attempts"] == 200
    refused = [e for e in request["timeline"] if e["type"] == "refused"]
    assert len(refused) == REFUSALS_KEPT
    assert [e["detail"]["command"] for e in refused] == [
        f"/nonsense{n}" for n in range(200 - REFUSALS_KEPT, 200)
    ]
    assert bot.services is not None
    stored = await bot.services.store.get_request("RQ-1")
    assert stored is not None and len(encode_request(stored)) < 4096


async def test_a_flood_of_commands_gets_one_polite_answer(make_bot: MakeBot, backend: str) -> None:
    bot = await make_bot(backend)  # the default: 20 commands a minute
    await bot.requested()
    for n in range(40):
        assert (await bot.chat(f"/nonsense{n}", BUYER)).status == 200
    await bot.reply("faster than I can answer", "buyer")
    await bot.settle()

    texts = bot.texts(audience="buyer")
    assert len([t for t in texts if "faster than I can answer" in t]) == 1
    assert len([t for t in texts if "not a command I know" in t]) == 20  # the minute's 20
    assert (await bot.get_request())["refused_attempts"] == 20
    assert (await bot.chat("/status", SELLER)).status == 200  # the seller is not held up
    await bot.reply("waiting for the seller", "seller")


# --- 3 and 8. amounts nobody can represent, one amount parser ---------------------------
@pytest.mark.parametrize("typed", ["1" * 27, "9" * 40 + ".99", "1" * 27 + "%", "-" + "9" * 30])
async def test_a_huge_amount_is_refused_with_a_reply(bot: BotHarness, typed: str) -> None:
    card = await bot.requested()
    assert (await bot.chat(f"/offer {typed}")).status == 200
    answer = await bot.click(card, "offer_partial_refund", SELLER, {"amount": typed})
    assert answer.status == 200

    await bot.settle()
    assert len(bot.texts(audience="seller")) == 2, bot.texts(audience="seller")  # 2 refusals
    request = await bot.get_request()
    assert request["status"] == "awaiting_seller" and request["refused_attempts"] == 2


@pytest.mark.parametrize(
    "typed", ["\uff15\uff10%", "\u0665\u0660%", "5e1%", "5_0%", "1E+2%", "nan%", "50 %%"]
)
async def test_the_card_form_reads_amounts_as_the_chat_does(bot: BotHarness, typed: str) -> None:
    card = await bot.requested()

    assert (await bot.click(card, "offer_partial_refund", SELLER, {"amount": typed})).status == 200
    assert (await bot.chat(f"/offer {typed}")).status == 200

    await bot.settle()
    request = await bot.get_request()
    assert request["status"] == "awaiting_seller" and request["refund"] is None
    assert request["refused_attempts"] == 2
    assert bot.platform.refunds == []


# --- 9. comments nobody can see -----------------------------------------------------------
@pytest.mark.parametrize("comment", ["\u200b" * 10, "\u200b\u200c\u200d\u2060\ufeff" * 4, " " * 12])
async def test_an_invisible_reject_comment_is_too_short(bot: BotHarness, comment: str) -> None:
    card = await bot.requested()
    form = {"reason_code": "other", "comment": comment}

    assert (await bot.click(card, "reject", SELLER, form)).status == 200
    assert (await bot.chat(f"/reject other {comment}")).status == 200

    await bot.reply("at least 10 characters", "seller")
    assert (await bot.get_request())["status"] == "awaiting_seller"


# --- 7 and 12. what the platform sends is checked like what people send ------------------
async def test_an_event_id_with_a_control_character_is_refused_at_the_door(
    bot: BotHarness,
) -> None:
    event = bot.envelope("chat.message", chat_data("/status", BUYER), event_id="evt-\x7f")
    answer = await bot.post_raw(orjson.dumps(event))
    assert answer.status == 400 and answer.body["error"]["code"] == "bad_envelope"
    data = chat_data("/status", {"role": "buyer", "id": "buyer\x7f"})
    answer = await bot.send("chat.message", data)
    assert answer.status == 422 and "data.sender.id" in answer.body["error"]["message"]
    assert bot.platform.calls == []


ARABIC_INDIC_PRICE = "\u0661\u0662\u066b\u0665\u0660"  # 12.50
BAD_REQUESTS: dict[str, tuple[dict[str, Any], str]] = {
    "requested_at 0": ({"requested_at": 0}, "data.requested_at"),
    "requested 91 days ago": ({"requested_at": -91 * 86400}, "data.requested_at"),
    "price 1E+5": ({"unit_price": "1E+5"}, "data.order.lines[0].unit_price"),
    "price -0": ({"unit_price": "-0"}, "data.order.lines[0].unit_price"),
    "price with a space": ({"unit_price": " 12.50"}, "data.order.lines[0].unit_price"),
    "Arabic-Indic digits": (
        {"unit_price": "\u0661\u0662\u066b\u0665\u0660"},
        "data.order.lines[0].unit_price",
    ),
    "currency XTS": ({"currency": "XTS"}, "data.order.currency"),
    "currency XXX": ({"currency": "XXX"}, "data.order.currency"),
    "zero-value order": ({"unit_price": "0"}, "data.order.lines"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
async def test_a_platform_request_is_validated_like_a_persons_input(
    bot: BotHarness, case: str
) -> None:
    change, field = BAD_REQUESTS[case]
    data = requested_data("RQ-1", "conv-1", bot.clock)
    if "requested_at" in change:
        moment = change["requested_at"]
        data["requested_at"] = moment if moment == 0 else data["requested_at"] + moment
    if "unit_price" in change:
        for line in data["order"]["lines"]:
            line["unit_price"] = change["unit_price"]
    if "currency" in change:
        data["order"]["currency"] = change["currency"]

    answer = await bot.send("reshipment.requested", data)

    assert answer.status == 422, answer
    assert field in [f["field"] for f in answer.body["error"]["fields"]], answer.body
    assert (await bot.api("/api/requests/RQ-1")).status == 404


async def test_an_event_from_another_shop_cannot_touch_a_conversation(bot: BotHarness) -> None:
    await bot.requested()
    await bot.settle()  # the buyer's text follows the seller's card
    calls = len(bot.platform.calls)

    chat = await bot.send("chat.message", chat_data("/approve", SELLER), shop_id="shop-x")
    other = requested_data("RQ-2", "conv-1", bot.clock)
    create = await bot.send("reshipment.requested", other, shop_id="shop-x")

    for answer in (chat, create):
        assert answer.status == 422 and answer.body["error"]["code"] == "shop_mismatch"
    assert (await bot.get_request())["status"] == "awaiting_seller"
    assert (await bot.api("/api/requests/RQ-2")).status == 404
    await bot.settle()
    assert len(bot.platform.calls) == calls
