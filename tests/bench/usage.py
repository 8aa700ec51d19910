"""Where a request's bytes are in Redis: `MEMORY USAGE` of each of its keys.

Its own keys (conversation hash, offer key, processed-event markers, message log, outbox
list, request-id, order and tracking indexes) are measured whole; of its bucket's timers
and queue sorted sets, which every request of the bucket shares, it gets its members
times the average bytes per member of those sets.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import redis

from bot.core.commands import TimerKind
from storage.keys import BUCKETS, Keys, bucket_of, queue_member, timer_member
from tests.bench.common import PREFIX

KEYS = Keys(PREFIX)


@dataclass
class RequestKeys:
    """What names the keys of one request."""

    conversation_id: str
    request_id: str
    order_id: str
    events: list[str]
    tracking: str | None = None


def usage(client: redis.Redis, keys: list[str]) -> list[int]:
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.memory_usage(key, samples=0)
        return [int(size or 0) for size in pipe.execute()]


def zset_member_bytes(client: redis.Redis) -> dict[str, float]:
    """Average bytes per member of the buckets' timers and queue sorted sets."""
    shares = {}
    for name, key_of in (("timers", KEYS.timers), ("queue", KEYS.queue)):
        keys = [key_of(bucket) for bucket in range(BUCKETS)]
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zcard(key)
            members = sum(pipe.execute())
        shares[name] = sum(usage(client, keys)) / max(members, 1)
    return shares


@dataclass
class Parts:
    """Bytes of one request's keys, by part."""

    sizes: dict[str, float] = field(default_factory=dict)  # a share of a set is a fraction
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, part: str, size: float, count: int = 1) -> None:
        self.sizes[part] = self.sizes.get(part, 0.0) + size
        self.counts[part] += count

    @property
    def total(self) -> float:
        return sum(self.sizes.values())

    def describe(self, per: int = 1) -> str:
        rows = []
        for part, size in sorted(self.sizes.items(), key=lambda row: -row[1]):
            count = self.counts[part] / per
            many = f" x{count:.3g}" if count != 1 else ""
            rows.append(f"{part}{many} {size / per:,.0f}")
        return ", ".join(rows)


def timer_members(client: redis.Redis, conversation_id: str, request_id: str) -> tuple[int, int]:
    """How many timers and queue entries the request has."""
    bucket = bucket_of(conversation_id)
    with client.pipeline(transaction=False) as pipe:
        for kind in TimerKind:
            pipe.zscore(KEYS.timers(bucket), timer_member(kind, conversation_id, request_id))
        pipe.zscore(KEYS.queue(bucket), queue_member(request_id, conversation_id))
        *timers, queued = pipe.execute()
    return sum(score is not None for score in timers), int(queued is not None)


def measure(client: redis.Redis, item: RequestKeys, shares: dict[str, float], parts: Parts) -> None:
    """Add the bytes of `item`'s keys (and its share of the bucket sets) to `parts`."""
    cid, rid = item.conversation_id, item.request_id
    single = {
        "conversation hash": KEYS.conversation(cid),
        "offer key": KEYS.offer(cid, rid),
        "message log": KEYS.messages(cid),
        "outbox left": KEYS.outbox_queue(cid),
        "request-id index": KEYS.request_index(rid),
        "order index": KEYS.order_index(item.order_id),
    }
    if item.tracking:
        single["tracking index"] = KEYS.tracking_index(item.tracking)
    names = list(single)
    markers = [KEYS.event(cid, event_id) for event_id in item.events]
    sizes = usage(client, [single[name] for name in names] + markers)
    for name, size in zip(names, sizes, strict=False):
        if size:
            parts.add(name, size)
    marker_sizes = [size for size in sizes[len(names) :] if size]
    if marker_sizes:
        parts.add("event markers", sum(marker_sizes), len(marker_sizes))
    timers, queued = timer_members(client, cid, rid)
    if timers:
        parts.add("timers zset share", timers * shares["timers"], timers)
    if queued:
        parts.add("queue zset share", queued * shares["queue"], queued)
