"""Effects are data: what the rules want done outside. The outbox delivers them.

Texts are named by a message id from `bot.messages`; their parameters keep their types
(money, moments) so each reader gets them in their own locale and timezone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

from bot.core.models import Audience, RefundKind, ShippingOption, TrackingEvent


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


ParamValue: TypeAlias = str | int | Money | datetime | tuple[str, ...] | tuple[TrackingEvent, ...]


@dataclass(frozen=True)
class Notify:
    """A chat text to one party."""

    audience: Audience
    message: str
    params: dict[str, ParamValue] = field(default_factory=dict)


@dataclass(frozen=True)
class SendCard:
    """Post a new card; its content is rendered from the request at this version."""

    card_id: str


@dataclass(frozen=True)
class UpdateCard:
    """Re-render a sent card in place (same card_id, higher version)."""

    card_id: str


@dataclass(frozen=True)
class IssueRefund:
    amount: Decimal
    currency: str
    kind: RefundKind


@dataclass(frozen=True)
class CreateReplacementOrder:
    lines: tuple[tuple[str, int], ...]  # (line_id, quantity)
    shipping_option: ShippingOption
    ship_by: datetime


@dataclass(frozen=True)
class CreateShipment:
    shipping_option: ShippingOption
    carrier: str | None = None
    tracking_number: str | None = None


Effect: TypeAlias = (
    Notify | SendCard | UpdateCard | IssueRefund | CreateReplacementOrder | CreateShipment
)
