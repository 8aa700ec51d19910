"""What a marketplace plug-in is: an inbound half, an outbound half, and what its chat can do.

- **Inbound**: `receive(body, headers, now)` verifies a raw webhook (its own signature
  scheme and credentials) and parses it into an `InboundEvent` in the bot's words
  (`bot.core.events`), or says why not (`Refused`, a 4xx) or that it is not for the bot
  (`Ignored`). The web layer only reads the body and hands it over.
- **Outbound**: `deliver(entry)` carries out one stored domain effect (`OutboxEntry`:
  a text, a card shown or updated, a refund, a replacement order, a shipment) in the
  platform's own way, and turns its answer into the core `Command` that records it.
  `describe(entry)` says, for agents, what that is on this platform.
- **Capabilities** the core and the renderer can ask about: interactive cards or not,
  editing sent messages or not, a private channel to the seller or not, a text limit.

A platform is chosen by `RESHIPBOT_PLATFORM` from the registry in `bot.platforms`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from aiohttp import web

from bot.core.commands import Command
from bot.core.events import InboundEvent
from storage.base import OutboxEntry

MAX_ERROR_CHARS = 160


@dataclass(frozen=True)
class Capabilities:
    """What a platform's chat can do; the bot plans the same effects for every platform."""

    interactive_cards: bool = True  # cards with buttons; else the card's plain text
    edits_messages: bool = True  # a sent card can be changed in place
    private_seller_channel: bool = True  # a text can reach the seller alone
    text_limit: int | None = None  # characters in one chat text, if limited


@dataclass(frozen=True)
class PlatformSettings:
    """What the bot's settings tell a platform. `options` are the platform's own
    settings (`RESHIPBOT_<NAME>_<OPTION>`, declared in `bot.runtime.config`), by option."""

    app_key: str
    app_secrets: tuple[str, ...]
    platform_url: str | None  # None: the platform's local stand-in, if it has one
    own_url: str  # where this bot is served, e.g. `http://127.0.0.1:8080`
    max_event_age: timedelta
    loopback: bool  # bound to a loopback address only
    agent_tokens: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)


# --- inbound -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refused:
    """A webhook the bot will not take: answered with `status` and the error body."""

    status: int
    code: str
    message: str
    fields: tuple[Mapping[str, str], ...] = ()
    kind: str = "none"  # the event's type when it was known, for metrics
    outcome: str = "invalid"  # for metrics: bad_signature, bad_envelope, stale, invalid


@dataclass(frozen=True)
class Ignored:
    """A genuine webhook about something the bot does not handle: `200`, nothing done."""

    kind: str
    event_id: str | None = None


Received = InboundEvent | Refused | Ignored


# --- outbound ----------------------------------------------------------------------------


class DeliveryStatus(enum.StrEnum):
    done = "done"
    retry = "retry"  # not now (5xx, timeouts, rate limits): try again after a backoff
    dead = "dead"  # never (a permanent refusal): a dead letter for agents


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt came to, and the result the request records, if any."""

    status: DeliveryStatus
    result: Command | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds the platform asked us to wait, if it did

    @classmethod
    def done(cls, result: Command | None = None) -> Delivery:
        return cls(DeliveryStatus.done, result=result)

    @classmethod
    def retry(cls, error: str, retry_after: float | None = None) -> Delivery:
        return cls(DeliveryStatus.retry, error=short_error(error), retry_after=retry_after)

    @classmethod
    def dead(cls, error: str) -> Delivery:
        return cls(DeliveryStatus.dead, error=short_error(error))


@dataclass(frozen=True)
class PlatformCall:
    """An effect as this platform carries it out, for agents (dead letters, the API)."""

    method: str
    path: str
    body: Mapping[str, Any] = field(default_factory=dict)


def short_error(text: str) -> str:
    """An error as stored and shown to agents: one line, never a whole body."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


class Platform(Protocol):
    """A marketplace plug-in (see the module docstring)."""

    name: str
    capabilities: Capabilities
    webhook_path: str  # where its webhooks are posted, e.g. `/webhooks/chat`
    event_kinds: frozenset[str]  # its names for the events it handles (metrics labels)

    def receive(self, body: bytes, headers: Mapping[str, str], now: datetime) -> Received:
        """Verify and parse one raw webhook; never raises for anything a sender sends."""

    async def deliver(self, entry: OutboxEntry) -> Delivery:
        """Carry out one effect once; never raises for anything the network or the
        platform does."""

    def describe(self, entry: OutboxEntry) -> PlatformCall:
        """What `deliver` does for this entry, in this platform's terms."""

    def stand_ins(self) -> Mapping[str, web.Application]:
        """Apps to mount beside the bot (a local stand-in of the platform), by prefix."""

    async def start(self) -> None:
        """Open connections (called once the event loop runs)."""

    async def close(self) -> None:
        """Close them."""
