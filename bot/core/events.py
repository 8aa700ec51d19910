"""What comes in from a marketplace, in the bot's own words.

Each platform's inbound half turns its webhooks into one `InboundEvent`: an id to
deduplicate by, the shop it came from, and one of the happenings below. The runtime
handles these and nothing platform-shaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.commands import CreateRequest
from bot.core.models import Actor, LogisticsStatus


@dataclass(frozen=True)
class RequestOpened:
    """A buyer asked for a reshipment (T1)."""

    create: CreateRequest


@dataclass(frozen=True)
class ChatMessage:
    """A chat message: a command when it starts with `/`, else not for the bot."""

    conversation_id: str
    sender: Actor
    text: str


@dataclass(frozen=True)
class CardClicked:
    """A button of one of the bot's cards, with the signed token the card carried."""

    conversation_id: str
    card_id: str
    action: str
    token: str
    actor: Actor
    form: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CarrierUpdate:
    """The carrier's news about a tracking number (T12)."""

    tracking_number: str
    carrier: str
    status: LogisticsStatus
    description: str
    occurred_at: datetime


@dataclass(frozen=True)
class RequestCancelled:
    """The platform cancelled a request (T13)."""

    request_id: str
    cancelled_at: datetime


Happening = RequestOpened | ChatMessage | CardClicked | CarrierUpdate | RequestCancelled


@dataclass(frozen=True)
class InboundEvent:
    event_id: str
    shop_id: str
    happening: Happening
    kind: str  # the platform's name for its type, for metrics and logs
