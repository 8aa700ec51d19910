"""Fixtures of the fault-injection suite.

report          (tests/conftest.py) a figure for the run's summary (CI shows it)
make_platform   factory: a recording sandbox platform served in the test's loop,
                as (its record, its URL); `platform` is one of them
private_redis   factory: a redis-server of this test alone (`persistent=True`: AOF)
make_fleet      factory: bot processes on a Redis, delivering to a platform
make_bot        the in-process server of tests/e2e (its fixtures, imported)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.platforms.generic.sandbox import SANDBOX_STATE, SandboxState, sandbox_app
from tests.e2e.conftest import make_bot, outbox_options  # noqa: F401  (fixtures)
from tests.e2e.harness import APP_KEY, APP_SECRET
from tests.processes import Fleet, open_fleet
from tests.redis_server import RedisServer, RedisServerError, no_redis

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


Platform = tuple[SandboxState, str]  # the record, and the URL it is served at
MakePlatform = Callable[[], Awaitable[Platform]]


@pytest.fixture
def make_platform(aiohttp_server: ServerFactory) -> MakePlatform:
    async def make() -> Platform:
        server = await aiohttp_server(sandbox_app(APP_KEY, APP_SECRET))
        return server.app[SANDBOX_STATE], str(server.make_url("")).rstrip("/")

    return make


@pytest.fixture
async def platform(make_platform: MakePlatform) -> Platform:
    return await make_platform()


class PrivateRedis(Protocol):
    def __call__(self, *, persistent: bool = False) -> RedisServer: ...


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    servers: list[RedisServer] = []

    def make(*, persistent: bool = False) -> RedisServer:
        workdir = tmp_path / f"redis-{len(servers)}"
        workdir.mkdir()
        server = RedisServer(workdir, persistent=persistent)
        try:
            server.start()
        except RedisServerError as exc:
            no_redis(str(exc))
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


class MakeFleet(Protocol):
    async def __call__(
        self, redis_url: str, platform: Platform | None = None, **env: str
    ) -> Fleet: ...


@pytest.fixture
async def make_fleet(make_platform: MakePlatform, tmp_path: Path) -> AsyncIterator[MakeFleet]:
    """Fleets delivering to `platform` (default: a new recording platform each)."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(redis_url: str, platform: Platform | None = None, **env: str) -> Fleet:
            state, url = platform or await make_platform()
            fleet: Fleet = await stack.enter_async_context(
                open_fleet(redis_url, url, state, tmp_path, **env)
            )
            return fleet

        yield make
