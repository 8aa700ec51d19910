"""The Lua scripts of `storage/lua`, called by name with EVALSHA.

Each script is `lib.lua` (shared helpers) followed by its own file. A server that does
not know a script (restart, SCRIPT FLUSH, a new replica) answers NOSCRIPT: the script is
loaded and the call repeated once. Every script touches only the keys it is given, all
in one bucket; a pipeline of calls to many buckets is one round trip.
"""

from __future__ import annotations

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
)

Arg = str | int | bytes
Call = tuple[Sequence[str], Sequence[Arg]]  # (keys, args)


@cache
def source(name: str) -> str:
    """The script as sent to Redis: the shared helpers, then the script itself."""
    lib = (LUA_DIR / "lib.lua").read_text()
    return lib + (LUA_DIR / f"{name}.lua").read_text()


class Scripts:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._sha = {name: hashlib.sha1(source(name).encode()).hexdigest() for name in NAMES}

    async def load(self) -> None:
        """Load every script (done on demand anyway, after a NOSCRIPT answer)."""
        for name in NAMES:
            await self._client.script_load(source(name))

    async def call(self, name: str, keys: Sequence[str], args: Sequence[Arg]) -> Any:
        try:
            return await self._client.evalsha(self._sha[name], len(keys), *keys, *args)
        except NoScriptError:
            await self._client.script_load(source(name))
            return await self._client.evalsha(self._sha[name], len(keys), *keys, *args)

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
