"""The real server on a real port, on either store, with a recording platform."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import build_app
from bot.clock import OffsetClock
from bot.config import load_settings
from bot.sandbox import SANDBOX_STATE, sandbox_app
from bot.services import Services
from storage import MemoryStore, Store
from tests.conftest import MakeRedisStore
from tests.e2e.harness import (
    AGENT_TOKEN,
    APP_KEY,
    APP_SECRET,
    OLD_APP_SECRET,
    TOKEN_SECRET,
    BotHarness,
)

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

BASE_ENV = {
    "RESHIPBOT_APP_KEY": APP_KEY,
    "RESHIPBOT_APP_SECRET": f"{APP_SECRET},{OLD_APP_SECRET}",
    "RESHIPBOT_AGENT_TOKEN": AGENT_TOKEN,
    "RESHIPBOT_TOKEN_SECRET": TOKEN_SECRET,
}


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def e2e_env() -> dict[str, str]:
    """Override in a test module to change settings (windows, limits)."""
    return {}


@pytest.fixture
async def bot(
    backend: str,
    make_redis_store: MakeRedisStore,
    aiohttp_server: ServerFactory,
    e2e_env: dict[str, str],
) -> AsyncIterator[BotHarness]:
    clock = OffsetClock()
    platform_server = await aiohttp_server(sandbox_app(APP_KEY, APP_SECRET))
    settings = load_settings(
        {
            **BASE_ENV,
            "RESHIPBOT_PLATFORM_URL": str(platform_server.make_url("")).rstrip("/"),
            **e2e_env,
        }
    )
    store: Store
    store = make_redis_store() if backend == "redis" else MemoryStore(clock)
    services = Services(settings, clock, store=store)
    server = await aiohttp_server(build_app(services))
    async with aiohttp.ClientSession() as session:
        yield BotHarness(
            base_url=str(server.make_url("")).rstrip("/"),
            session=session,
            platform=platform_server.app[SANDBOX_STATE],
            services=services,
            clock=clock,
        )
