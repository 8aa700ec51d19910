"""The embedded store: the zero-setup default, in this process's memory, gone on restart.

Same contract as the Redis store (tests/storage/test_contract.py runs against both).
No method awaits anything, so each one runs to its end without interleaving: every
method is atomic, like a Lua script. Times to live (offer keys, processed-event
markers) follow the injected clock, so they expire when a test moves a `FakeClock`;
leases follow the `now` given to the claim methods, as on Redis.
"""

from __future__ import annotations

import heapq
from collections import deque
from datetime import datetime, timedelta

from bot.core.clock import Clock
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
    copy_entry,
    duration_ms,
    failed_attempt,
    from_ms,
    order_requests,
    queue_score,
    to_ms,
)
from storage.fanout import FanOut
from storage.keys import bucket_of, parse_timer_member, queue_member, timer_member
from storage.messages import (
    MESSAGE_LOG_SIZE,
    MESSAGE_LOG_TTL,
    decode_message,
    encode_message,
    message_change,
    message_record,
)
from storage.paging import Position, paginate
from storage.scoreset import ScoreSet

MAX_ATTEMPT_COUNTERS = 100_000  # beyond twice this, counters of ended windows are dropped


class _Outbox:
    """Per-conversation FIFO: only each conversation's oldest entry is ready to claim."""

    def __init__(self) -> None:
        self.ready = ScoreSet()  # head entry id → next attempt ms
        self.entries: dict[str, OutboxEntry] = {}
        self.queues: dict[str, deque[str]] = {}  # conversation id → entry ids, oldest first

    def append(self, entry: OutboxEntry, now: int) -> None:
        queue = self.queues.setdefault(entry.conversation_id, deque())
        queue.append(entry.entry_id)
        self.entries[entry.entry_id] = copy_entry(entry)
        if len(queue) == 1:
            self.ready.add(entry.entry_id, now)

    def is_head(self, conversation_id: str, entry_id: str) -> bool:
        queue = self.queues.get(conversation_id)
        return queue is not None and queue[0] == entry_id

    def pop_head(self, conversation_id: str, entry_id: str, now: int) -> OutboxEntry | None:
        """Remove the conversation's head if it is `entry_id`; the next one becomes ready."""
        if not self.is_head(conversation_id, entry_id):
            return None
        queue = self.queues[conversation_id]
        queue.popleft()
        self.ready.remove(entry_id)
        if queue:
            self.ready.add(queue[0], now)
        else:
            del self.queues[conversation_id]
        return self.entries.pop(entry_id)


