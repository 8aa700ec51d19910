"""Hostile strings in every field a buyer or a seller controls, and a check that a page
shows them as text only: every tag and attribute in the HTML is one the console writes."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

from tests.console.support import shipped_by_seller
from tests.e2e.harness import BUYER, SELLER, BotHarness, card_id, requested_data

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE = "{{'evalu'~'ated'}}"  # a template engine would print "evaluated"
QUOTE = "' onmouseover='alert(1)"
UNICODE = "ไม่มีแก้ว ☕ \u202eevil\u202c"
HOSTILE = [SCRIPT, IMG, TEMPLATE, QUOTE, UNICODE]
TEXT = " ".join(HOSTILE)

# ids: 1-128 printable characters without whitespace (SPEC wire format)
REQUEST_ID = 'RQ"><svg/onload=alert(1)>'
REJECTED_ID = "RQ-<script>alert(2)</script>"
CONVERSATION_ID = "conv-{{'evalu'~'ated'}}<i>"
SHOP_ID = "shop'\"><b>x"
BUYER_ID = "<script>alert(3)</script>"
SELLER_ID = '"><img/src=x/onerror=alert(4)>'
ORDER_ID = "ORD<x>'\"&amp;"
LINE_ID = "L1<u>"
TRACKING = "TRK<script>alert(5)</script>"
IMAGE_URLS = [
    "javascript:alert(1)",
    'https://img.example/a.jpg"><script>alert(6)</script>',
    "data:text/html,<script>alert(7)</script>",
]
HOSTILE_IDS = [REQUEST_ID, REJECTED_ID, CONVERSATION_ID, SHOP_ID, BUYER_ID, SELLER_ID, ORDER_ID]

BUYER_ACTOR = {**BUYER, "id": BUYER_ID}
SELLER_ACTOR = {**SELLER, "id": SELLER_ID}

# what the console writes itself
TAGS = {
    "html", "head", "meta", "title", "link", "script", "noscript", "body", "a", "header",
    "nav", "form", "label", "input", "button", "p", "main", "footer", "section", "select",
    "option", "div", "h1", "h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "span",
    "time", "strong", "article", "dl", "dt", "dd", "details", "summary", "pre", "ul", "li",
    "ol", "blockquote", "q", "code", "br",
}  # fmt: skip


class MarkupCheck(HTMLParser):
    """Fails on any tag, attribute or link target the console does not write itself."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"attribute {name} on <{tag}>")
            allowed = re.match(r"^(/agent|#content$|https?://img\.example/)", value or "")
            if name in ("href", "src", "action") and not allowed:
                self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag == "script" and not dict(attrs).get("src", "").startswith("/agent/static/"):
            self.problems.append("an inline <script>")


def assert_only_text(markup: str, where: str) -> None:
    check = MarkupCheck()
    check.feed(markup)
    check.close()
    assert check.problems == [], f"{where}: {check.problems}"
    assert "evaluated" not in _visible(markup), where


def _visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def hostile_data(bot: BotHarness, request_id: str) -> dict[str, Any]:
    data = requested_data(request_id, CONVERSATION_ID, bot.clock)
    data["evidence"] = {"note": TEXT, "image_urls": IMAGE_URLS}
    data["buyer"] = {"id": BUYER_ID, "locale": '"><script>'}
    data["seller"] = {**data["seller"], "id": SELLER_ID}
    data["items"] = [{"line_id": LINE_ID, "quantity": 1}]
    data["order"] = {
        **data["order"],
        "order_id": ORDER_ID,
        "shipping_option": "seller",
        "lines": [
            {
                "line_id": LINE_ID,
                "sku": SCRIPT,
                "name": TEXT,
                "quantity": 2,
                "unit_price": "12.50",
            }
        ],
    }
    return data


async def hostile_conversation(bot: BotHarness) -> None:
    """Two requests from hostile people: one shipped by the seller with hostile carrier and
    tracking number and logistics, one rejected with a hostile comment; a refused command;
    and every chat message to the buyer refused by the platform (dead letters)."""
    bot.shop_id = SHOP_ID  # every event of this conversation comes from the hostile shop
    for request_id in (REQUEST_ID, REJECTED_ID):
        answer = await bot.send("reshipment.requested", hostile_data(bot, request_id))
        assert answer.status == 200, answer
    await bot.card_at(card_id("request", REJECTED_ID), 1)
    card = await bot.card_at(card_id("request", REQUEST_ID), 1)
    reject_card = bot.card(card_id("request", REJECTED_ID))
    assert reject_card is not None
    form = {"reason_code": "other", "comment": TEXT}
    answer = await bot.click(
        reject_card, "reject", SELLER_ACTOR, form, conversation_id=CONVERSATION_ID
    )
    assert answer.status == 200, answer
    await bot.request_at("rejected", quote(REJECTED_ID, safe=""))
    await shipped_by_seller(bot, card, SELLER_ACTOR, TEXT, TRACKING, CONVERSATION_ID)
    await bot.logistics(TRACKING, "in_transit", carrier=SCRIPT, description=TEXT)
    bot.platform.fail_path("/v1/chat/messages", 400)
    await bot.chat(f"/nonsense{SCRIPT}", sender=BUYER_ACTOR, conversation_id=CONVERSATION_ID)
    await bot.settle()
