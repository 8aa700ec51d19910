"""What each console page shows (plain HTTP, bearer auth): the queue with its filters and
search, a request's whole story, a conversation's messages and cards, the dead letters."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from bot.web.console import reads
from tests.console.support import Agent, shipped
from tests.e2e.harness import AGENT_TOKEN, BUYER, BotHarness, card_id, requested_data


async def page(agent: Agent, path: str, status: int = 200, **headers: str) -> str:
    answer = await agent.get(path, bearer=AGENT_TOKEN, **headers)
    assert answer.status == status, (path, answer.status, answer.text[:500])
    return answer.text


def queue_ids(text: str) -> list[str]:
    return [
        html.unescape(found)
        for found in re.findall(r'<tr class="row-[^"]*" data-request-id="([^"]*)"', text)
    ]


INLINE = re.compile(r"</?(?:strong|span|a|em|time|code|q|b|abbr)\b[^>]*>")


def text_of(markup: str) -> str:
    """The page's text as a reader sees it: tags out, entities decoded, spaces squeezed."""
    blocks = re.sub(r"<[^>]+>", " ", INLINE.sub("", markup))
    return re.sub(r"\s+", " ", html.unescape(blocks))


async def three_requests(bot: BotHarness) -> None:
    """RQ-1 awaiting the seller, RQ-2 with an offer to the buyer, RQ-3 approved."""
    await bot.requested("RQ-1")
    await bot.requested("RQ-2", conversation_id="conv-2")
    assert (await bot.chat("/offer 10.00", conversation_id="conv-2")).status == 200
    await bot.request_at("offer_pending", "RQ-2")
    await bot.approved("RQ-3", conversation_id="conv-3")


async def test_the_queue_lists_open_requests_nearest_deadline_first(
    bot: BotHarness, agent: Agent
) -> None:
    await three_requests(bot)
    await bot.requested("RQ-4", conversation_id="conv-4")
    assert (await bot.chat("/refund", conversation_id="conv-4")).status == 200
    await bot.request_at("refunded", "RQ-4")

    text = await page(agent, "/agent")
    assert queue_ids(text) == ["RQ-2", "RQ-1", "RQ-3"]  # the refunded one is closed
    shown = text_of(text)
    for words in (
        "Offer pending",
        "Awaiting seller",
        "Awaiting shipment",
        "Missing items",
        "25.00 USD",
        "Buyer: accept or decline the partial refund",
        "Seller: approve, reject or propose a refund",
        "Seller: arrange the shipment",
    ):
        assert words in shown, words
    assert len(re.findall(r"data-deadline=\"\d{4}-\d\d-\d\dT[^\"]+Z\"", text)) == 3
    assert re.search(r"in 23 h 59 min|in 1 d", shown)
    assert queue_ids(await page(agent, "/agent?status=all")) == ["RQ-2", "RQ-1", "RQ-3", "RQ-4"]


async def test_the_queue_filters(bot: BotHarness, agent: Agent) -> None:
    await three_requests(bot)
    other_shop = requested_data("RQ-5", "conv-5", bot.clock)
    assert (await bot.send("reshipment.requested", other_shop, shop_id="shop-2")).status == 200
    await bot.card_at(card_id("request", "RQ-5"), 1)

    assert queue_ids(await page(agent, "/agent?need=seller")) == ["RQ-1", "RQ-5", "RQ-3"]
    assert queue_ids(await page(agent, "/agent?need=buyer")) == ["RQ-2"]
    assert queue_ids(await page(agent, "/agent?status=awaiting_shipment")) == ["RQ-3"]
    assert queue_ids(await page(agent, "/agent?shop=shop-2")) == ["RQ-5"]
    assert queue_ids(await page(agent, "/agent?status=offer_pending&need=seller")) == []
    assert "No requests match." in await page(agent, "/agent?overdue=1")
    fragment = await page(agent, "/agent/fragments/queue?need=buyer")
    assert queue_ids(fragment) == ["RQ-2"] and "<html" not in fragment
    # nonsense in the query is ignored, not an error
    assert queue_ids(await page(agent, "/agent?status=bogus&need=x&cursor=zzz")) == [
        "RQ-2",
        "RQ-1",
        "RQ-5",
        "RQ-3",
    ]