class MemoryStore(Store):
    def __init__(self, clock: Clock, event_ttl: timedelta = DEFAULT_EVENT_TTL) -> None:
        self._clock = clock
        self._event_ttl = duration_ms(event_ttl)
        self._conversations: dict[str, dict[str, ReshipmentRequest]] = {}
        self._queue: dict[str, Position] = {}  # request id → place in the agents' queue
        self._markers: dict[tuple[int, str], int] = {}  # (bucket, event id) → expiry ms
        self._marker_expiry: list[tuple[int, tuple[int, str]]] = []  # heap, for cleanup
        self._offers: dict[tuple[str, str], int] = {}  # (conversation, request) → expiry ms
        self._request_owner: dict[str, str] = {}
        self._orders: dict[str, set[str]] = {}  # order id → request ids
        self._tracking: dict[str, tuple[str, str]] = {}
        self._shops: dict[str, str] = {}  # conversation id → the shop of its requests
        # (conversation id, sender) → (window end ms, commands in the window)
        self._attempts: dict[tuple[str, str], tuple[int, int]] = {}
        self._timers = ScoreSet()
        self._outbox = _Outbox()
        self._dead: dict[str, tuple[int, DeadLetter]] = {}
        # conversation id → (expiry ms, its last chat messages, encoded as on Redis)
        self._messages: dict[str, tuple[int, deque[bytes]]] = {}
        self._changes = FanOut()

    def _now(self) -> int:
        return to_ms(self._clock.now())

    # --- reads -----------------------------------------------------------------------
    async def read_conversation(
        self, conversation_id: str, event_id: str | None = None, attempt_by: str | None = None
    ) -> ConversationView:
        requests = self._conversations.get(conversation_id, {})
        duplicate = event_id is not None and self._processed(conversation_id, event_id)
        attempts = 0
        if attempt_by is not None and event_id is not None and not duplicate:
            attempts = self._count_attempt(conversation_id, attempt_by)
        return ConversationView(
            conversation_id, duplicate, order_requests(requests.values()), attempts
        )

    def _count_attempt(self, conversation_id: str, sender: str) -> int:
        now = self._now()
        ends, count = self._attempts.get((conversation_id, sender), (0, 0))
        if ends <= now:
            ends, count = now + duration_ms(ATTEMPT_WINDOW), 0
        self._attempts[conversation_id, sender] = (ends, count + 1)
        if len(self._attempts) > 2 * MAX_ATTEMPT_COUNTERS:  # forget the windows that ended
            self._attempts = {k: v for k, v in self._attempts.items() if v[0] > now}
        return count + 1

    async def get_request(self, request_id: str) -> ReshipmentRequest | None:
        conversation_id = self._request_owner.get(request_id)
        if conversation_id is None:
            return None
        return self._conversations.get(conversation_id, {}).get(request_id)

    async def locate_request(self, request_id: str) -> str | None:
        return self._request_owner.get(request_id)

    async def claim_request_id(
        self, request_id: str, conversation_id: str, order_id: str | None = None
    ) -> str:
        if order_id is not None:
            self._orders.setdefault(order_id, set()).add(request_id)
        return self._request_owner.setdefault(request_id, conversation_id)

    async def locate_order(self, order_id: str) -> tuple[str, ...]:
        return tuple(sorted(self._orders.get(order_id, ())))

    async def locate_tracking(
        self, tracking_number: str, *, fresh: bool = False
    ) -> tuple[str, str] | None:
        return self._tracking.get(tracking_number)

    async def claim_tracking(
        self, tracking_number: str, conversation_id: str, request_id: str
    ) -> tuple[str, str]:
        return self._tracking.setdefault(tracking_number, (conversation_id, request_id))

    async def move_tracking(
        self, tracking_number: str, holder: tuple[str, str], to: tuple[str, str]
    ) -> bool:
        if self._tracking.get(tracking_number) != holder:
            return False
        self._tracking[tracking_number] = to
        return True

    async def list_requests(
        self, where: RequestFilter, limit: int, cursor: str | None = None
    ) -> RequestPage:
        if where.conversation_id is not None:
            conversations = [self._conversations.get(where.conversation_id, {})]
        else:
            conversations = list(self._conversations.values())
        requests = [request for held in conversations for request in held.values()]
        candidates = [(self._queue[request.request_id], request) for request in requests]
        return paginate(candidates, where, limit, cursor)

    async def offer_ttl(self, conversation_id: str, request_id: str) -> timedelta | None:
        expires = self._offers.get((conversation_id, request_id))
        if expires is None:
            return None
        left = expires - self._now()
        if left <= 0:
            del self._offers[conversation_id, request_id]
            return None
        return timedelta(milliseconds=left)

    # --- the one write path ----------------------------------------------------------
    async def commit(self, commit: Commit) -> CommitResult:
        check_commit(commit)
        conversation_id = commit.conversation_id
        if commit.event_id is not None and self._processed(conversation_id, commit.event_id):
            return CommitResult.duplicate
        request = commit.request
        if request is not None:
            stored = self._conversations.get(conversation_id, {}).get(request.request_id)
            if (stored.version if stored is not None else 0) != commit.expected_version:
                return CommitResult.conflict
            if self._shops.setdefault(conversation_id, request.shop_id) != request.shop_id:
                return CommitResult.wrong_shop
            self._write_request(commit, request)
            self._changes.publish(
                Change(
                    "request",
                    conversation_id,
                    request.request_id,
                    request.version,
                    request.status.value,
                )
            )
        if commit.event_id is not None:
            self._mark_processed(conversation_id, commit.event_id)
        now = to_ms(commit.now)
        if commit.ack_outbox is not None:
            self._outbox.pop_head(conversation_id, commit.ack_outbox, now)
        for entry in commit.outbox:
            self._outbox.append(entry, now)
        return CommitResult.ok

    def _write_request(self, commit: Commit, request: ReshipmentRequest) -> None:
        conversation_id, request_id = commit.conversation_id, request.request_id
        self._conversations.setdefault(conversation_id, {})[request_id] = request
        for kind in TimerKind:
            self._timers.remove(timer_member(kind, conversation_id, request_id))
        for kind, due_at in commit.timers.items():
            self._timers.add(timer_member(kind, conversation_id, request_id), to_ms(due_at))
        if commit.offer_ttl is None:
            self._offers.pop((conversation_id, request_id), None)
        else:
            expires = self._now() + max(duration_ms(commit.offer_ttl), 1)
            self._offers[conversation_id, request_id] = expires
        score = queue_score(request, commit.queue_at)
        self._queue[request_id] = (score, queue_member(request_id, conversation_id))

    def _processed(self, conversation_id: str, event_id: str) -> bool:
        expires = self._markers.get((bucket_of(conversation_id), event_id))
        return expires is not None and expires > self._now()

    def _mark_processed(self, conversation_id: str, event_id: str) -> None:
        now = self._now()
        while self._marker_expiry and self._marker_expiry[0][0] <= now:
            expires, key = heapq.heappop(self._marker_expiry)
            if self._markers.get(key) == expires:
                del self._markers[key]
        key = (bucket_of(conversation_id), event_id)
        self._markers[key] = now + self._event_ttl
        heapq.heappush(self._marker_expiry, (now + self._event_ttl, key))

    # --- timers ----------------------------------------------------------------------
    async def claim_timers(self, now: datetime, limit: int, lease: timedelta) -> list[TimerClaim]:
        lease_until = to_ms(now + lease)
        claims = []
        for member, due in self._timers.lease_due(to_ms(now), limit, lease_until):
            kind, conversation_id, request_id = parse_timer_member(member)
            claims.append(
                TimerClaim(kind, conversation_id, request_id, from_ms(due), from_ms(lease_until))
            )
        return claims

    async def release_timer(self, claim: TimerClaim, due_at: datetime | None) -> None:
        member = timer_member(claim.kind, claim.conversation_id, claim.request_id)
        if self._timers.score(member) != to_ms(claim.lease_until):
            return
        if due_at is None:
            self._timers.remove(member)
        else:
            self._timers.add(member, to_ms(due_at))

    # --- outbox ----------------------------------------------------------------------
    async def claim_outbox(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxEntry]:
        leased = self._outbox.ready.lease_due(to_ms(now), limit, to_ms(now + lease))
        return [copy_entry(self._outbox.entries[entry_id]) for entry_id, _ in leased]

    async def next_delivery_at(self) -> datetime | None:
        lowest = self._outbox.ready.lowest()
        return None if lowest is None else from_ms(lowest)

    async def ack_outbox(self, entry: OutboxEntry, now: datetime) -> None:
        if self._outbox.pop_head(entry.conversation_id, entry.entry_id, to_ms(now)) is not None:
            self._log_message(entry, message_record(entry, now))

    async def retry_outbox(self, entry: OutboxEntry, next_at: datetime, error: str) -> None:
        if not self._outbox.is_head(entry.conversation_id, entry.entry_id):
            return
        self._outbox.entries[entry.entry_id] = copy_entry(failed_attempt(entry, error))
        self._outbox.ready.add(entry.entry_id, to_ms(next_at))

    async def dead_letter(self, entry: OutboxEntry, error: str, now: datetime) -> None:
        if self._outbox.pop_head(entry.conversation_id, entry.entry_id, to_ms(now)) is None:
            return
        dead = DeadLetter(copy_entry(failed_attempt(entry, error)), error, now)
        self._dead[entry.entry_id] = (to_ms(now), dead)
        self._log_message(entry, message_record(entry, now, delivered=False, error=error))

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        if limit < 1:
            return []
        newest = sorted(
            ((failed, entry_id) for entry_id, (failed, _) in self._dead.items()), reverse=True
        )
        return [self._dead[entry_id][1] for _, entry_id in newest[:limit]]

    # --- what agents watch ----------------------------------------------------------
    def _log_message(self, entry: OutboxEntry, message: SentMessage | None) -> None:
        if message is None:
            return
        conversation_id = entry.conversation_id
        now = self._now()
        expires, log = self._messages.get(conversation_id, (0, deque()))
        if expires <= now:
            log = deque(maxlen=MESSAGE_LOG_SIZE)
        log.append(encode_message(message))
        self._messages[conversation_id] = (now + duration_ms(MESSAGE_LOG_TTL), log)
        self._changes.publish(message_change(entry))

    async def sent_messages(self, conversation_id: str) -> list[SentMessage]:
        expires, log = self._messages.get(conversation_id, (0, deque()))
        if expires <= self._now():
            self._messages.pop(conversation_id, None)
            return []
        return [decode_message(raw) for raw in log]

    def subscribe(self) -> ChangeFeed:
        return self._changes.feed()

    # --- lifecycle -------------------------------------------------------------------
    async def ping(self) -> None:
        return None
