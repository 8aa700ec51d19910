"""The console in Debian's chromium: an agent signs in and watches requests live."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from playwright.async_api import expect

from bot.web.console import pages
from tests.console.hostile import (
    CONVERSATION_ID,
    REJECTED_ID,
    REQUEST_ID,
    SCRIPT,
    TEXT,
    hostile_conversation,
)
from tests.console.support import Console
from tests.e2e.harness import BUYER, BotHarness, card_id

ROW = "tr[data-request-id='{}']"


async def test_a_new_request_appears_and_changes_live(bot: BotHarness, console: Console) -> None:
    page = console.page
    await console.live()
    await console.mark()
    assert (await bot.request("RQ-1")).status == 200
    row = page.locator(ROW.format("RQ-1"))
    await expect(row).to_contain_text("Awaiting seller")
    await expect(row).to_contain_text("Seller: approve, reject or propose a refund")
    await expect(row.locator("[data-deadline]")).to_have_text(re.compile(r"^in (1 d 23 h|2 d)$"))
    assert await console.still_same_document(), "the queue reloaded instead of updating"
    await console.snap("queue with RQ-1")

    await row.locator("a.request-link").click()
    await page.wait_for_url(console.url("/agent/requests/RQ-1"))
    await console.live()
    await console.mark()
    await expect(page.locator("#request-status")).to_have_text("Awaiting seller")
    assert (await bot.chat("/approve")).status == 200
    await expect(page.locator("#request-status")).to_have_text("Awaiting shipment")
    await expect(page.locator(".timeline")).to_contain_text("Approved by seller seller-1")
    await expect(page.locator("body")).to_contain_text(re.compile(r"Replacement order\s*ro-"))
    assert await console.still_same_document(), "the request page reloaded instead of updating"
    await console.snap("request approved")

    # the countdowns tick: a countdown's text is rewritten every second
    countdown = page.locator(".next [data-deadline]")
    await countdown.evaluate("element => { element.textContent = 'stale' }")
    await expect(countdown).to_have_text(re.compile(r"^in \d+ d( \d+ h)?$"))


async def test_the_offer_card_as_the_buyer_sees_it(bot: BotHarness, console: Console) -> None:
    sent = await bot.offered("10.00")
    await console.show("/agent/requests/RQ-1", "request with an offer")
    await console.live()
    card = console.page.locator(f"article[data-card-id='{card_id('offer')}']")
    await expect(card).to_contain_text("As the buyer sees it")
    await expect(card).to_contain_text("version 1")
    await expect(card.locator(".card-title")).to_have_text(sent["title"])
    for line, shown in zip(sent["lines"], await card.locator(".card-line").all(), strict=True):
        await expect(shown).to_have_text(line)
    buttons = card.locator(".card-actions button")
    await expect(buttons).to_have_text([action["label"] for action in sent["actions"]])
    for button in await buttons.all():
        await expect(button).to_be_disabled()

    assert (await bot.click(sent, "accept_offer", BUYER)).status == 200
    await expect(card).to_contain_text("version 2")
    await expect(card.locator(".card-status")).to_have_text("Accepted")
    await expect(card.locator(".card-actions button")).to_have_count(0)
    accepted = await bot.card_at(card_id("offer"), 2)
    await expect(card.locator(".card-title")).to_have_text(accepted["title"])
    await expect(console.page.locator("#request-status")).to_have_text("Refunded")
    await console.snap("offer accepted")


async def test_filter_to_overdue(bot: BotHarness, console: Console) -> None:
    await bot.approved("RQ-1")
    await bot.requested("RQ-2", conversation_id="conv-2")
    bot.advance(timedelta(days=8))  # past RQ-1's ship_by; RQ-2 is auto-approved meanwhile

    async def overdue() -> bool:
        return bool((await bot.get_request("RQ-1"))["overdue"])

    await bot.eventually(overdue, what="RQ-1 overdue")
    await console.sign_in()  # 8 days on, the 12-hour session has ended
    await console.show("/agent", "queue")
    await expect(console.page.locator("tbody tr")).to_have_count(2)
    await console.page.get_by_role("link", name="Overdue", exact=True).click()
    await console.page.wait_for_url(re.compile(r"/agent\?overdue=1$"))
    rows = console.page.locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-request-id", "RQ-1")
    await expect(rows.first).to_contain_text("Overdue")
    await expect(rows.first.locator("[data-deadline]")).to_contain_text("ago, overdue")
    await expect(console.page.locator("h1")).to_contain_text("overdue")
    await console.snap("overdue")


async def test_the_deliveries_page_shows_dead_letters_live(
    bot: BotHarness, console: Console
) -> None:
    bot.platform.fail_path("/v1/chat/messages", 400)
    await bot.request("RQ-1")
    await console.page.get_by_role("link", name="Deliveries").click()
    await console.page.wait_for_url(console.url("/agent/deliveries"))
    await console.live()
    await console.mark()
    table = console.page.locator("table.dead")
    await expect(table).to_contain_text(
        "Text to the buyer: We received your reshipment request RQ-1"
    )
    await expect(table).to_contain_text("HTTP 400")
    await bot.request("RQ-2", conversation_id="conv-2")
    await expect(table).to_contain_text("We received your reshipment request RQ-2")
    assert await console.still_same_document()
    await console.snap("deliveries")


async def test_when_the_stream_fails_the_page_says_so_and_refreshes(
    bot: BotHarness, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "FALLBACK_REFRESH_SECONDS", 1)
    await console.page.route("**/agent/events*", lambda route: route.abort())
    await console.show("/agent", "queue without a stream")
    status = console.page.locator("#live-status")
    await expect(status).to_have_text(re.compile(r"Live updates paused .* every 1 s"))
    await expect(console.page.locator("body")).to_have_attribute("data-live", "paused")
    await console.mark()
    await bot.request("RQ-1")
    await expect(console.page.locator(ROW.format("RQ-1"))).to_be_visible()
    assert not await console.still_same_document(), "it came by a full refresh"
    await console.snap("refreshed")


async def test_hostile_strings_run_no_script(bot: BotHarness, console: Console) -> None:
    problems: list[str] = []
    console.page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    await hostile_conversation(bot)
    for path in (
        "/agent?status=all",
        f"/agent/requests/{quote(REQUEST_ID, safe='')}",
        f"/agent/requests/{quote(REJECTED_ID, safe='')}",
        f"/agent/conversations/{quote(CONVERSATION_ID, safe='')}",
        "/agent/deliveries",
        f"/agent?q={quote(SCRIPT)}",
    ):
        await console.show(path)
        await console.live()
    await console.show(f"/agent/requests/{quote(REQUEST_ID, safe='')}")
    await expect(console.page.locator("blockquote.note")).to_have_text(TEXT)
    await expect(console.page.locator("h1")).to_have_text(f"Request {REQUEST_ID}")
    assert console.dialogs == []
    assert problems == []
    assert await console.page.evaluate("document.querySelectorAll('img, svg, iframe').length") == 0


@pytest.mark.parametrize("width", [1280, 390])
async def test_every_page_fits_the_screen(bot: BotHarness, console: Console, width: int) -> None:
    await bot.offered()
    await bot.approved("RQ-2", conversation_id="conv-2")
    await console.page.set_viewport_size({"width": width, "height": 844})
    for path in (
        "/agent",
        "/agent/requests/RQ-1",
        "/agent/conversations/conv-1",
        "/agent/deliveries",
        "/agent/login",
    ):
        await console.show(path, f"{path} at {width}px")
        overflow = await console.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways at {width}px"
        await expect(console.page.locator("h1").first).to_be_visible()


@pytest.mark.browser_timezone("Asia/Bangkok")
async def test_times_are_shown_in_the_browsers_timezone(bot: BotHarness, console: Console) -> None:
    await bot.requested()
    await console.show("/agent/requests/RQ-1")
    await expect(console.page.locator("body")).to_have_attribute("data-tz", "Asia/Bangkok")
    await expect(console.page.locator("footer")).to_contain_text("Asia/Bangkok")
    await expect(console.page.locator(".timeline .abs").first).to_have_text(re.compile(r" \+07$"))


async def test_the_sign_out_button_signs_out(bot: BotHarness, console: Console) -> None:
    """The button's form carries the form token logout wants (and the browser's own
    `Origin: null` / `Sec-Fetch-Site: same-origin`)."""
    page = console.page
    await page.click("form.signout button[type=submit]")
    await page.wait_for_url(re.compile(r"/agent/login$"))
    await console.snap("signed out")
    await page.goto(console.url("/agent"))
    await page.wait_for_url(re.compile(r"/agent/login\?next="))