async def test_the_overdue_filter(bot: BotHarness, agent: Agent) -> None:
    await bot.approved("RQ-1")
    await bot.requested("RQ-2", conversation_id="conv-2")
    bot.advance(timedelta(days=8))  # past RQ-1's ship_by; RQ-2 is auto-approved meanwhile

    async def overdue() -> list[str]:
        return queue_ids(await page(agent, "/agent?overdue=1"))

    assert await bot.eventually(overdue, what="an overdue request") == ["RQ-1"]
    text = await page(agent, "/agent/requests/RQ-1")
    assert "Overdue" in text and "ago, overdue" in text_of(text)


async def test_search_finds_requests_by_id_order_conversation_and_tracking(
    bot: BotHarness, agent: Agent
) -> None:
    await bot.requested("RQ-1")
    data = requested_data("RQ-2", "conv-2", bot.clock)
    data["order"] = {**data["order"], "order_id": "ORD-77"}
    assert (await bot.send("reshipment.requested", data)).status == 200
    await bot.requested("RQ-3")  # a second request in conv-1
    number = await shipped(bot, "RQ-4", "conv-4")

    assert queue_ids(await page(agent, "/agent?q=RQ-3")) == ["RQ-3"]
    assert queue_ids(await page(agent, "/agent?q=ORD-77")) == ["RQ-2"]
    assert sorted(queue_ids(await page(agent, "/agent?q=conv-1"))) == ["RQ-1", "RQ-3"]
    assert queue_ids(await page(agent, f"/agent?q={number}")) == ["RQ-4"]
    assert sorted(queue_ids(await page(agent, "/agent?q=ORD-1"))) == ["RQ-1", "RQ-3", "RQ-4"]
    nothing = await page(agent, "/agent?q=nothing-here")
    assert "No requests match." in nothing and "Search results for" in nothing


async def test_a_request_page_tells_the_whole_story(bot: BotHarness, agent: Agent) -> None:
    offer_card = await bot.offered("10.00")
    assert (await bot.click(offer_card, "decline_offer", BUYER)).status == 200
    await bot.request_at("awaiting_seller")
    assert (await bot.chat("/approve")).status == 200
    order_id = await bot.field_set("replacement_order_id")
    assert (await bot.chat("/ship")).status == 200
    number = await bot.tracking_number()
    assert (
        await bot.logistics(number, "picked_up", description="Picked up in Bangna")
    ).status == 200
    assert (await bot.logistics(number, "in_transit", description="Left the hub")).status == 200
    await bot.settle()

    text = await page(agent, "/agent/requests/RQ-1")
    shown = text_of(text)
    for words in (
        "Request RQ-1",
        "Shipped",
        "Next: carrier — deliver the replacement",
        "Offer made by seller seller-1",
        "Offer declined by buyer buyer-1",
        "Approved by seller seller-1",
        "Requested by buyer buyer-1",
        "10.00 USD, declined",
        f"Replacement order {order_id}",
        f"Tracking number {number}",
        "Picked up — Picked up in Bangna",
        "In transit — Left the hub",
        "Only one of three cups was in the box.",
        "Glass cup",
        "Resolution: Reship, decided by seller",
    ):
        assert words in shown, words
    # each card as its reader got it: the platform's copy, version and all
    for kind in ("request", "offer", "shipment"):
        sent = bot.card(card_id(kind))
        assert sent is not None, kind
        assert f'data-card-id="{sent["card_id"]}"' in text
        assert f"As the {sent['audience']} sees it" in shown
        assert f"version {sent['version']}" in shown
        assert sent["title"] in shown
        for line in sent["lines"]:
            assert line in shown, line
        for field in sent["fields"]:
            assert f"{field['label']} {field['value']}" in shown, field
        for action in sent["actions"]:
            assert re.search(
                r"<button [^>]*disabled[^>]*>" + re.escape(html.escape(action["label"])), text
            )
        assert sent["actions"][0]["token"] not in text if sent["actions"] else True


async def test_a_request_page_shows_deadlines_counting_down(bot: BotHarness, agent: Agent) -> None:
    await bot.offered("10.00")
    text = await page(agent, "/agent/requests/RQ-1")
    shown = text_of(text)
    assert "Buyer answers the offer by" in shown
    assert "Seller's time to answer" in shown and "paused while the buyer considers" in shown
    request = await bot.get_request()
    expires = request["deadlines"]["offer_expires_at"]
    assert f'data-deadline="{expires}"' in text


