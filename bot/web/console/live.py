"""Live updates: the store's change feed, relayed to browsers as server-sent events.

One `ChangeHub` per process holds one subscription to the store's feed (on Redis: one
pub/sub connection, whichever process committed) and fans each notice out to the open
`GET /agent/events` streams. A stream relays what its page shows: the queue its request
changes (`?only=requests`), the deliveries page everything, a request page that request
(`?request_id=`), a conversation page that conversation (`?conversation_id=`). A comment
every `KEEPALIVE_SECONDS` keeps proxies from closing it and notices a gone browser. The
page's script then fetches the changed part of the page.

Events: `ready` once the subscription stands (changes from then on are relayed),
`change` with the notice as JSON, and `resync` when notices may have been missed (the
feed reconnected, or the stream fell behind): the page reloads its part either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final

import orjson
from aiohttp import web

from bot.core.errors import StorageError
from bot.web.console.auth import security_headers
from storage.base import Change, Store

log = logging.getLogger("reshipbot.console")

KEEPALIVE_SECONDS = 15.0
RETRY_SECONDS = 1.0  # after the feed failed, before subscribing again
READY_TIMEOUT = 3.0
QUEUE_SIZE = 256


class _Signal:
    def __init__(self, name: str) -> None:
        self.name = name


RESYNC: Final = _Signal("resync")
CLOSED: Final = _Signal("closed")
Item = Change | _Signal


@dataclass(frozen=True)
class Topic:
    """Which notices a page cares about."""

    request_id: str | None = None
    conversation_id: str | None = None
    requests_only: bool = False  # the queue: delivered messages do not change it

    def wants(self, change: Change) -> bool:
        if self.requests_only and change.kind != "request":
            return False
        if self.request_id is not None:
            return change.kind == "request" and change.request_id == self.request_id
        if self.conversation_id is not None:
            return change.conversation_id == self.conversation_id
        return True


class ChangeHub:
    """The process's one subscription to the change feed, fanned out to listeners."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._listeners: set[asyncio.Queue[Item]] = set()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._closed = False

    @contextlib.asynccontextmanager
    async def listen(self) -> AsyncIterator[asyncio.Queue[Item]]:
        """A queue of notices from now on; waits (briefly) until the feed is subscribed."""
        queue: asyncio.Queue[Item] = asyncio.Queue(QUEUE_SIZE)
        self._listeners.add(queue)
        try:
            self._start()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(READY_TIMEOUT):
                    await self._ready.wait()
            if self._closed:
                queue.put_nowait(CLOSED)
            yield queue
        finally:
            self._listeners.discard(queue)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def _start(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name="reshipbot-console-feed")

    async def close(self) -> None:
        """End every stream (at shutdown, before the store closes)."""
        self._closed = True
        for queue in list(self._listeners):
            self._offer(queue, CLOSED)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        missed = False
        while not self._closed:
            try:
                async with self._store().subscribe() as feed:
                    self._ready.set()
                    if missed:
                        self._broadcast(RESYNC)  # notices may have passed while away
                        missed = False
                    async for change in feed:
                        self._broadcast(change)
                return  # the feed ended: the store is closing
            except StorageError as problem:
                self._ready.clear()
                missed = True
                log.warning("console: the change feed failed (%s); retrying", problem)
                await asyncio.sleep(RETRY_SECONDS)

    def _broadcast(self, item: Item) -> None:
        for queue in self._listeners:
            self._offer(queue, item)

    @staticmethod
    def _offer(queue: asyncio.Queue[Item], item: Item) -> None:
        if item is CLOSED:
            while not queue.empty():
                queue.get_nowait()
        elif queue.full():  # the stream fell behind: tell it to read everything again
            while not queue.empty():
                queue.get_nowait()
            item = RESYNC
        queue.put_nowait(item)


def _event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: ".encode() + orjson.dumps(data) + b"\n\n"


def change_event(change: Change) -> bytes:
    return _event(
        "change",
        {
            "kind": change.kind,
            "conversation_id": change.conversation_id,
            "request_id": change.request_id,
            "version": change.version,
            "status": change.status,
        },
    )


async def stream(request: web.Request, hub: ChangeHub, topic: Topic) -> web.StreamResponse:
    """Relay the topic's notices until the browser leaves or the server stops."""
    response = web.StreamResponse()
    security_headers(response.headers, request.path)
    response.headers["Content-Type"] = "text/event-stream"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    await response.prepare(request)
    try:
        async with hub.listen() as queue:
            await response.write(_event("ready", {"live": hub.ready}))
            await _relay(response, queue, topic)
    except ConnectionResetError:
        pass  # the browser went away
    return response


async def _relay(response: web.StreamResponse, queue: asyncio.Queue[Item], topic: Topic) -> None:
    while True:
        try:
            async with asyncio.timeout(KEEPALIVE_SECONDS):
                item = await queue.get()
        except TimeoutError:
            await response.write(b": keep-alive\n\n")
            continue
        if item is CLOSED:
            return
        if item is RESYNC:
            await response.write(_event("resync", {}))
        elif isinstance(item, Change) and topic.wants(item):
            await response.write(change_event(item))
