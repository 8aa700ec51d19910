"""The agent console's tests: the real app on a real port (as in tests/e2e) with a
recording sandbox platform, plain HTTP clients, and Debian's chromium via Playwright.

Fixtures:
  make_bot        builds a bot: `await make_bot(env=None, store=None)` (embedded store
                  unless given one, e.g. from `make_redis_store`)
  bot             a bot on the embedded store
  agent           an `Agent` HTTP client with its own cookie jar, not signed in
  chromium_path   the browser: skipped when absent, a failure with RESHIPBOT_REQUIRE_BROWSER=1
  browser         a fresh chromium profile (1280x900, UTC or @browser_timezone("…")), cut
                  off from every host but ours
  console         a signed-in `Console` tab on `bot`; on failure the screenshots of every
                  page it showed are written to the test's tmp dir (`screens/`)
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import BrowserContext, async_playwright, expect

import bot.runtime.services as services_module
from bot.core.clock import OffsetClock
from bot.platforms.generic.sandbox import SANDBOX_STATE, sandbox_app
from bot.runtime.config import load_settings
from bot.runtime.outbox import OutboxWorker
from bot.runtime.services import Services
from bot.web.app import build_app
from storage import MemoryStore, Store
from tests.console.support import CHROMIUM_ARGS, LOCAL, Agent, Console, Screens
from tests.e2e.harness import AGENT_TOKEN, APP_KEY, APP_SECRET, TOKEN_SECRET, BotHarness
from tests.timing import patience_ms

# Playwright's assertions retry until they hold; this is only their ceiling.
expect.set_options(timeout=patience_ms())

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

BASE_ENV = {
    "RESHIPBOT_APP_KEY": APP_KEY,
    "RESHIPBOT_APP_SECRET": APP_SECRET,
    "RESHIPBOT_AGENT_TOKEN": AGENT_TOKEN,
    "RESHIPBOT_TOKEN_SECRET": TOKEN_SECRET,
}
FAST_OUTBOX: dict[str, Any] = {"poll_interval": 0.01, "backoff_base": 0.02, "backoff_cap": 0.2}

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser_timezone(zone): the IANA timezone of the test's browser (UTC)"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Any:  # the report of each phase, for fixtures that act on failure
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def failed(node: pytest.Item) -> bool:
    return any(report.failed for report in node.stash.get(_REPORTS, {}).values())


class MakeBot(Protocol):
    async def __call__(
        self, env: dict[str, str] | None = None, store: Store | None = None
    ) -> BotHarness: ...


@pytest.fixture
async def make_bot(
    aiohttp_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[MakeBot]:
    monkeypatch.setattr(
        services_module, "OutboxWorker", functools.partial(OutboxWorker, **FAST_OUTBOX)
    )
    async with aiohttp.ClientSession() as session:

        async def make(env: dict[str, str] | None = None, store: Store | None = None) -> BotHarness:
            settings_env = {**BASE_ENV, **(env or {})}
            clock = OffsetClock()
            platform_server = await aiohttp_server(sandbox_app(APP_KEY, [APP_SECRET]))
            platform_url = str(platform_server.make_url("")).rstrip("/")
            settings = load_settings({"RESHIPBOT_PLATFORM_URL": platform_url, **settings_env})
            services = Services(settings, clock, store=store or MemoryStore(clock))
            server = await aiohttp_server(build_app(services))
            return BotHarness(
                base_url=str(server.make_url("")).rstrip("/"),
                session=session,
                platform=platform_server.app[SANDBOX_STATE],
                services=services,
                clock=clock,
            )

        yield make


@pytest.fixture
async def bot(make_bot: MakeBot) -> BotHarness:
    return await make_bot()


@pytest.fixture
async def agent(bot: BotHarness) -> AsyncIterator[Agent]:
    client = Agent(bot)
    yield client
    await client.close()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("RESHIPBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"RESHIPBOT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture
async def browser(
    chromium_path: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[BrowserContext]:
    marker = request.node.get_closest_marker("browser_timezone")
    timezone = marker.args[0] if marker else "UTC"
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            timezone_id=timezone,
            locale="en-US",
        )
        context.set_default_timeout(patience_ms())
        await context.route(lambda url: not LOCAL.match(url), lambda route: route.abort())
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
async def console(
    bot: BotHarness, browser: BrowserContext, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Console]:
    page = browser.pages[0] if browser.pages else await browser.new_page()
    screens = Screens(tmp_path / "screens")
    tab = Console(page, bot, screens)
    try:
        await tab.sign_in()
    except Exception:
        await screens.save(browser)
        raise
    yield tab
    if failed(request.node):
        written = await screens.save(browser)
        print(f"console screenshots: {[str(path) for path in written]}")
