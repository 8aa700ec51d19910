"""The Redis store: production, shared by several processes and machines.

Every write is one Lua script on the keys of one bucket (one Redis Cluster slot), so it
is atomic; the global indexes are single keys. Key names are in `storage.keys`, the
scripts in `storage/lua`. A request is stored as its pydantic JSON, an outbox entry as
orjson (`storage.codec`). Redis being down or slow raises `StorageUnavailable`.

The commit script also PUBLISHes the change notice (no extra round trip); `subscribe()`
listens on one dedicated pub/sub connection (`storage.redis_feed`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from bot.core.commands import TimerKind
from bot.core.models import ReshipmentRequest
from storage.base import (
    ATTEMPT_WINDOW,
    Change,
    ChangeFeed,
    Commit,
    CommitResult,
    ConversationView,
    DeadLetter,
    OutboxEntry,
    RequestFilter,
    RequestPage,
    SentMessage,
    Store,
    TimerClaim,
)
from storage.codec import (
    DEFAULT_EVENT_TTL,
    check_commit,
    decode_dead_letter,
    decode_entry,
    duration_ms,
    encode_dead_letter,
    encode_entry,
    failed_attempt,
    from_ms,
    queue_score,
    to_ms,
)
from storage.keys import (
    BUCKETS,
    DEFAULT_PREFIX,
    Keys,
    bucket_of,
    parse_timer_member,
    queue_member,
    timer_member,
)
from storage.messages import (
    MESSAGE_LOG_SIZE,
    MESSAGE_LOG_TTL,
    decode_message,
    encode_change,
    encode_message,
    message_change,
    message_record,
)
from storage.redis_feed import RedisFeed
from storage.redis_io import (
    DecodedRequests,
    Lru,
    decode_request,
    encode_request,
    storage_errors,
    text,
)
from storage.redis_queue import RedisQueue
from storage.scripts import Arg, Scripts


class RedisStore(Store):
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        event_ttl: timedelta = DEFAULT_EVENT_TTL,
    ) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._event_ttl = duration_ms(event_ttl)
        self._scripts = Scripts(redis)
        self._queue = RedisQueue(redis, self._keys)
        self._rotation = 0  # first bucket polled by the next claim, so none starves
        self._channel = self._keys.changes()
        self._decoded = DecodedRequests()
        # request id -> conversation never changes once written, and tracking number ->
        # request hardly ever (a lookup that finds the request without that number asks
        # again with `fresh`), so this process may remember them: no round trip then
        self._located: Lru = Lru(50_000)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        event_ttl: timedelta = DEFAULT_EVENT_TTL,
        **redis_options: Any,
    ) -> RedisStore:
        """A store on a new client; short socket timeouts so a hung Redis is a quick 503.

        The pool is bounded and blocking: beyond `max_connections` (default 32) callers
        wait for a free connection (up to the socket timeout) instead of failing;
        script calls are batched (see `Scripts`), so few connections are busy at once.
        """
        redis_options.setdefault("socket_connect_timeout", 1.0)
        redis_options.setdefault("socket_timeout", 2.0)
        redis_options.setdefault("max_connections", 32)
        redis_options.setdefault("timeout", redis_options["socket_timeout"])
        pool = aioredis.BlockingConnectionPool.from_url(url, **redis_options)
        return cls(aioredis.Redis.from_pool(pool), prefix=prefix, event_ttl=event_ttl)

    @property
    def prefix(self) -> str:
        """The prefix of every key this store uses."""
        return self._keys.prefix

    # --- reads -----------------------------------------------------------------------
    async def read_conversation(
        self, conversation_id: str, event_id: str | None = None, attempt_by: str | None = None
    ) -> ConversationView:
        key = self._keys.conversation(conversation_id)
        with storage_errors():
            if event_id is None:
                fields = await self._redis.hgetall(key)
                return ConversationView(
                    conversation_id, False, self._decoded.decode(fields.items())
                )
            keys = [key, self._keys.event(conversation_id, event_id)]
            args: list[Arg] = []
            if attempt_by is not None:
                keys.append(self._keys.attempts(conversation_id, attempt_by))
                args.append(duration_ms(ATTEMPT_WINDOW))
            processed, flat, attempts = await self._scripts.call("read", keys, args)
        pairs = zip(flat[::2], flat[1::2], strict=True)
        return ConversationView(
            conversation_id, bool(processed), self._decoded.decode(pairs), int(attempts)
        )

    async def get_request(self, request_id: str) -> ReshipmentRequest | None:
        conversation_id = await self.locate_request(request_id)
        if conversation_id is None:
            return None
        with storage_errors():
            raw = await self._redis.hget(
                self._keys.conversation(conversation_id), f"r:{request_id}"
            )
        return decode_request(raw)

    async def locate_request(self, request_id: str) -> str | None:
        key = self._keys.request_index(request_id)
        known: str | None = self._located.recall(key)
        if known is not None:
            return known
        with storage_errors():
            owner = await self._redis.get(key)
        if owner is None:
            return None
        self._located.remember(key, text(owner))
        return text(owner)

    async def claim_request_id(
        self, request_id: str, conversation_id: str, order_id: str | None = None
    ) -> str:
        key = self._keys.request_index(request_id)
        with storage_errors():
            if order_id is None:
                previous = await self._redis.set(key, conversation_id, nx=True, get=True)
            else:
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.set(key, conversation_id, nx=True, get=True)
                    pipe.sadd(self._keys.order_index(order_id), request_id)
                    previous, _ = await pipe.execute()
        owner = text(previous) if isinstance(previous, bytes | str) else conversation_id
        self._located.remember(key, owner)  # the first writer owns it for good
        return owner

    async def locate_order(self, order_id: str) -> tuple[str, ...]:
        with storage_errors():
            members = await self._redis.smembers(self._keys.order_index(order_id))
        return tuple(sorted(text(member) for member in members))

    async def locate_tracking(
        self, tracking_number: str, *, fresh: bool = False
    ) -> tuple[str, str] | None:
        key = self._keys.tracking_index(tracking_number)
        known: tuple[str, str] | None = None if fresh else self._located.recall(key)
        if known is not None:
            return known
        with storage_errors():
            raw = await self._redis.get(key)
        if raw is None:
            return None
        return self._remember_tracking(key, raw)

    async def claim_tracking(
        self, tracking_number: str, conversation_id: str, request_id: str
    ) -> tuple[str, str]:
        key = self._keys.tracking_index(tracking_number)
        with storage_errors():
            previous = await self._redis.set(
                key, f"{conversation_id} {request_id}", nx=True, get=True
            )
        if not isinstance(previous, bytes | str):  # nobody held it: ours now
            self._located.remember(key, (conversation_id, request_id))
            return conversation_id, request_id
        return self._remember_tracking(key, previous)

    async def move_tracking(
        self, tracking_number: str, holder: tuple[str, str], to: tuple[str, str]
    ) -> bool:
        key = self._keys.tracking_index(tracking_number)
        with storage_errors():
            moved = await self._scripts.call("move_claim", [key], [" ".join(holder), " ".join(to)])
        if not moved:
            return False
        self._located.remember(key, to)
        return True

    def _remember_tracking(self, key: str, raw: bytes | str) -> tuple[str, str]:
        conversation_id, request_id = text(raw).split(" ")
        self._located.remember(key, (conversation_id, request_id))
        return conversation_id, request_id

    async def offer_ttl(self, conversation_id: str, request_id: str) -> timedelta | None:
        with storage_errors():
            left = await self._redis.pttl(self._keys.offer(conversation_id, request_id))
        return timedelta(milliseconds=left) if left > 0 else None

    # --- the agents' queue -----------------------------------------------------------
    async def list_requests(
        self, where: RequestFilter, limit: int, cursor: str | None = None
    ) -> RequestPage:
        if where.conversation_id is None:
            return await self._queue.page(where, limit, cursor)
        requests = (await self.read_conversation(where.conversation_id)).requests
        return await self._queue.conversation_page(requests, where, limit, cursor)

    # --- the one write path ----------------------------------------------------------
    async def commit(self, commit: Commit) -> CommitResult:
        check_commit(commit)
        conversation_id = commit.conversation_id
        bucket = bucket_of(conversation_id)
        request_id = commit.request.request_id if commit.request is not None else ""
        keys = [
            self._keys.conversation(conversation_id),
            self._keys.timers(bucket),
            self._keys.queue(bucket),
            self._keys.outbox_ready(bucket),
            self._keys.outbox_data(bucket),
            self._keys.outbox_queue(conversation_id),
            self._keys.event(conversation_id, commit.event_id or ""),
            self._keys.offer(conversation_id, request_id),
        ]
        args = self._commit_args(commit)
        with storage_errors():
            result = CommitResult(text(await self._scripts.call("commit", keys, args)))
        if result is CommitResult.ok and commit.request is not None:
            self._decoded.remember(commit.request)
        return result

    def _commit_args(self, commit: Commit) -> list[Arg]:
        """ARGV of commit.lua (the layout is documented at the top of the script)."""
        args: list[Arg] = [to_ms(commit.now), int(commit.event_id is not None), self._event_ttl]
        request = commit.request
        if request is None:
            args += ["", 0, 0, "", "", 0, "", commit.ack_outbox or "", self._channel, "", "", 0, 0]
        else:
            conversation_id, request_id = commit.conversation_id, request.request_id
            offer = "" if commit.offer_ttl is None else max(duration_ms(commit.offer_ttl), 1)
            args += [
                request_id,
                commit.expected_version,
                request.version,
                encode_request(request),
                offer,
                queue_score(request, commit.queue_at),
                queue_member(request_id, conversation_id),
                commit.ack_outbox or "",
                self._channel,
                encode_change(
                    Change(
                        "request",
                        conversation_id,
                        request_id,
                        request.version,
                        request.status.value,
                    )
                ),
                request.shop_id,
            ]
            cleared = [timer_member(kind, conversation_id, request_id) for kind in TimerKind]
            args += [len(cleared), *cleared, len(commit.timers)]
            for kind, due_at in commit.timers.items():
                args += [to_ms(due_at), timer_member(kind, conversation_id, request_id)]
        args.append(len(commit.outbox))
        for entry in commit.outbox:
            args += [entry.entry_id, encode_entry(entry)]
        return args

    # --- timers ----------------------------------------------------------------------
    async def claim_timers(self, now: datetime, limit: int, lease: timedelta) -> list[TimerClaim]:
        lease_until = now + lease
        replies = await self._claim("claim_timers", self._timer_keys, now, limit, lease_until)
        claims = []
        for flat in replies:
            for member, due in zip(flat[::2], flat[1::2], strict=True):
                kind, conversation_id, request_id = parse_timer_member(text(member))
                due_at = from_ms(int(float(due)))
                claims.append(TimerClaim(kind, conversation_id, request_id, due_at, lease_until))
        claims.sort(key=lambda claim: claim.due_at)
        return claims

    async def release_timer(self, claim: TimerClaim, due_at: datetime | None) -> None:
        member = timer_member(claim.kind, claim.conversation_id, claim.request_id)
        key = self._keys.timers(bucket_of(claim.conversation_id))
        new_due: Arg = "" if due_at is None else to_ms(due_at)
        with storage_errors():
            await self._scripts.call(
                "release_timer", [key], [member, to_ms(claim.lease_until), new_due]
            )

    async def _claim(
        self,
        script: str,
        keys_of: Callable[[int], list[str]],
        now: datetime,
        limit: int,
        lease_until: datetime,
    ) -> list[Any]:
        """Lease up to `limit` due members over all buckets: count, then claim exactly.

        `keys_of(bucket)` are the script's keys, the first one the zset of due times.
        Counting first (one cheap round trip, the only one when nothing is due) keeps a
        busy bucket from being over-claimed; the claim is one pipelined round trip.
        """
        now_ms = to_ms(now)
        with storage_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                for bucket in range(BUCKETS):
                    pipe.zcount(keys_of(bucket)[0], "-inf", now_ms)
                counts = await pipe.execute()
        start, self._rotation = self._rotation, (self._rotation + 1) % BUCKETS
        calls: list[tuple[list[str], list[Arg]]] = []
        remaining = limit
        for bucket in [(start + i) % BUCKETS for i in range(BUCKETS)]:
            take = min(counts[bucket], remaining)
            if take > 0:
                calls.append((keys_of(bucket), [now_ms, to_ms(lease_until), take]))
                remaining -= take
        with storage_errors():
            return await self._scripts.call_many(script, calls)

    def _timer_keys(self, bucket: int) -> list[str]:
        return [self._keys.timers(bucket)]

    def _ready_keys(self, bucket: int) -> list[str]:
        return [self._keys.outbox_ready(bucket), self._keys.outbox_data(bucket)]

    # --- outbox ----------------------------------------------------------------------
    async def claim_outbox(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxEntry]:
        replies = await self._claim("claim_outbox", self._ready_keys, now, limit, now + lease)
        return [decode_entry(raw) for entries in replies for raw in entries]

    def _outbox_keys(self, conversation_id: str) -> list[str]:
        bucket = bucket_of(conversation_id)
        return [
            self._keys.outbox_ready(bucket),
            self._keys.outbox_data(bucket),
            self._keys.outbox_queue(conversation_id),
        ]

    def _log_args(self, entry: OutboxEntry, message: SentMessage | None) -> list[Arg]:
        """ARGV of `log_message` (lib.lua): the record ('' = not chat), size, ttl, notice."""
        if message is None:
            return ["", 0, 0, "", ""]
        notice = encode_change(message_change(entry))
        ttl = duration_ms(MESSAGE_LOG_TTL)
        return [encode_message(message), MESSAGE_LOG_SIZE, ttl, self._channel, notice]

    async def ack_outbox(self, entry: OutboxEntry, now: datetime) -> None:
        keys = [
            *self._outbox_keys(entry.conversation_id),
            self._keys.messages(entry.conversation_id),
        ]
        args = [entry.entry_id, to_ms(now), *self._log_args(entry, message_record(entry, now))]
        with storage_errors():
            await self._scripts.call("ack_outbox", keys, args)

    async def retry_outbox(self, entry: OutboxEntry, next_at: datetime, error: str) -> None:
        keys = self._outbox_keys(entry.conversation_id)
        failed = encode_entry(failed_attempt(entry, error))
        args: list[Arg] = [entry.entry_id, failed, to_ms(next_at)]
        with storage_errors():
            await self._scripts.call("retry_outbox", keys, args)

    async def dead_letter(self, entry: OutboxEntry, error: str, now: datetime) -> None:
        bucket = bucket_of(entry.conversation_id)
        keys = [
            *self._outbox_keys(entry.conversation_id),
            self._keys.dead(bucket),
            self._keys.dead_index(bucket),
            self._keys.messages(entry.conversation_id),
        ]
        dead = DeadLetter(failed_attempt(entry, error), error, now)
        message = message_record(entry, now, delivered=False, error=error)
        args: list[Arg] = [
            entry.entry_id,
            encode_dead_letter(dead),
            to_ms(now),
            *self._log_args(entry, message),
        ]
        with storage_errors():
            await self._scripts.call("dead_letter", keys, args)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        if limit < 1:
            return []
        with storage_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                for bucket in range(BUCKETS):
                    pipe.zrevrange(self._keys.dead_index(bucket), 0, limit - 1, withscores=True)
                per_bucket = await pipe.execute()
            newest = sorted(
                (
                    (int(score), text(entry_id), bucket)
                    for bucket, rows in enumerate(per_bucket)
                    for entry_id, score in rows
                ),
                reverse=True,
            )[:limit]
            async with self._redis.pipeline(transaction=False) as pipe:
                for _, entry_id, bucket in newest:
                    pipe.hget(self._keys.dead(bucket), entry_id)
                raws = await pipe.execute()
        return [decode_dead_letter(raw) for raw in raws if raw is not None]

    async def next_delivery_at(self) -> datetime | None:
        with storage_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                for bucket in range(BUCKETS):
                    pipe.zrange(self._keys.outbox_ready(bucket), 0, 0, withscores=True)
                firsts = await pipe.execute()
        scores = [int(score) for rows in firsts for _, score in rows]
        return from_ms(min(scores)) if scores else None

    # --- what agents watch ----------------------------------------------------------
    async def sent_messages(self, conversation_id: str) -> list[SentMessage]:
        with storage_errors():
            raws = await self._redis.lrange(self._keys.messages(conversation_id), 0, -1)
        return [decode_message(raw) for raw in raws]

    def subscribe(self) -> ChangeFeed:
        return RedisFeed(self._redis, self._channel)

    # --- lifecycle -------------------------------------------------------------------
    async def ping(self) -> None:
        with storage_errors():
            await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
