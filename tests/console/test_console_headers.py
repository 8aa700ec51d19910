"""Security headers on every console answer, static files, and no inline script or style."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.core.errors import StorageUnavailable
from tests.console.support import Agent
from tests.e2e.harness import AGENT_TOKEN, BotHarness

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGES = [
    "/agent",
    "/agent?q=RQ-1",
    "/agent/requests/RQ-1",
    "/agent/conversations/conv-1",
    "/agent/deliveries",
    "/agent/fragments/queue",
    "/agent/fragments/requests/RQ-1",
    "/agent/fragments/conversations/conv-1",
    "/agent/fragments/deliveries",
    "/agent/requests/RQ-404",
]


def assert_secure(headers: Any, where: str, cache: str = "no-store") -> None:
    assert headers["Content-Security-Policy"] == CSP, where
    assert headers["X-Content-Type-Options"] == "nosniff", where
    assert headers["Referrer-Policy"] == "no-referrer", where
    assert headers["X-Frame-Options"] == "DENY", where
    assert headers["Cache-Control"] == cache, where


async def test_pages_and_fragments_carry_the_security_headers(
    bot: BotHarness, agent: Agent
) -> None:
    await bot.offered()
    await agent.sign_in()
    for path in PAGES:
        answer = await agent.get(path)
        assert answer.status in (200, 404), path
        assert answer.headers["Content-Type"].startswith("text/html"), path
        assert_secure(answer.headers, path)


async def test_login_logout_and_redirects_carry_them_too(bot: BotHarness, agent: Agent) -> None:
    assert_secure((await agent.get("/agent")).headers, "redirect to login")
    assert_secure((await agent.get("/agent/login")).headers, "login form")
    assert_secure((await agent.sign_in()).headers, "login post")
    assert_secure((await agent.post("/agent/logout", {})).headers, "logout")
    assert_secure((await agent.get("/agent/fragments/queue")).headers, "401")


async def test_no_page_has_inline_script_style_or_handlers(bot: BotHarness, agent: Agent) -> None:
    await bot.offered()
    await agent.sign_in()
    for path in [*PAGES, "/agent/login"]:
        text = (await agent.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=\"/agent/static/)", text), path
        assert "<style" not in text and " style=" not in text, path
        assert not re.search(r"\son[a-z]+=", text), path


async def test_static_files_are_served_with_their_types(bot: BotHarness, agent: Agent) -> None:
    script = await agent.get("/agent/static/console.js")
    assert script.status == 200 and "EventSource" in script.text
    assert "javascript" in script.headers["Content-Type"]
    assert_secure(script.headers, "console.js", cache="no-cache")
    style = await agent.get("/agent/static/console.css")
    assert style.status == 200 and style.headers["Content-Type"].startswith("text/css")
    assert "@media (max-width" in style.text
    for path in ("/agent/static/../pages.py", "/agent/static/%2e%2e/pages.py", "/agent/static/x"):
        assert (await agent.get(path)).status in (403, 404), path


async def test_pages_reference_static_files_by_content_version(
    bot: BotHarness, agent: Agent
) -> None:
    text = (await agent.get("/agent/login")).text
    assert re.search(r'src="/agent/static/console\.js\?v=[0-9a-f]{12}"', text)
    assert re.search(r'href="/agent/static/console\.css\?v=[0-9a-f]{12}"', text)


async def test_a_store_that_does_not_answer_gives_an_html_503(
    bot: BotHarness, agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*args: Any, **kwargs: Any) -> Any:
        raise StorageUnavailable("down for the test")

    assert bot.services is not None
    monkeypatch.setattr(bot.services.store, "list_requests", down)
    answer = await agent.get("/agent", bearer=AGENT_TOKEN)
    assert answer.status == 503 and "The store does not answer" in answer.text
    assert_secure(answer.headers, "503")
