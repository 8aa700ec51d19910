"""The agents' queue on Redis: one zset per bucket, merged in (score, member) order.

A page reads the next positions after the cursor from every bucket (one pipelined round
trip; more only for buckets with a long run of positions equal to the cursor's score),
merges them, loads those requests (one more round trip) and applies the filter, until
the page and one match beyond it are found.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import redis.asyncio as aioredis

from bot.core.models import ReshipmentRequest
from storage.base import RequestFilter, RequestPage
from storage.keys import BUCKETS, Keys, bucket_of, parse_queue_member, queue_member
from storage.paging import PageBuilder, Position, decode_cursor, paginate
from storage.redis_io import decode_request, storage_errors, text


class RedisQueue:
    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def page(self, where: RequestFilter, limit: int, cursor: str | None) -> RequestPage:
        after = decode_cursor(cursor) if cursor is not None else None
        builder = PageBuilder(where, limit)
        batch_size = min(max(2 * (limit + 1), 32), 1000)
        while not builder.full:
            positions = await self._positions_after(after, batch_size)
            for position, request in zip(positions, await self._load(positions), strict=True):
                builder.offer(position, request)
            if len(positions) < batch_size:
                break
            after = positions[-1]
        return builder.page()

    async def conversation_page(
        self,
        requests: Sequence[ReshipmentRequest],
        where: RequestFilter,
        limit: int,
        cursor: str | None,
    ) -> RequestPage:
        """A page of one conversation's requests (already read), in queue order."""
        if not requests:
            return paginate([], where, limit, cursor)
        members = [queue_member(r.request_id, r.conversation_id) for r in requests]
        key = self._keys.queue(bucket_of(requests[0].conversation_id))
        with storage_errors():
            scores = await self._redis.zmscore(key, members)
        candidates = [
            ((int(score), member), request)
            for score, member, request in zip(scores, members, requests, strict=True)
            if score is not None
        ]
        return paginate(candidates, where, limit, cursor)

    async def _positions_after(self, after: Position | None, count: int) -> list[Position]:
        """The next `count` queue positions after `after`, over all buckets, in order."""
        low: float | str = after[0] if after is not None else "-inf"
        kept: list[list[Position]] = [[] for _ in range(BUCKETS)]
        offsets = [0] * BUCKETS
        pending = list(range(BUCKETS))
        while pending:
            with storage_errors():
                async with self._redis.pipeline(transaction=False) as pipe:
                    for bucket in pending:
                        pipe.zrangebyscore(
                            self._keys.queue(bucket),
                            low,
                            "+inf",
                            start=offsets[bucket],
                            num=count,
                            withscores=True,
                        )
                    rows_per_bucket = await pipe.execute()
            still_pending = []
            for bucket, rows in zip(pending, rows_per_bucket, strict=True):
                for member, score in rows:
                    position = (int(score), text(member))
                    if after is None or position > after:
                        kept[bucket].append(position)
                offsets[bucket] += len(rows)
                if len(rows) == count and len(kept[bucket]) < count:
                    still_pending.append(bucket)  # all read were at or before `after`
            pending = still_pending
        return list(heapq.merge(*kept))[:count]

    async def _load(self, positions: list[Position]) -> list[ReshipmentRequest | None]:
        if not positions:
            return []
        with storage_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                for _, member in positions:
                    request_id, conversation_id = parse_queue_member(member)
                    pipe.hget(self._keys.conversation(conversation_id), f"r:{request_id}")
                raws = await pipe.execute()
        return [decode_request(raw) for raw in raws]
