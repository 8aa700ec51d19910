"""Hostile strings from buyers and sellers show as text on every page, never as markup."""

from __future__ import annotations

import html
from urllib.parse import quote

from tests.console.hostile import (
    BUYER_ID,
    CONVERSATION_ID,
    HOSTILE,
    HOSTILE_IDS,
    IMAGE_URLS,
    LINE_ID,
    ORDER_ID,
    REJECTED_ID,
    REQUEST_ID,
    SCRIPT,
    SHOP_ID,
    TEMPLATE,
    TEXT,
    TRACKING,
    assert_only_text,
    hostile_conversation,
)
from tests.console.support import Agent
from tests.console.test_console_pages import text_of
from tests.e2e.harness import AGENT_TOKEN, BotHarness


def pages() -> list[str]:
    request, rejected = quote(REQUEST_ID, safe=""), quote(REJECTED_ID, safe="")
    conversation = quote(CONVERSATION_ID, safe="")
    return [
        "/agent",
        "/agent?status=all",
        f"/agent?q={quote(ORDER_ID)}",
        f"/agent?q={quote(TRACKING)}",
        f"/agent?q={quote(SCRIPT)}",
        f"/agent/requests/{request}",
        f"/agent/requests/{rejected}",
        f"/agent/conversations/{conversation}",
        "/agent/deliveries",
        f"/agent/fragments/requests/{request}",
        f"/agent/fragments/conversations/{conversation}",
        "/agent/fragments/deliveries",
        f"/agent/login?next={quote(SCRIPT)}",
    ]


async def test_every_page_shows_hostile_strings_as_text(bot: BotHarness, agent: Agent) -> None:
    await hostile_conversation(bot)
    seen = ""
    for path in pages():
        answer = await agent.get(path, bearer=AGENT_TOKEN)
        assert answer.status in (200, 303), path
        if answer.status == 200:
            assert_only_text(answer.text, path)
            seen += answer.text
    shown = html.unescape(seen)
    for hostile in [*HOSTILE, *HOSTILE_IDS, TRACKING, *IMAGE_URLS]:
        assert hostile in shown, hostile  # shown, as text
    assert TEMPLATE in shown


async def test_each_field_a_buyer_or_seller_writes_is_shown_where_it_belongs(
    bot: BotHarness, agent: Agent
) -> None:
    await hostile_conversation(bot)
    shipped = text_of((await agent.get(pages()[5], bearer=AGENT_TOKEN)).text)
    rejected = text_of((await agent.get(pages()[6], bearer=AGENT_TOKEN)).text)
    for expected in (
        f"Buyer's evidence {TEXT} (not a web link) javascript:alert(1)",
        f"{LINE_ID} {TEXT} 1 12.50 USD",  # the item name, from the order line
        f"Carrier {TEXT} Tracking number {TRACKING}",
        f"In transit — {TEXT}",  # the carrier's description
        f"Shop {SHOP_ID} Conversation {CONVERSATION_ID} Buyer {BUYER_ID}",
        f"Order {ORDER_ID}",
        f"Refused by buyer {BUYER_ID}",  # a command the buyer made up, in the timeline
    ):
        assert expected in shipped, expected
    assert f"Rejection Other: {TEXT}" in rejected
    assert f"Comment {TEXT}" in rejected


async def test_hostile_search_text_and_next_are_text_too(bot: BotHarness, agent: Agent) -> None:
    answer = await agent.get(
        f"/agent?q={quote(SCRIPT)}&shop={quote(HOSTILE[1])}", bearer=AGENT_TOKEN
    )
    assert_only_text(answer.text, "search")
    assert html.escape(SCRIPT, quote=True) in answer.text
    login = await agent.get(f"/agent/login?next={quote('/agent?q=' + HOSTILE[1])}")
    assert_only_text(login.text, "login")
