"""The Lua scripts of `storage/lua`, called by name with EVALSHA.

Each script is `lib.lua` (shared helpers) followed by its own file. A server that does
not know a script (restart, SCRIPT FLUSH, a new replica) answers NOSCRIPT: the script is
loaded and the call repeated once. Every script touches only the keys it is given, all
in one bucket; a pipeline of calls to many buckets is one round trip.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

LUA_DIR = Path(__file__).parent / "lua"
NAMES = (
    "read",
    "commit",
    "claim_timers",
    "release_timer",
    "claim_outbox",
    "ack_outbox",
    "retry_outbox",
    "dead_letter",
    "move_claim",
)

Arg = str | int | bytes
Call = tuple[Sequence[str], Sequence[Arg]]  # (keys, args)


@cache
def source(name: str) -> str:
    """The script as sent to Redis: the shared helpers, then the script itself."""
    lib = (LUA_DIR / "lib.lua").read_text()
    return lib + (LUA_DIR / f"{name}.lua").read_text()


MAX_BATCH = 256
Pending = tuple[str, Sequence[str], Sequence[Arg], "asyncio.Future[Any]"]


class Scripts:
    """Script calls, batched: the calls made in one event-loop turn go in one pipeline.

    Under load many coroutines call at once; sending their calls together costs one
    connection and one write instead of one each (the client's per-command overhead is
    most of a call's price). A lone call waits for nothing but the end of the loop turn.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._sha = {name: hashlib.sha1(source(name).encode()).hexdigest() for name in NAMES}
        self._pending: list[Pending] = []
        self._flushing: set[asyncio.Task[None]] = set()

    async def load(self) -> None:
        """Load every script (done on demand anyway, after a NOSCRIPT answer)."""
        for name in NAMES:
            await self._client.script_load(source(name))

    async def call(self, name: str, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((name, keys, args, future))
        return await future

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), MAX_BATCH):
            task = asyncio.ensure_future(self._send(pending[start : start + MAX_BATCH]))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    async def _send(self, batch: list[Pending]) -> None:
        try:
            results = await self._execute(batch)
        except BaseException as exc:  # the connection failed: every caller hears it
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (*_, future), result in zip(batch, results, strict=True):
            if future.done():  # the caller gave up (a timeout): nobody to tell
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, batch: list[Pending]) -> list[Any]:
        results = await self._pipeline_of(batch)
        missing = {
            name
            for (name, *_), result in zip(batch, results, strict=True)
            if isinstance(result, NoScriptError)
        }
        if not missing:
            return results
        # the server lost the scripts (restart, SCRIPT FLUSH): nothing of those ran
        for name in missing:
            await self._client.script_load(source(name))
        again = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        retried = await self._pipeline_of([batch[i] for i in again])
        for index, result in zip(again, retried, strict=True):
            results[index] = result
        return results

    async def _pipeline_of(self, batch: Sequence[Pending]) -> list[Any]:
        async with self._client.pipeline(transaction=False) as pipe:
            for name, keys, args, _ in batch:
                pipe.evalsha(self._sha[name], len(keys), *keys, *args)
            results: list[Any] = await pipe.execute(raise_on_error=False)
            return results

    async def call_many(self, name: str, calls: Sequence[Call]) -> list[Any]:
        """Run the script once per (keys, args) in one pipelined round trip."""
        if not calls:
            return []
        try:
            return await self._pipeline(name, calls)
        except NoScriptError:
            # nothing ran (the server lacks the script): load it and send them again
            await self._client.script_load(source(name))
            return await self._pipeline(name, calls)

    async def _pipeline(self, name: str, calls: Sequence[Call]) -> list[Any]:
        sha = self._sha[name]
        async with self._client.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                pipe.evalsha(sha, len(keys), *keys, *args)
            return await pipe.execute()
