"""Shared fixtures. Each area keeps its fixtures in its own delimited section."""

from __future__ import annotations

# ======================================================================================
# storage: a real Redis for tests, and the stores (tests/storage, and anyone needing one)
#
#   redis_url      session: RESHIPBOT_TEST_REDIS_URL if set, else a private redis-server
#                  on a free port, stopped at the end. With RESHIPBOT_REQUIRE_REDIS=1 a
#                  missing or failing redis-server fails the tests instead of skipping.
#   redis_store    a RedisStore with a unique key prefix; its keys are deleted afterwards
#                  (never FLUSHDB: the server may be shared)
#   make_redis_store  factory for RedisStores with other options (same cleanup)
#   clock          a FakeClock
#   memory_store   a MemoryStore on `clock`
#   store          parametrized over both backends
# ======================================================================================
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from bot.core.clock import FakeClock
from storage import MemoryStore, RedisStore, Store
from tests.redis_server import MakeRedisStore, RedisServer, RedisServerError, no_redis
from tests.timing import TIME_SCALE


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("RESHIPBOT_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        server.start()
    except RedisServerError as exc:
        no_redis(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


async def _delete_prefix(url: str, prefix: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        for start in range(0, len(keys), 500):
            await client.delete(*keys[start : start + 500])
    finally:
        await client.aclose()


@pytest.fixture
async def make_redis_store(redis_url: str) -> AsyncIterator[MakeRedisStore]:
    """RedisStores with a unique prefix each; their keys and connections go afterwards."""
    made: list[RedisStore] = []

    def make(**options: Any) -> RedisStore:
        prefix = options.pop("prefix", None) or f"rbtest-{uuid.uuid4().hex[:12]}"
        store = RedisStore.from_url(redis_url, prefix=prefix, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.close()
        await _delete_prefix(redis_url, store.prefix)


@pytest.fixture
def redis_store(make_redis_store: MakeRedisStore) -> RedisStore:
    return make_redis_store()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def memory_store(clock: FakeClock) -> MemoryStore:
    return MemoryStore(clock)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Store:
    backend: Store = request.getfixturevalue(f"{request.param}_store")
    return backend


# ============================== end of the storage section ============================


# ======================================================================================
# time: each test's time limit (pytest-timeout, 120 s unless a test says otherwise) is
# stretched by RESHIPBOT_TEST_TIME_SCALE, like every wait's ceiling (tests/timing.py)
# ======================================================================================
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TIME_SCALE == 1:
        return
    default = float(config.getini("timeout") or 0)
    for item in items:
        marker = item.get_closest_marker("timeout")
        limit = float(marker.args[0]) if marker and marker.args else default
        if limit > 0:
            item.add_marker(pytest.mark.timeout(limit * TIME_SCALE), append=False)


# ================================ end of the time section =============================


# ======================================================================================
# figures: what fault and load tests measured, printed at the end of the run (also from
# xdist workers: the lines travel with each test's report)
#
#   report         `report(line)`: one line for the summary, tagged with the test
# ======================================================================================
FIGURE = "figure"


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    node = request.node
    area = node.path.parent.name

    def say(line: str) -> None:
        node.user_properties.append((FIGURE, f"[{area}] {node.name}: {line}"))

    return say


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # each phase's report carries the lines so far (a fixture may report at teardown)
    lines = dict.fromkeys(
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        for name, value in getattr(report, "user_properties", ())
        if name == FIGURE
    )
    if lines:
        terminalreporter.section("what the fault and load tests measured")
        for line in lines:
            terminalreporter.write_line(line)


# ================================ end of the figures section ==========================
