"""Every Redis key reshipbot uses, and the members stored in its sorted sets.

A conversation lives in one of `BUCKETS` buckets (crc32 of its id). All keys of a bucket
share the hash tag `{b<n>}`, so a commit touches one Redis Cluster slot and runs as one
Lua script. The global indexes (request id, order id, tracking number) are single keys,
used alone, and need no tag. The changes channel is a pub/sub channel, not a key.

    <prefix>:{bN}:conv:<conversation_id>   hash  r:<request_id> → JSON, v:<request_id> → version
    <prefix>:{bN}:timers                   zset  "<kind> <conversation_id> <request_id>" → due ms
    <prefix>:{bN}:offer:<request_id>       string with the offer's TTL
    <prefix>:{bN}:evt:<event_id>           processed-event marker (TTL = event_ttl)
    <prefix>:{bN}:queue                    zset  "<request_id> <conversation_id>" → deadline ms
    <prefix>:{bN}:ob                       zset  head entry id of each conversation → next try ms
    <prefix>:{bN}:obd                      hash  entry id → entry JSON
    <prefix>:{bN}:obq:<conversation_id>    list  the conversation's entry ids, oldest first
    <prefix>:{bN}:dead / :deadz            hash  id → dead letter JSON / zset id → failed ms
    <prefix>:{bN}:msg:<conversation_id>    list  the chat messages sent, oldest first (capped)
    <prefix>:{bN}:att:<conversation_id>:<sender>  counter of a sender's commands this minute
    <prefix>:rid:<request_id>              string conversation id
    <prefix>:ord:<order_id>                set   request ids claimed for the order
    <prefix>:trk:<tracking_number>         string "<conversation_id> <request_id>"
    <prefix>:changes                       pub/sub channel of change notices (JSON)

Ids never contain whitespace, so a space separates the parts of a member. The queue
member starts with the request id so that requests with the same deadline sort by id.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from bot.core.commands import TimerKind

BUCKETS = 64
NO_DEADLINE_MS = 2**52  # queue score of a request nobody works against: sorts last
DEFAULT_PREFIX = "rb"


def bucket_of(conversation_id: str) -> int:
    """The conversation's bucket; stable across processes and machines."""
    return zlib.crc32(conversation_id.encode()) % BUCKETS


@dataclass(frozen=True)
class Keys:
    """Key names under one prefix (tests use a unique prefix per test)."""

    prefix: str = DEFAULT_PREFIX

    def bucket(self, bucket: int) -> str:
        return f"{self.prefix}:{{b{bucket}}}:"

    def _of(self, conversation_id: str) -> str:
        return self.bucket(bucket_of(conversation_id))

    def conversation(self, conversation_id: str) -> str:
        return f"{self._of(conversation_id)}conv:{conversation_id}"

    def timers(self, bucket: int) -> str:
        return f"{self.bucket(bucket)}timers"

    def offer(self, conversation_id: str, request_id: str) -> str:
        return f"{self._of(conversation_id)}offer:{request_id}"

    def event(self, conversation_id: str, event_id: str) -> str:
        return f"{self._of(conversation_id)}evt:{event_id}"

    def queue(self, bucket: int) -> str:
        return f"{self.bucket(bucket)}queue"

    def outbox_ready(self, bucket: int) -> str:
        return f"{self.bucket(bucket)}ob"

    def outbox_data(self, bucket: int) -> str:
        return f"{self.bucket(bucket)}obd"

    def outbox_queue(self, conversation_id: str) -> str:
        return f"{self._of(conversation_id)}obq:{conversation_id}"

    def dead(self, bucket: int) -> str:
        return f"{self.bucket(bucket)}dead"

    def dead_index(self, bucket: int) -> str:
        return f"{self.bucket(bucket)}deadz"

    def messages(self, conversation_id: str) -> str:
        return f"{self._of(conversation_id)}msg:{conversation_id}"

    def attempts(self, conversation_id: str, sender: str) -> str:
        return f"{self._of(conversation_id)}att:{conversation_id}:{sender}"

    def order_index(self, order_id: str) -> str:
        return f"{self.prefix}:ord:{order_id}"

    def changes(self) -> str:
        """The pub/sub channel every commit publishes its change notice on."""
        return f"{self.prefix}:changes"

    def request_index(self, request_id: str) -> str:
        return f"{self.prefix}:rid:{request_id}"

    def tracking_index(self, tracking_number: str) -> str:
        return f"{self.prefix}:trk:{tracking_number}"

    def all_keys_pattern(self) -> str:
        """SCAN pattern of every key under this prefix."""
        return f"{self.prefix}:*"


def timer_member(kind: TimerKind, conversation_id: str, request_id: str) -> str:
    return f"{kind.value} {conversation_id} {request_id}"


def parse_timer_member(member: str) -> tuple[TimerKind, str, str]:
    kind, conversation_id, request_id = member.split(" ")
    return TimerKind(kind), conversation_id, request_id


def queue_member(request_id: str, conversation_id: str) -> str:
    return f"{request_id} {conversation_id}"


def parse_queue_member(member: str) -> tuple[str, str]:
    """(request_id, conversation_id)"""
    request_id, conversation_id = member.split(" ")
    return request_id, conversation_id
