"""The real server on a real port, on either store, with a recording platform.

Fixtures:
  backend         "memory" | "redis"; `bot` runs every test on both. A module or test
                  narrows it with `memory_only` (see tests/e2e/harness.py).
  e2e_env         extra RESHIPBOT_* settings for `bot`; override it in a module.
  outbox_options  the outbox worker's knobs for every bot of the test: it polls and backs
                  off in hundredths of a second, so no test waits on real seconds.
  make_bot        builds a bot (its own platform, store and server) with any settings.
  bot             `make_bot(backend, e2e_env)`.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import bot.runtime.services as services_module
from bot.core.clock import OffsetClock
from bot.platforms.generic.sandbox import SANDBOX_STATE, sandbox_app
from bot.runtime.config import load_settings
from bot.runtime.outbox import OutboxWorker
from bot.runtime.services import Services
from bot.web.app import build_app
from storage import MemoryStore, Store
from tests.e2e.harness import (
    AGENT_TOKEN,
    APP_KEY,
    APP_SECRET,
    OLD_APP_SECRET,
    TOKEN_SECRET,
    BotHarness,
)
from tests.redis_server import MakeRedisStore

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

BASE_ENV = {
    "RESHIPBOT_APP_KEY": APP_KEY,
    "RESHIPBOT_APP_SECRET": f"{APP_SECRET},{OLD_APP_SECRET}",
    "RESHIPBOT_AGENT_TOKEN": AGENT_TOKEN,
    "RESHIPBOT_TOKEN_SECRET": TOKEN_SECRET,
}

FAST_OUTBOX: dict[str, Any] = {"poll_interval": 0.01, "backoff_base": 0.02, "backoff_cap": 0.2}


class MakeBot(Protocol):
    async def __call__(
        self,
        backend: str = "memory",
        env: dict[str, str] | None = None,
        store: Store | None = None,
    ) -> BotHarness: ...


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def e2e_env() -> dict[str, str]:
    """Override in a test module to change settings (windows, limits)."""
    return {}


@pytest.fixture
def outbox_options() -> dict[str, Any]:
    """Keyword arguments for every bot's `OutboxWorker`; override in a module."""
    return dict(FAST_OUTBOX)


@pytest.fixture
async def make_bot(
    make_redis_store: MakeRedisStore,
    aiohttp_server: ServerFactory,
    monkeypatch: pytest.MonkeyPatch,
    outbox_options: dict[str, Any],
) -> AsyncIterator[MakeBot]:
    # `Services` builds its worker itself; the test-only knobs go in through its name.
    monkeypatch.setattr(
        services_module, "OutboxWorker", functools.partial(OutboxWorker, **outbox_options)
    )
    async with aiohttp.ClientSession() as session:

        async def make(
            backend: str = "memory",
            env: dict[str, str] | None = None,
            store: Store | None = None,
        ) -> BotHarness:
            env = {**BASE_ENV, **(env or {})}
            secrets = env["RESHIPBOT_APP_SECRET"].split(",")
            clock = OffsetClock()
            platform_server = await aiohttp_server(sandbox_app(env["RESHIPBOT_APP_KEY"], secrets))
            platform_url = str(platform_server.make_url("")).rstrip("/")
            settings = load_settings({"RESHIPBOT_PLATFORM_URL": platform_url, **env})
            if store is None:
                store = make_redis_store() if backend == "redis" else MemoryStore(clock)
            services = Services(settings, clock, store=store)
            server = await aiohttp_server(build_app(services))
            return BotHarness(
                base_url=str(server.make_url("")).rstrip("/"),
                session=session,
                platform=platform_server.app[SANDBOX_STATE],
                services=services,
                clock=clock,
                app_key=settings.app_key,
                secret=secrets[0],
                platform_url=platform_url,
            )

        yield make


@pytest.fixture
async def bot(backend: str, make_bot: MakeBot, e2e_env: dict[str, str]) -> BotHarness:
    return await make_bot(backend, e2e_env)
