"""Effects are data: what the rules want done outside. The outbox delivers them.

Texts are named by a message id from `bot.messages`; their parameters keep their types
(money, moments) so each reader gets them in their own locale and timezone.
"""

from __future__ import annotations

import enum
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


class EffectKind(enum.StrEnum):
    """What an outbox entry asks a platform to do: a domain effect, not an HTTP call.

    Each platform's outbound half turns one into its own calls (SPEC §3.2 for the generic
    platform); the payload of each kind is documented in `bot.runtime.outbound`.
    """

    text = "text"  # a chat text to one party
    card = "card"  # a new card, rendered when it is delivered
    card_update = "card_update"  # a sent card re-rendered in place
    refund = "refund"
    replacement_order = "replacement_order"
    shipment = "shipment"

    @property
    def shows_card(self) -> bool:
        return self in (EffectKind.card, EffectKind.card_update)

    @property
    def has_result(self) -> bool:
        """The platform's answer carries a result the request records (an id, a number)."""
        return self in (EffectKind.refund, EffectKind.replacement_order, EffectKind.shipment)
