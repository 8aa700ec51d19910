"""The shortest full flow: a request, an approval, a shipment, a delivery."""

from __future__ import annotations

from tests.e2e.harness import BUYER, SELLER, BotHarness


async def test_approve_ship_deliver(bot: BotHarness) -> None:
    assert (await bot.request()).status == 200
    card = await bot.card_at("RQ-1.request.seller", 1)
    assert {a["id"] for a in card["actions"]} == {
        "approve",
        "reject",
        "offer_partial_refund",
        "refund_only",
    }
    assert (await bot.click(card, "approve", SELLER)).status == 200
    approved = await bot.request_at("awaiting_shipment")
    assert approved["decided_by"] == "seller" and approved["deadlines"]["ship_by"]
    await bot.eventually(lambda: bot.get_request(), what="replacement order")
    await bot.eventually(
        lambda: len(bot.platform.replacement_orders) == 1, what="replacement order call"
    )

    async def has_order() -> bool:
        return (await bot.get_request())["replacement_order_id"] is not None

    await bot.eventually(has_order, what="replacement order id recorded")
    assert (await bot.chat("/ship")).status == 200
    shipped = await bot.request_at("shipped")
    assert shipped["shipment"]["shipping_option"] == "platform"

    async def tracking() -> str | None:
        number: str | None = (await bot.get_request())["shipment"]["tracking_number"]
        return number

    number = await bot.eventually(tracking, what="tracking number from the platform")
    assert (await bot.logistics(number, "in_transit")).status == 200
    assert (await bot.logistics(number, "delivered")).status == 200
    done = await bot.request_at("delivered")
    assert [e["status"] for e in done["shipment"]["events"]] == ["in_transit", "delivered"]
    assert (await bot.chat("/track", sender=BUYER)).status == 200
    await bot.eventually(
        lambda: any("Latest status" in t for t in bot.texts(audience="buyer")),
        what="tracking reply",
    )
