"""Helpers for the console tests: an agent's HTTP client, and a browser that keeps
screenshots of every console page it showed (written to the test's tmp dir on failure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from playwright.async_api import BrowserContext, Page

from tests.e2e.harness import AGENT_TOKEN, BotHarness

# Everything the browser may ask for: the bot's own server. Anything else is aborted.
LOCAL = re.compile(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


@dataclass
class Answer:
    status: int
    text: str
    headers: Any
    url: str


class Agent:
    """An agent's HTTP client: its own cookie jar (cookies on 127.0.0.1 allowed)."""

    def __init__(self, bot: BotHarness) -> None:
        self.bot = bot
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.session.close()

    async def get(
        self, path: str, *, bearer: str | None = None, follow: bool = False, **headers: str
    ) -> Answer:
        sent = dict(headers)
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        async with self.session.get(
            self.bot.base_url + path, headers=sent, allow_redirects=follow
        ) as response:
            return Answer(
                response.status, await response.text(), response.headers, str(response.url)
            )

    async def post(
        self, path: str, form: dict[str, str], *, origin: str | None = "self", **headers: str
    ) -> Answer:
        sent = dict(headers)
        if origin == "self":
            sent["Origin"] = self.bot.base_url
        elif origin is not None:
            sent["Origin"] = origin
        async with self.session.post(
            self.bot.base_url + path, data=form, headers=sent, allow_redirects=False
        ) as response:
            return Answer(
                response.status, await response.text(), response.headers, str(response.url)
            )

    async def form_token(self, path: str = "/agent/login") -> str:
        page = await self.get(path)
        found = re.search(r'name="form_token" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    async def sign_in(self, token: str = AGENT_TOKEN, next_path: str = "/agent") -> Answer:
        form_token = await self.form_token()
        return await self.post(
            "/agent/login", {"token": token, "next": next_path, "form_token": form_token}
        )

    def cookie(self, name: str) -> str | None:
        for cookie in self.session.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None


@dataclass
class Screens:
    """Keeps a screenshot of each console page shown; writes them when the test failed."""

    directory: Path
    shots: list[tuple[str, bytes]] = field(default_factory=list)

    async def take(self, page: Page, label: str) -> None:
        try:
            self.shots.append((label, await page.screenshot(full_page=True)))
        except Exception as problem:  # a closed page: nothing to keep
            self.shots.append((f"{label}-unavailable", str(problem).encode()))

    async def save(self, context: BrowserContext) -> list[Path]:
        written = []
        for index, open_page in enumerate(context.pages):
            await self.take(open_page, f"at-failure-{index}")
        self.directory.mkdir(parents=True, exist_ok=True)
        for number, (label, data) in enumerate(self.shots):
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", label)[:60]
            suffix = ".png" if data.startswith(b"\x89PNG") else ".txt"
            path = self.directory / f"{number:02d}-{safe}{suffix}"
            path.write_bytes(data)
            written.append(path)
        return written


class Console:
    """A signed-in browser tab on the console; `show()` navigates and keeps a screenshot."""

    def __init__(self, page: Page, bot: BotHarness, screens: Screens) -> None:
        self.page = page
        self.bot = bot
        self.screens = screens
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    def url(self, path: str) -> str:
        return self.bot.base_url + path

    async def show(self, path: str, label: str | None = None) -> None:
        await self.page.goto(self.url(path))
        await self.settled()
        await self.snap(label or path)

    async def settled(self) -> None:
        """Wait for the page that stays: a console page first shown in another timezone
        than the browser's sets the zone cookie and reloads itself (console.js), and a
        navigation started before that reload is aborted by it."""
        await self.page.wait_for_function(
            """() => {
                const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
                const shown = document.body && document.body.getAttribute("data-tz");
                return document.readyState === "complete" && (!shown || shown === zone);
            }"""
        )

    async def snap(self, label: str) -> None:
        await self.screens.take(self.page, label)

    async def sign_in(self, token: str = AGENT_TOKEN, then: str = "/agent") -> None:
        await self.page.goto(self.url(then))
        await self.page.wait_for_url(re.compile(r"/agent/login\?next="))
        await self.snap("login")
        await self.page.fill("#token", token)
        await self.page.click("form[action='/agent/login'] button[type=submit]")
        await self.page.wait_for_url(re.compile(re.escape(self.url(then)) + "$"))
        await self.settled()
        await self.snap(then)

    async def live(self) -> None:
        """Wait until the page's event stream is open (changes from now on show)."""
        await self.page.wait_for_selector("body[data-live='on']")

    async def mark(self) -> None:
        """Tag this document: `still_same_document()` tells whether it was reloaded."""
        await self.page.evaluate("window.__consoleTestMark = 'kept'")

    async def still_same_document(self) -> bool:
        mark = await self.page.evaluate("window.__consoleTestMark || null")
        return bool(mark == "kept")


async def shipped(
    bot: BotHarness, request_id: str = "RQ-1", conversation_id: str = "conv-1"
) -> str:
    """A request approved and shipped with platform shipping; its tracking number."""
    await bot.approved(request_id, conversation_id=conversation_id)
    answer = await bot.chat(f"/ship #{request_id}", conversation_id=conversation_id)
    assert answer.status == 200, answer
    return await bot.tracking_number(request_id)


async def shipped_by_seller(
    bot: BotHarness,
    card: dict[str, Any],
    seller: dict[str, str],
    carrier: str,
    tracking_number: str,
    conversation_id: str = "conv-1",
) -> None:
    """Approve from the seller's request card, then arrange seller shipping on it."""
    request_id = quote(card["request_id"], safe="")  # as the harness puts it in API paths
    answer = await bot.click(card, "approve", seller, conversation_id=conversation_id)
    assert answer.status == 200, answer
    await bot.field_set("replacement_order_id", request_id)
    ready = await bot.eventually(
        lambda: (
            (c := bot.card(card["card_id"]))
            and any(a["id"] == "arrange_shipment" for a in c["actions"])
            and c
        ),
        what="the arrange_shipment button",
    )
    form = {"carrier": carrier, "tracking_number": tracking_number}
    answer = await bot.click(
        ready, "arrange_shipment", seller, form, conversation_id=conversation_id
    )
    assert answer.status == 200, answer
    await bot.request_at("shipped", request_id)
