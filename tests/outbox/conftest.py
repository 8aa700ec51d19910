"""Fixtures for the outbox, the platform client and the sandbox platform.

`platform_server` serves the sandbox on a real port (aiohttp's test server), so the
client and the worker talk real HTTP to a platform that verifies signatures and
records every call in `SandboxState`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.platforms.generic.client import PlatformClient
from bot.platforms.generic.platform import GenericOutbound
from bot.platforms.generic.sandbox import SANDBOX_STATE, SandboxState, sandbox_app
from tests.outbox.support import APP_KEY, APP_SECRET

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def platform_server(aiohttp_server: ServerFactory) -> TestServer:
    return await aiohttp_server(sandbox_app(APP_KEY, APP_SECRET))


@pytest.fixture
def platform_state(platform_server: TestServer) -> SandboxState:
    return platform_server.app[SANDBOX_STATE]


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def platform_url(platform_server: TestServer) -> str:
    return str(platform_server.make_url(""))


@pytest.fixture
def platform_client(platform_url: str, http_session: aiohttp.ClientSession) -> GenericOutbound:
    """The generic platform's outbound half, delivering to the sandbox."""
    return GenericOutbound(
        PlatformClient(platform_url, APP_KEY, APP_SECRET, http_session, timeout=2.0)
    )
