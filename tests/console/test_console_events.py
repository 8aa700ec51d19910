"""`GET /agent/events`: change notices as server-sent events, per page, across processes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from bot.core.clock import OffsetClock
from bot.runtime.config import load_settings
from bot.runtime.services import Services
from bot.web.app import build_app
from bot.web.console import live
from tests.console.conftest import BASE_ENV, MakeBot, ServerFactory
from tests.e2e.harness import AGENT_TOKEN, BotHarness
from tests.redis_server import MakeRedisStore
from tests.timing import WAIT, patience


class EventStream:
    """Reads one `text/event-stream`: events as (name, data) and comments as (":", text)."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, timeout: float = WAIT) -> tuple[str, Any]:
        name, data = "message", ""
        async with asyncio.timeout(patience(timeout)):
            while True:
                raw = await self.response.content.readline()
                if not raw:
                    return "eof", None
                line = raw.decode().rstrip("\n")
                if line.startswith(":"):
                    return ":", line[1:].strip()
                if line.startswith("event: "):
                    name = line[len("event: ") :]
                elif line.startswith("data: "):
                    data += line[len("data: ") :]
                elif line == "" and data:
                    return name, orjson.loads(data)

    async def until(self, name: str, timeout: float = WAIT, **fields: Any) -> Any:
        """The next `name` event whose data has `fields` (others are skipped)."""
        async with asyncio.timeout(patience(timeout)):
            while True:
                got, data = await self.next(timeout)
                if got == "eof":
                    raise AssertionError(f"the stream ended before a {name} event")
                if got == name and all(data.get(k) == v for k, v in fields.items()):
                    return data


@contextlib.asynccontextmanager
async def events(bot: BotHarness, query: str = "") -> AsyncIterator[EventStream]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{bot.base_url}/agent/events{query}",
            headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
        ) as response,
    ):
        assert response.status == 200
        stream = EventStream(response)
        ready = await stream.until("ready")
        assert ready == {"live": True}
        yield stream


async def test_a_webhook_shows_up_on_the_stream(bot: BotHarness) -> None:
    async with events(bot) as stream:
        headers = stream.response.headers
        assert headers["Content-Type"].startswith("text/event-stream")
        assert headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        await bot.request("RQ-1")
        change = await stream.until("change", kind="request")
        assert change["request_id"] == "RQ-1" and change["conversation_id"] == "conv-1"
        assert change["status"] == "awaiting_seller" and change["version"] == 1
        assert (await bot.chat("/approve")).status == 200
        approved = await stream.until("change", kind="request", status="awaiting_shipment")
        assert approved["version"] == 2


async def test_a_request_pages_stream_carries_only_that_request(bot: BotHarness) -> None:
    async with events(bot, "?request_id=RQ-2") as stream:
        await bot.requested("RQ-1")
        await bot.requested("RQ-2", conversation_id="conv-2")
        change = await stream.until("change")
        assert (change["request_id"], change["kind"]) == ("RQ-2", "request")


async def test_a_conversation_pages_stream_carries_its_requests_and_messages(
    bot: BotHarness,
) -> None:
    async with events(bot, "?conversation_id=conv-2") as stream:
        await bot.requested("RQ-1")
        await bot.requested("RQ-2", conversation_id="conv-2")
        seen = {(await stream.until("change"))["kind"] for _ in range(2)}
        assert seen == {"request", "message"}
        await bot.settle()
        await bot.chat("/status", conversation_id="conv-1")
        await bot.settle()
        with pytest.raises(TimeoutError):
            await stream.until("change", timeout=0.3, conversation_id="conv-1")


async def test_the_queues_stream_carries_request_changes_only(bot: BotHarness) -> None:
    async with events(bot, "?only=requests") as stream:
        await bot.requested("RQ-1")
        await bot.settle()
        assert (await stream.until("change"))["kind"] == "request"
        with pytest.raises(TimeoutError):
            await stream.until("change", timeout=0.3, kind="message")


async def test_the_stream_sends_keep_alives(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.05)
    async with events(bot) as stream:
        assert await stream.next() == (":", "keep-alive")
        assert await stream.next() == (":", "keep-alive")


async def test_open_streams_end_when_the_server_stops(aiohttp_server: ServerFactory) -> None:
    clock = OffsetClock()
    settings = load_settings(BASE_ENV)
    server = await aiohttp_server(build_app(Services(settings, clock, role="web")))
    base_url = str(server.make_url("")).rstrip("/")
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{base_url}/agent/events", headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
        ) as response,
    ):
        stream = EventStream(response)
        await stream.until("ready")
        # well within the 60 s aiohttp gives handlers to finish
        async with asyncio.timeout(patience(20)):
            await server.close()
        assert (await stream.next())[0] == "eof"


async def test_a_commit_in_another_process_reaches_the_stream(
    make_bot: MakeBot, make_redis_store: MakeRedisStore
) -> None:
    """Two services on one Redis, like a web process and a worker: each hears the other."""
    shared = make_redis_store()
    web = await make_bot(store=shared)
    worker = await make_bot(store=make_redis_store(prefix=shared.prefix))
    async with events(web) as stream:
        assert (await worker.request("RQ-9", "conv-9")).status == 200
        change = await stream.until("change", kind="request")
        assert change["request_id"] == "RQ-9"


async def test_after_losing_redis_the_stream_resyncs_and_goes_on(
    make_bot: MakeBot, make_redis_store: MakeRedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "RETRY_SECONDS", 0.05)
    store = make_redis_store()
    bot = await make_bot(store=store)
    async with events(bot) as stream:
        for _ in range(3):  # the client may reconnect once by itself before it gives up
            await store._redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            with contextlib.suppress(TimeoutError):
                await stream.until("resync", timeout=10)
                break
        else:
            pytest.fail("no resync event after the feed lost Redis")
        await bot.request("RQ-1")
        assert (await stream.until("change", kind="request"))["request_id"] == "RQ-1"
