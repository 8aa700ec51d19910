"""The `Store` interface: everything reshipbot keeps, behind one contract, two backends.

Layout (SPEC §5): all of a conversation's requests, their timers, the offer keys, the
processed-event markers and the outbox entries live in one *bucket* chosen by the
conversation id, so a transition commits in one atomic step on one Redis hash slot.
Three global indexes (request id → conversation, order id → request ids, tracking
number → request) are written before the commit that needs them; the request itself
stays the truth.

For the agent console, every commit that changes a request publishes a `Change` notice
(`subscribe()`), and each conversation keeps a short log of the chat messages the bot
delivered in it (`sent_messages()`), written when the outbox entry is acknowledged.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.core.commands import TimerKind
from bot.core.effects import EffectKind
from bot.core.models import ReshipmentRequest, Status

ATTEMPT_WINDOW = timedelta(minutes=1)
"""The window in which a sender's commands are counted (`read_conversation(attempt_by=)`)."""


@dataclass(frozen=True)
class ConversationView:
    """One read: the conversation's requests, and whether the event was already processed.

    `attempts`: with `attempt_by`, that sender's commands in this conversation in the
    current `ATTEMPT_WINDOW`, this one included (0 when not counted).
    """

    conversation_id: str
    duplicate: bool
    requests: tuple[ReshipmentRequest, ...]
    attempts: int = 0

    def request(self, request_id: str) -> ReshipmentRequest | None:
        for request in self.requests:
            if request.request_id == request_id:
                return request
        return None


@dataclass(frozen=True)
class OutboxEntry:
    """One domain effect waiting to be delivered; delivered in order per conversation.

    `effect` says what to do and `payload` with what (`bot.runtime.outbound` documents
    each kind); the platform decides how, at delivery. `idempotency_key` is the same on
    every attempt, so no effect happens twice.
    """

    entry_id: str
    conversation_id: str
    request_id: str | None
    effect: EffectKind
    payload: Mapping[str, Any]
    idempotency_key: str
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    entry: OutboxEntry
    error: str
    failed_at: datetime


@dataclass(frozen=True)
class TimerClaim:
    """A due timer leased to one claimer until `lease_until`."""

    kind: TimerKind
    conversation_id: str
    request_id: str
    due_at: datetime
    lease_until: datetime


@dataclass(frozen=True)
class Commit:
    """Everything one transition writes, applied atomically or not at all.

    `expected_version` is the stored version the decision was made on (0: the request
    must not exist yet); `request` None writes no request (a reply-only outcome).
    `timers` is the request's complete timer set: others of that request are cleared.
    """

    conversation_id: str
    now: datetime
    request: ReshipmentRequest | None = None
    expected_version: int = 0
    event_id: str | None = None
    timers: Mapping[TimerKind, datetime] = field(default_factory=dict)
    offer_ttl: timedelta | None = None
    queue_at: datetime | None = None
    outbox: Sequence[OutboxEntry] = ()
    ack_outbox: str | None = None


@dataclass(frozen=True)
class Change:
    """A notice that something agents watch changed, published after the write.

    `kind` "request": a commit changed request `request_id` (now at `version`, in
    `status`); "message": the bot delivered (or gave up on) a chat message in the
    conversation. Notices are hints to read again, not the truth: a subscriber that
    falls behind or loses its connection misses some and must read the store.
    """

    kind: Literal["request", "message"]
    conversation_id: str
    request_id: str | None = None
    version: int = 0
    status: str | None = None


class ChangeFeed(abc.ABC):
    """The changes published from `open()` on; use it as `async with store.subscribe() as f`.

    Iterating yields `Change`s until the feed is closed. A backend that loses its
    connection raises `StorageUnavailable` from `next()`; subscribe again to go on.
    """

    async def __aenter__(self) -> ChangeFeed:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def __aiter__(self) -> ChangeFeed:
        return self

    async def __anext__(self) -> Change:
        return await self.next()

    @abc.abstractmethod
    async def open(self) -> None:
        """Start listening: every change committed after this returns is seen."""

    @abc.abstractmethod
    async def next(self) -> Change:
        """The next change (waits for one); `StopAsyncIteration` once closed."""

    @abc.abstractmethod
    async def close(self) -> None: ...


@dataclass(frozen=True)
class SentMessage:
    """One chat message the bot delivered in a conversation (or gave up on), as logged.

    `kind` is `text`, `card` (a new card) or `card_update`; `text` is the text (cut
    short) or the card's title. `delivered` False: it became a dead letter (`error`).
    """

    at: datetime
    request_id: str | None
    audience: str
    kind: str
    text: str
    card_id: str | None = None
    card_version: int | None = None
    card_status: str | None = None
    delivered: bool = True
    error: str | None = None


class CommitResult(enum.Enum):
    ok = "ok"
    conflict = "conflict"  # the stored version moved on: read again and decide again
    duplicate = "duplicate"  # the event was already processed: nothing written
    wrong_shop = "wrong_shop"  # the conversation's requests belong to another shop


@dataclass(frozen=True)
class RequestFilter:
    status: frozenset[Status] | None = None
    shop_id: str | None = None
    conversation_id: str | None = None
    overdue: bool | None = None
    open_only: bool = False

    def matches(self, request: ReshipmentRequest) -> bool:
        if self.status is not None and request.status not in self.status:
            return False
        if self.shop_id is not None and request.shop_id != self.shop_id:
            return False
        if self.conversation_id is not None and request.conversation_id != self.conversation_id:
            return False
        if self.overdue is not None and request.overdue != self.overdue:
            return False
        return not (self.open_only and request.status.terminal)


