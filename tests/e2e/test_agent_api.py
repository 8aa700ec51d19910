"""The agent API (SPEC §3.3) over HTTP: bearer auth, the request view, the queue, conversations."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from cards.model import Card
from tests.e2e.harness import (
    AGENT_TOKEN,
    BUYER,
    BotHarness,
    card_id,
    memory_only,
    requested_data,
)

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

ENDPOINTS = [
    "/api/requests/RQ-1",
    "/api/requests",
    "/api/requests?status=awaiting_seller",
    "/api/conversations/conv-1",
    "/api/deliveries?state=dead",
]

REQUEST_FIELDS = {
    "request_id",
    "shop_id",
    "conversation_id",
    "status",
    "resolution",
    "decided_by",
    "reason",
    "items",
    "affected_value",
    "currency",
    "buyer",
    "seller",
    "order",
    "deadlines",
    "offer",
    "offers_made",
    "rejection",
    "refund",
    "replacement_order_id",
    "shipment",
    "overdue",
    "version",
    "timeline",
    "created_at",
    "updated_at",
}


def assert_iso(value: Any, where: str) -> None:
    assert isinstance(value, str) and ISO_Z.match(value), f"{where}: {value!r}"


@memory_only
async def test_every_endpoint_needs_the_agent_token(bot: BotHarness) -> None:
    await bot.requested()
    for path in ENDPOINTS:
        for token in (None, "wrong-token", AGENT_TOKEN + "x", AGENT_TOKEN[:-1], ""):
            answer = await bot.api(path, token=token)
            assert answer.status == 401, (path, token)
            assert answer.body["error"]["code"] == "unauthorized"
        assert (await bot.api(path)).status == 200, path
    for header, status in (
        (f"Basic {AGENT_TOKEN}", 401),
        (AGENT_TOKEN, 401),
        ("Bearer", 401),
        ("Bearer ", 401),
        (f"bearer {AGENT_TOKEN}", 200),  # the scheme is case-insensitive
        (f"BEARER  {AGENT_TOKEN}", 200),
    ):
        async with bot.session.get(
            f"{bot.base_url}/api/requests/RQ-1", headers={"Authorization": header}
        ) as response:
            assert response.status == status, header


async def test_unknown_request_is_404(bot: BotHarness) -> None:
    answer = await bot.api("/api/requests/RQ-404")
    assert answer.status == 404
    assert set(answer.body) == {"error"} and answer.body["error"]["code"] == "not_found"


async def test_the_request_view_has_every_field(bot: BotHarness) -> None:
    await bot.requested()
    await bot.chat("/offer 10")
    offer = await bot.card_at(card_id("offer"), 1)
    await bot.click(offer, "decline_offer", BUYER)
    await bot.request_at("awaiting_seller")
    await bot.chat("/approve")
    await bot.field_set("replacement_order_id")
    await bot.chat("/ship")
    number = await bot.tracking_number()
    await bot.logistics(number, "picked_up", description="Picked up in Bangkok")

    async def with_event() -> dict[str, Any] | None:
        body = await bot.get_request()
        return body if body["shipment"]["events"] else None

    body = await bot.eventually(with_event, what="the logistics event")
    assert set(body) >= REQUEST_FIELDS, REQUEST_FIELDS - set(body)
    assert body["shop_id"] == "shop-1" and body["conversation_id"] == "conv-1"
    assert (body["status"], body["resolution"], body["decided_by"]) == (
        "shipped",
        "reship",
        "seller",
    )
    assert body["reason"] == "missing_items" and body["currency"] == "USD"
    assert body["items"] == [
        {"line_id": "L1", "name": "Glass cup", "quantity": 2, "unit_price": "12.50"}
    ]
    assert body["affected_value"] == "25.00"
    assert body["buyer"]["id"] == "buyer-1" and body["seller"]["timezone"] == "Asia/Bangkok"
    assert body["order"]["order_id"] == "ORD-1" and len(body["order"]["lines"]) == 2
    assert set(body["deadlines"]) == {"seller_due_at", "offer_expires_at", "ship_by"}
    offer_view = body["offer"]
    assert {"amount", "currency", "status", "offered_at", "expires_at"} <= set(offer_view)
    assert (offer_view["amount"], offer_view["status"]) == ("10.00", "declined")
    assert_iso(offer_view["offered_at"], "offer.offered_at")
    assert_iso(offer_view["expires_at"], "offer.expires_at")
    assert body["offers_made"] == 1 and body["rejection"] is None and body["refund"] is None
    assert body["replacement_order_id"]
    shipment = body["shipment"]
    assert {"carrier", "tracking_number", "shipping_option", "status", "events"} <= set(shipment)
    assert shipment["tracking_number"] == number and shipment["shipping_option"] == "platform"
    [event] = shipment["events"]
    assert (event["status"], event["description"]) == ("picked_up", "Picked up in Bangkok")
    assert_iso(event["occurred_at"], "events[0].occurred_at")
    assert body["overdue"] is False and body["version"] >= 7
    for name in ("created_at", "updated_at"):
        assert_iso(body[name], name)
    types = [entry["type"] for entry in body["timeline"]]
    for expected in ("offer_made", "offer_declined", "approved", "shipment_arranged"):
        assert expected in types, types
    for entry in body["timeline"]:
        assert set(entry) == {"at", "type", "actor", "detail"}
        assert_iso(entry["at"], f"timeline {entry['type']}")
        assert entry["actor"] is None or set(entry["actor"]) == {"role", "id"}
    assert [e["at"] for e in body["timeline"]] == sorted(e["at"] for e in body["timeline"])


@memory_only
async def test_rejection_and_refund_views(bot: BotHarness) -> None:
    await bot.requested("RQ-1")
    await bot.chat("/reject item_received_complete The courier photo shows three cups.")
    rejected = await bot.request_at("rejected")
    assert rejected["rejection"] == {
        "reason_code": "item_received_complete",
        "comment": "The courier photo shows three cups.",
    }
    assert all(value is None for value in rejected["deadlines"].values())
    await bot.requested("RQ-2", conversation_id="conv-2")
    await bot.chat("/refund", conversation_id="conv-2")
    refunded = await bot.request_at("refunded", "RQ-2")
    assert {k: refunded["refund"][k] for k in ("amount", "currency", "kind")} == {
        "amount": "25.00",
        "currency": "USD",
        "kind": "full",
    }


# --- the queue -----------------------------------------------------------------------------


def deadline_of(item: dict[str, Any]) -> str | None:
    deadlines = item["deadlines"]
    return {
        "awaiting_seller": deadlines["seller_due_at"],
        "offer_pending": deadlines["offer_expires_at"],
        "awaiting_shipment": deadlines["ship_by"],
    }.get(item["status"])


def queue_order(items: list[dict[str, Any]]) -> list[str]:
    """Request ids by nearest deadline (none last), ties by request id."""
    return [
        item["request_id"]
        for item in sorted(
            items,
            key=lambda item: (
                deadline_of(item) is None,
                datetime.fromisoformat(deadline_of(item) or "2000-01-01T00:00:00Z"),
                item["request_id"],
            ),
        )
    ]


async def create_queue(bot: BotHarness) -> None:
    """12 requests in 12 conversations, requested 1..12 hours ago in a scrambled order;
    RQ-03 is approved (ship_by), RQ-05 rejected (no deadline), RQ-07 in another shop."""
    now = bot.clock.now()
    for n, hours_ago in enumerate((5, 11, 2, 8, 1, 12, 7, 3, 10, 4, 9, 6), start=1):
        data = requested_data(f"RQ-{n:02d}", f"conv-{n:02d}", bot.clock)
        data["requested_at"] = int((now - timedelta(hours=hours_ago)).timestamp())
        answer = await bot.send(
            "reshipment.requested", data, shop_id="shop-2" if n == 7 else "shop-1"
        )
        assert answer.status == 200, answer
    await bot.chat("/approve", conversation_id="conv-03")
    await bot.chat(
        "/reject duplicate_request Same as an earlier request.", conversation_id="conv-05"
    )
    await bot.request_at("awaiting_shipment", "RQ-03")
    await bot.request_at("rejected", "RQ-05")


async def list_ids(bot: BotHarness, query: str) -> list[str]:
    answer = await bot.api(f"/api/requests?{query}")
    assert answer.status == 200, answer
    return [item["request_id"] for item in answer.body["items"]]


async def test_the_queue_is_ordered_filtered_and_paged(bot: BotHarness) -> None:
    await create_queue(bot)
    everything = await bot.api("/api/requests?limit=200")
    items = everything.body["items"]
    assert len(items) == 12 and everything.body["next_cursor"] is None
    ids = [item["request_id"] for item in items]
    assert ids == queue_order(items)
    # the seller deadlines follow requested_at: the oldest request is the most urgent
    assert ids[:3] == ["RQ-06", "RQ-02", "RQ-09"]
    assert ids[-1] == "RQ-05"  # terminal: no deadline, last

    pages: list[str] = []
    cursor: str | None = None
    for _ in range(5):
        query = "limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = await bot.api(f"/api/requests?{query}")
        assert page.status == 200 and len(page.body["items"]) <= 5
        pages += [item["request_id"] for item in page.body["items"]]
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert pages == ids

    waiting = await list_ids(bot, "status=awaiting_seller")
    assert waiting == [i for i in ids if i not in ("RQ-03", "RQ-05")]
    assert await list_ids(bot, "status=awaiting_shipment,rejected") == ["RQ-03", "RQ-05"]
    assert await list_ids(bot, "shop_id=shop-2") == ["RQ-07"]
    assert "RQ-07" not in await list_ids(bot, "shop_id=shop-1")
    assert await list_ids(bot, "conversation_id=conv-04") == ["RQ-04"]
    assert await list_ids(bot, "overdue=true") == []
    assert await list_ids(bot, "overdue=false&limit=200") == ids
    assert await list_ids(bot, "status=awaiting_seller&shop_id=shop-2") == ["RQ-07"]


async def test_the_overdue_filter_finds_late_shipments(bot: BotHarness) -> None:
    await bot.approved("RQ-1")
    await bot.requested("RQ-2", conversation_id="conv-2")
    await bot.approved("RQ-3", conversation_id="conv-3")
    await bot.chat("/ship", conversation_id="conv-3")
    await bot.request_at("shipped", "RQ-3")
    bot.advance(timedelta(days=8))  # past every ship_by; RQ-2 is auto-approved meanwhile

    async def overdue() -> list[str]:
        return await list_ids(bot, "overdue=true")

    assert await bot.eventually(overdue, what="an overdue request") == ["RQ-1"]
    assert sorted(await list_ids(bot, "overdue=false")) == ["RQ-2", "RQ-3"]


BAD_QUERIES = [
    "status=bogus",
    "status=awaiting_seller,nope",
    "overdue=maybe",
    "limit=0",
    "limit=201",
    "limit=ten",
    "limit=-1",
    "cursor=not-a-cursor",
    "cursor=W10=",  # base64 of [] : decodes, but is no position
    "cursor=WzEsMl0=",  # base64 of [1,2]: a list, but the member is no string
]


async def test_bad_query_parameters_are_400(bot: BotHarness) -> None:
    await bot.requested()
    for query in BAD_QUERIES:
        answer = await bot.api(f"/api/requests?{query}")
        assert answer.status == 400, (query, answer)
        assert answer.body["error"]["code"] in ("bad_query", "bad_cursor"), query
        assert answer.body["error"]["message"]
    for query in ("state=alive", "limit=0"):
        answer = await bot.api(f"/api/deliveries?{query}")
        assert answer.status == 400 and answer.body["error"]["code"] == "bad_query", query


# --- conversations -----------------------------------------------------------------------


async def test_a_conversation_shows_its_requests_and_cards(bot: BotHarness) -> None:
    await bot.requested("RQ-1")
    await bot.chat("/offer #RQ-1 10")
    await bot.card_at(card_id("offer"), 1)
    await bot.requested("RQ-2")
    await bot.settle()
    answer = await bot.api("/api/conversations/conv-1")
    assert answer.status == 200
    body = answer.body
    assert body["conversation_id"] == "conv-1"
    assert [r["request_id"] for r in body["requests"]] == ["RQ-1", "RQ-2"]
    assert set(body["requests"][0]) >= REQUEST_FIELDS
    cards = body["cards"]
    assert {c["card_id"] for c in cards} == {
        card_id("request", "RQ-1"),
        card_id("offer", "RQ-1"),
        card_id("request", "RQ-2"),
    }
    for card in cards:
        shown = bot.card(card["card_id"])
        assert shown is not None
        assert card == without_tokens(shown), "the agent sees what the platform shows"
        for action in card["actions"]:
            assert set(action) == {"id", "label", "style"}, "and no action token"
    empty = await bot.api("/api/conversations/conv-unknown")
    assert (empty.status, empty.body["requests"], empty.body["cards"]) == (200, [], [])


def without_tokens(card: dict[str, Any]) -> dict[str, Any]:
    actions = [{k: v for k, v in action.items() if k != "token"} for action in card["actions"]]
    Card.model_validate(card)  # the platform's copy: a whole card, tokens and all
    return {**card, "actions": actions}


def tokens_in(value: Any) -> set[str]:
    """Every action token in a call body (any depth)."""
    if isinstance(value, dict):
        own = {value["token"]} if isinstance(value.get("token"), str) else set()
        return own.union(*(tokens_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(tokens_in(item) for item in value))
    return set()


async def test_no_agent_answer_hands_out_an_action_token(bot: BotHarness) -> None:
    """Regression: `GET /api/conversations/{id}` answered the cards with their live action
    tokens, and a dead card's body kept them: an agent could click for a buyer or seller."""
    await bot.offered("10.00")  # the seller's request card and the buyer's offer card
    bot.platform.fail_path("/v1/chat/messages", 422)
    assert (await bot.request("RQ-2")).status == 200  # its request card dies undelivered

    async def dead_card() -> bool:
        letters = (await bot.api("/api/deliveries?state=dead")).body["items"]
        return any(letter["body"].get("message", {}).get("type") == "card" for letter in letters)

    await bot.eventually(dead_card, what="a card among the dead letters")
    tokens = set().union(*(tokens_in(call.body) for call in bot.platform.calls))
    assert len(tokens) >= 5, tokens  # approve, reject, offer, refund; accept, decline; RQ-2's
    for path in [*ENDPOINTS, "/api/requests/RQ-2", "/api/requests?conversation_id=conv-1"]:
        answer = await bot.api(path)
        assert answer.status == 200, path
        text = orjson.dumps(answer.body).decode()
        assert not [token for token in tokens if token in text], path
        assert '"token"' not in text, path
    conversation = (await bot.api("/api/conversations/conv-1")).body
    assert {card["card_id"] for card in conversation["cards"]} >= {
        card_id("request"),
        card_id("offer"),
        card_id("request", "RQ-2"),
    }
    actions = [action for card in conversation["cards"] for action in card["actions"]]
    assert actions and all(set(action) == {"id", "label", "style"} for action in actions)


def test_iso_pattern_rejects_offsets() -> None:
    assert ISO_Z.match(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).isoformat()) is None
    assert ISO_Z.match("2026-01-02T03:04:05Z")