async def test_times_follow_the_agents_timezone(bot: BotHarness, agent: Agent) -> None:
    await bot.requested()
    utc = text_of(await page(agent, "/agent/requests/RQ-1"))
    bangkok = text_of(await page(agent, "/agent/requests/RQ-1", Cookie="rb_tz=Asia/Bangkok"))
    assert " UTC" in utc and "Times are shown in UTC" in utc
    assert " +07" in bangkok and "Times are shown in Asia/Bangkok" in bangkok
    odd = text_of(await page(agent, "/agent", Cookie="rb_tz=../../etc/passwd"))
    assert "Times are shown in UTC" in odd


async def test_a_conversation_page_shows_its_requests_messages_and_cards(
    bot: BotHarness, agent: Agent
) -> None:
    await bot.requested("RQ-1")
    await bot.requested("RQ-2")
    await bot.settle()
    text = await page(agent, "/agent/conversations/conv-1")
    shown = text_of(text)
    assert sorted(queue_ids(text)) == ["RQ-1", "RQ-2"]
    received = [t for t in bot.texts(audience="buyer") if "We received" in t]
    assert len(received) == 2
    for sent in received:
        assert sent in shown
    assert "New request card for the seller: version 1, open (RQ-2.request.seller)" in shown
    assert shown.count("delivered") >= 4
    assert 'data-card-id="RQ-1.request.seller"' in text
    assert 'data-card-id="RQ-2.request.seller"' in text


async def test_the_deliveries_page_shows_what_never_arrived(bot: BotHarness, agent: Agent) -> None:
    bot.platform.fail_path("/v1/chat/messages", 400)
    await bot.request("RQ-1")

    async def dead() -> str | None:
        text = await page(agent, "/agent/deliveries")
        return text if "Text to the buyer: We received" in text_of(text) else None

    text = await bot.eventually(dead, what="a dead letter on the page")
    shown = text_of(text)
    assert "400" in shown and "New card for the seller: Reshipment request RQ-1" in shown
    assert 'href="/agent/requests/RQ-1"' in text and 'href="/agent/conversations/conv-1"' in text
    conversation = text_of(await page(agent, "/agent/conversations/conv-1"))
    assert "Not delivered" in conversation


async def test_unknown_pages_are_404_pages(bot: BotHarness, agent: Agent) -> None:
    assert "No such request" in await page(agent, "/agent/requests/RQ-404", 404)
    assert "No such conversation" in await page(agent, "/agent/conversations/nope", 404)
    await page(agent, "/agent/fragments/requests/RQ-404", 404)
    await page(agent, "/agent/requests/", 404)


async def test_ids_a_path_cannot_carry_are_linked_by_query(bot: BotHarness, agent: Agent) -> None:
    for request_id, conversation_id in ((".", ".."), ("a/b?c#d%e", "x/../y")):
        await bot.requested(request_id, conversation_id=conversation_id)
    queue = await page(agent, "/agent")
    links = [
        html.unescape(link) for link in re.findall(r'class="request-link" href="([^"]+)"', queue)
    ]
    assert sorted(links) == ["/agent/request?id=.", "/agent/requests/a%2Fb%3Fc%23d%25e"]
    for link in links:
        text = await page(agent, link)
        assert "Request" in text_of(text)
    assert "x/../y" in text_of(await page(agent, "/agent/conversations/x%2F..%2Fy"))
    assert ".." in text_of(await page(agent, "/agent/conversation?id=.."))


async def test_the_queue_pages_through_long_lists(
    bot: BotHarness, agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reads, "PAGE_SIZE", 2)
    for n in range(5):
        await bot.requested(f"RQ-{n}", conversation_id=f"conv-{n}")
    seen: list[str] = []
    path: str | None = "/agent?need=seller"
    while path is not None:
        text = await page(agent, path)
        seen += queue_ids(text)
        found = re.search(r'class="next-page" href="([^"]+)"', text)
        path = html.unescape(found.group(1)) if found else None
        assert path is None or path.startswith("/agent?need=seller&cursor=")
    assert seen == [f"RQ-{n}" for n in range(5)]