@dataclass(frozen=True)
class RequestPage:
    items: tuple[ReshipmentRequest, ...]
    next_cursor: str | None


class Store(abc.ABC):
    """The contract both backends pass (tests/storage/test_contract.py)."""

    # --- reads -----------------------------------------------------------------------
    @abc.abstractmethod
    async def read_conversation(
        self, conversation_id: str, event_id: str | None = None, attempt_by: str | None = None
    ) -> ConversationView:
        """The conversation's requests and the event's processed marker, in one round trip.

        `attempt_by` (with `event_id`): count this event as one of that sender's commands,
        unless it was processed already; the count is the view's `attempts`.
        """

    @abc.abstractmethod
    async def get_request(self, request_id: str) -> ReshipmentRequest | None: ...

    @abc.abstractmethod
    async def locate_request(self, request_id: str) -> str | None:
        """The conversation holding `request_id`, or None."""

    @abc.abstractmethod
    async def claim_request_id(
        self, request_id: str, conversation_id: str, order_id: str | None = None
    ) -> str:
        """Bind a new request id to its conversation (first writer wins); returns the owner.

        With `order_id`, the request id is also added to that order's index (in the same
        round trip), for `locate_order`.
        """

    @abc.abstractmethod
    async def locate_order(self, order_id: str) -> tuple[str, ...]:
        """Ids of the requests claimed for this order id (sorted; some may not exist)."""

    @abc.abstractmethod
    async def locate_tracking(
        self, tracking_number: str, *, fresh: bool = False
    ) -> tuple[str, str] | None:
        """(conversation_id, request_id) that claimed this tracking number.

        A claim is a pointer, not the truth: the request's shipment is. The answer may
        come from this process's memory of earlier answers; `fresh` asks the store.
        """

    @abc.abstractmethod
    async def claim_tracking(
        self, tracking_number: str, conversation_id: str, request_id: str
    ) -> tuple[str, str]:
        """Claim the tracking number for the request unless it is claimed already, in one
        atomic step; the (conversation_id, request_id) that holds the claim afterwards."""

    @abc.abstractmethod
    async def move_tracking(
        self, tracking_number: str, holder: tuple[str, str], to: tuple[str, str]
    ) -> bool:
        """Hand the claim from `holder` to `to`, only if `holder` still holds it."""

    @abc.abstractmethod
    async def list_requests(
        self, where: RequestFilter, limit: int, cursor: str | None = None
    ) -> RequestPage:
        """Requests ordered by nearest deadline (none last), then by request id."""

    @abc.abstractmethod
    async def offer_ttl(self, conversation_id: str, request_id: str) -> timedelta | None:
        """Time left on the request's offer key, None when there is no key."""

    # --- the one write path ----------------------------------------------------------
    @abc.abstractmethod
    async def commit(self, commit: Commit) -> CommitResult: ...

    # --- timers ----------------------------------------------------------------------
    @abc.abstractmethod
    async def claim_timers(self, now: datetime, limit: int, lease: timedelta) -> list[TimerClaim]:
        """Lease up to `limit` due timers; a claimer that dies gives them back at lease end."""

    @abc.abstractmethod
    async def release_timer(self, claim: TimerClaim, due_at: datetime | None) -> None:
        """After a timer fired with nothing to do: reschedule it at `due_at`, or drop it.

        Only if the timer is still the one claimed (a commit in between wins).
        """

    # --- outbox ----------------------------------------------------------------------
    @abc.abstractmethod
    async def claim_outbox(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxEntry]:
        """Lease due entries, at most one per conversation (each conversation's oldest)."""

    @abc.abstractmethod
    async def ack_outbox(self, entry: OutboxEntry, now: datetime) -> None:
        """Delivered: remove it and let the conversation's next entry go.

        A chat message is added to the conversation's `sent_messages` log, atomically.
        """

    @abc.abstractmethod
    async def retry_outbox(self, entry: OutboxEntry, next_at: datetime, error: str) -> None:
        """Failed for now: count the attempt and try again at `next_at`."""

    @abc.abstractmethod
    async def dead_letter(self, entry: OutboxEntry, error: str, now: datetime) -> None:
        """Failed for good: keep it for agents and let the conversation's next entry go.

        A chat message is logged in `sent_messages` as not delivered.
        """

    @abc.abstractmethod
    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Dead letters, newest first."""

    @abc.abstractmethod
    async def next_delivery_at(self) -> datetime | None:
        """When an outbox entry can next be claimed: now or earlier if one is due, else at
        the end of a retry's backoff or of a lease. None: every entry is delivered or dead."""

    # --- what agents watch ----------------------------------------------------------
    @abc.abstractmethod
    async def sent_messages(self, conversation_id: str) -> list[SentMessage]:
        """The chat messages logged for the conversation, oldest first (the last few
        hundred; a log untouched for `MESSAGE_LOG_TTL` is forgotten)."""

    @abc.abstractmethod
    def subscribe(self) -> ChangeFeed:
        """A feed of the changes committed by any process sharing this store."""

    # --- lifecycle -------------------------------------------------------------------
    @abc.abstractmethod
    async def ping(self) -> None:
        """Raise `StorageUnavailable` if the store cannot be used."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
