"""What the fault-injection tests share: a sender that retries like the platform, a TCP
proxy that can refuse connections, a look inside the Redis of a test, and a reporter.

The bots under test are real `reshipbot serve` processes (`tests.processes.Fleet`) or the
in-process server of `tests/e2e` (`make_bot`); the platform is always the recording
sandbox served in the test's own event loop, so every effect is counted where it lands.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson
import redis.asyncio as aioredis

from bot.core.models import ReshipmentRequest
from bot.core.schedule import timers_for
from bot.platforms.generic.sandbox import SandboxState
from bot.platforms.generic.signing import sign_body
from storage import RedisStore
from storage.base import RequestFilter
from storage.codec import to_ms
from storage.keys import BUCKETS, Keys, timer_member
from tests.e2e.harness import BotHarness
from tests.redis_server import free_port
from tests.timing import patience

Report = Callable[[str], None]

# --- a sender that retries like a real platform ---------------------------------------

Attempt = int | str  # an HTTP status, or what went wrong on the wire


def _retryable(attempt: Attempt) -> bool:
    return isinstance(attempt, str) or attempt >= 500


@dataclass
class Sent:
    """One event and every attempt to deliver it (same event id, same body, same signature)."""

    event_id: str
    type: str
    data: dict[str, Any]
    body: bytes
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def status(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def ok(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300


class WebhookSender:
    """Posts signed events to `harness.base_url` and retries what failed, as a platform would.

    Connection errors, timeouts and 5xx answers are retried with the same event id and
    body every `pause` seconds for up to `give_up_after` seconds; any other answer is
    final. Everything sent is kept in `log`.
    """

    def __init__(
        self,
        harness: BotHarness,
        *,
        pause: float = 0.05,
        give_up_after: float = 60.0,
        answer_timeout: float = 15.0,
    ) -> None:
        self.harness = harness
        self.pause = pause
        self.give_up_after = patience(give_up_after)
        self.timeout = aiohttp.ClientTimeout(total=patience(answer_timeout))
        self.log: list[Sent] = []

    def make(self, type_: str, data: dict[str, Any], **options: Any) -> Sent:
        event = self.harness.envelope(type_, data, **options)
        sent = Sent(event["event_id"], type_, data, orjson.dumps(event))
        self.log.append(sent)
        return sent

    async def send(self, type_: str, data: dict[str, Any], *, retry: bool = True) -> Sent:
        sent = self.make(type_, data)
        return await self.deliver(sent, retry=retry)

    async def deliver(self, sent: Sent, *, retry: bool = True, url: str | None = None) -> Sent:
        """Attempt `sent` (to `url`, default the harness's bot) until a final answer."""
        deadline = time.monotonic() + self.give_up_after
        while True:
            attempt = await self.attempt(sent, url)
            if not retry or not _retryable(attempt):
                return sent
            if time.monotonic() > deadline:
                raise AssertionError(f"{sent.type} {sent.event_id} never got through: {sent}")
            await asyncio.sleep(self.pause)

    async def attempt(self, sent: Sent, url: str | None = None) -> Attempt:
        """One POST of `sent`; its outcome is recorded and returned."""
        headers = {
            "Content-Type": "application/json",
            "Authorization": sign_body(self.harness.app_key, self.harness.secret, sent.body),
        }
        target = f"{url or self.harness.base_url}/webhooks/chat"
        outcome: Attempt
        try:
            async with self.harness.session.post(
                target, data=sent.body, headers=headers, timeout=self.timeout
            ) as response:
                await response.read()
                outcome = response.status
        except TimeoutError:
            outcome = "timeout"
        except aiohttp.ClientError as exc:
            outcome = type(exc).__name__
        sent.attempts.append(outcome)
        return outcome

    def tally(self) -> Counter[str]:
        """How many attempts ended how (`200`, `503`, `ClientConnectorError`, …)."""
        return Counter(str(attempt) for sent in self.log for attempt in sent.attempts)

    def retried(self) -> list[Sent]:
        return [sent for sent in self.log if len(sent.attempts) > 1]


async def get_json(harness: BotHarness, path: str) -> Any | None:
    """The agent API's answer to `path`, or None when the bot is down or answers non-200."""
    try:
        answer = await harness.api(path)
    except (aiohttp.ClientError, TimeoutError):
        return None
    return answer.body if answer.status == 200 else None


async def wait_request(
    harness: BotHarness,
    request_id: str,
    check: Callable[[dict[str, Any]], Any],
    timeout: float = 30.0,
    what: str = "",
) -> dict[str, Any]:
    """Poll the agent API (through restarts) until `check(request)` is truthy."""

    async def probe() -> dict[str, Any] | None:
        found = await get_json(harness, f"/api/requests/{request_id}")
        return found if found is not None and check(found) else None

    found: dict[str, Any] = await harness.eventually(
        probe, timeout=timeout, what=what or f"{request_id} to reach a state"
    )
    return found


async def wait_card(
    harness: BotHarness, card_id: str, version: int = 1, timeout: float = 30.0
) -> dict[str, Any]:
    card: dict[str, Any] = await harness.eventually(
        lambda: (c := harness.card(card_id)) is not None and c["version"] >= version and c,
        timeout=timeout,
        what=f"card {card_id} at version {version}",
    )
    return card


def effects_by_key(platform: SandboxState) -> dict[str, int]:
    """Every idempotency key the platform saw, with how many effects it caused."""
    keys = {call.idempotency_key for call in platform.calls if call.idempotency_key}
    return {key: platform.effect_count(key) for key in sorted(keys)}


def assert_once_per_key(platform: SandboxState, dead: Iterable[str] = ()) -> dict[str, int]:
    """Every effect the bot asked for landed exactly once per idempotency key.

    A key with no effect is allowed only for a dead letter (`dead`: those must have none)
    or a card answered 409 because the platform already showed that version or a newer
    one (its "done"): the bot renders a card when it delivers it, at the newest version.
    A 409 anywhere else means a second effect was attempted under another key. Returns
    the effects per key.
    """
    by_key = effects_by_key(platform)
    buried = set(dead)
    twice = {key: count for key, count in by_key.items() if count > 1}
    missing = {
        key
        for key, count in by_key.items()
        if (count == 0) != (key in buried) and not _card_shows(platform, key)
    }
    assert not twice and not missing, (
        f"more than one effect: {twice}; no effect: {sorted(missing)}; "
        + "; ".join(
            f"{call.method} {call.path} {call.idempotency_key} {call.status} "
            f"replayed={call.replayed} card v{_card_version(call.body)}"
            for call in platform.calls
            if call.idempotency_key in twice or call.idempotency_key in missing
        )
    )
    conflicts = [c for c in platform.calls if c.status == 409 and _card_of(c.body) is None]
    assert not conflicts, f"a second effect under another key: {conflicts[:3]}"
    for kind in ("refunds", "replacement_orders", "shipments"):
        per_request = Counter(item["request_id"] for item in getattr(platform, kind))
        assert all(n == 1 for n in per_request.values()), (kind, per_request)
    return by_key


def redundant_updates(platform: SandboxState) -> int:
    """Cards sent and answered 409: the platform already showed that version (harmless)."""
    return sum(1 for key, count in effects_by_key(platform).items() if count == 0)


def _card_shows(platform: SandboxState, key: str) -> bool:
    """Every call under `key` was a card the platform already showed (409: done)."""
    calls = [call for call in platform.calls if call.idempotency_key == key]
    return bool(calls) and all(
        call.status == 409
        and (card := _card_of(call.body)) is not None
        and (shown := platform.card(card["card_id"])) is not None
        and shown["version"] >= card["version"]
        for call in calls
    )


def _card_of(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict):
        return None
    card = body.get("card") or (body.get("message") or {}).get("card")
    return card if isinstance(card, dict) else None


def _card_version(body: Any) -> Any:
    card = _card_of(body)
    return None if card is None else card.get("version")


# --- a TCP proxy that can refuse connections -------------------------------------------


class ToggleProxy:
    """A local TCP proxy on a fixed port to `target` ("host:port").

    `down()` closes the listening socket and aborts every open connection (in-flight calls
    see a reset, new ones "connection refused"); `up()` listens again on the same port.
    """

    def __init__(self, target: str = "") -> None:
        self.port = free_port()
        self.target = target
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def up(self) -> None:
        self._server = await asyncio.start_server(
            self._pipe, "127.0.0.1", self.port, reuse_address=True
        )

    async def down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        host, port = self.target.rsplit(":", 1)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        try:
            await asyncio.gather(_copy(reader, upstream_writer), _copy(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                self._writers.discard(end)
                end.transport.abort()


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ConnectionError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


# --- a look inside the Redis of a test --------------------------------------------------


class RedisProbe:
    """Reads a test's keys (one prefix) directly: snapshots, timers, outbox, markers."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = aioredis.Redis.from_url(url, decode_responses=True)
        self.store = RedisStore.from_url(url, prefix=prefix)
        self.keys = Keys(prefix)

    async def close(self) -> None:
        await self.client.aclose()
        await self.store.close()

    async def snapshot(self) -> tuple[int, str]:
        """(number of keys, a hash of every key's name, type and value) under the prefix.

        TTLs are left out: they tick. Equal snapshots mean nothing was written.
        """
        names = sorted(
            [name async for name in self.client.scan_iter(self.keys.all_keys_pattern(), 500)]
        )
        digest = hashlib.sha256()
        for name in names:
            digest.update(
                orjson.dumps([name, await self._value(name)], option=orjson.OPT_SORT_KEYS)
            )
        return len(names), digest.hexdigest()

    async def _value(self, name: str) -> Any:
        kind = await self.client.type(name)
        if kind == "string":
            return await self.client.get(name)
        if kind == "hash":
            return await self.client.hgetall(name)
        if kind == "zset":
            return await self.client.zrange(name, 0, -1, withscores=True)
        if kind == "list":
            return await self.client.lrange(name, 0, -1)
        if kind == "set":
            return sorted(await self.client.smembers(name))
        return kind  # gone between SCAN and TYPE ("none")

    async def requests(self) -> list[ReshipmentRequest]:
        page = await self.store.list_requests(RequestFilter(), 200)
        found = list(page.items)
        while page.next_cursor is not None:
            page = await self.store.list_requests(RequestFilter(), 200, page.next_cursor)
            found += page.items
        return found

    async def timers(self) -> dict[str, int]:
        """Every timer in the timers zsets: member → due ms."""
        found: dict[str, int] = {}
        for bucket in range(BUCKETS):
            rows = await self.client.zrange(self.keys.timers(bucket), 0, -1, withscores=True)
            found.update({member: int(score) for member, score in rows})
        return found

    async def expected_timers(self) -> dict[str, int]:
        """The timers every stored request should have now (`bot.schedule.timers_for`)."""
        return {
            timer_member(kind, request.conversation_id, request.request_id): to_ms(due_at)
            for request in await self.requests()
            for kind, due_at in timers_for(request).items()
        }

    async def outbox_size(self) -> int:
        total = 0
        for bucket in range(BUCKETS):
            total += await self.client.hlen(self.keys.outbox_data(bucket))
        return total

    async def dead_count(self) -> int:
        total = 0
        for bucket in range(BUCKETS):
            total += await self.client.hlen(self.keys.dead(bucket))
        return total

    async def processed(self, conversation_id: str, event_id: str) -> bool:
        """Whether the event's processed marker is stored (its commit happened)."""
        return bool(await self.client.exists(self.keys.event(conversation_id, event_id)))

    async def drained(self, harness: BotHarness, timeout: float = 30.0) -> None:
        """Wait until no outbox entry is left (delivered or dead)."""

        async def empty() -> bool:
            return await self.outbox_size() == 0

        await harness.eventually(empty, timeout=timeout, what="the outbox to drain")


def ids(sents: Iterable[Sent]) -> list[str]:
    return [sent.event_id for sent in sents]
