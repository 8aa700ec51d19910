"""What can happen to a request: the typed inputs of the rules (`bot.rules.decide`).

Chat text and card clicks are turned into these by the parser and the dispatcher;
timers and platform events too. None of them is trusted: the rules check each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from bot.core.models import Actor, Buyer, Evidence, LogisticsStatus, Order, Reason, Seller


class TimerKind(StrEnum):
    seller_deadline = "seller_deadline"
    seller_reminder = "seller_reminder"
    offer_expiry = "offer_expiry"
    ship_by = "ship_by"


@dataclass(frozen=True)
class RequestedItem:
    line_id: str
    quantity: int


@dataclass(frozen=True)
class CreateRequest:
    """T1: the platform reports a buyer's reshipment request."""

    request_id: str
    shop_id: str
    conversation_id: str
    requested_at: datetime
    reason: Reason
    items: tuple[RequestedItem, ...]
    evidence: Evidence
    buyer: Buyer
    seller: Seller
    order: Order


@dataclass(frozen=True)
class Approve:
    actor: Actor


@dataclass(frozen=True)
class Reject:
    actor: Actor
    reason_code: str
    comment: str


@dataclass(frozen=True)
class OfferPartialRefund:
    """T5/T5b: exactly one of `amount` (as typed) or `percent` is set; `currency_symbol`
    is the one typed with the amount (`$12.50`), which must fit the request's currency."""

    actor: Actor
    amount: str | None = None
    percent: Decimal | None = None
    currency_symbol: str | None = None


@dataclass(frozen=True)
class RefundOnly:
    actor: Actor


@dataclass(frozen=True)
class ArrangeShipment:
    """T10: platform shipping without carrier/tracking; seller shipping with both."""

    actor: Actor
    carrier: str | None = None
    tracking_number: str | None = None


@dataclass(frozen=True)
class AcceptOffer:
    actor: Actor


@dataclass(frozen=True)
class DeclineOffer:
    actor: Actor


@dataclass(frozen=True)
class CancelRequest:
    """T13 by the buyer."""

    actor: Actor


@dataclass(frozen=True)
class PlatformCancel:
    """T13 by the platform (`reshipment.cancelled`)."""

    cancelled_at: datetime


@dataclass(frozen=True)
class Track:
    actor: Actor


@dataclass(frozen=True)
class ShowStatus:
    actor: Actor


@dataclass(frozen=True)
class Help:
    actor: Actor


@dataclass(frozen=True)
class CardAction:
    """A click on a card button; the token's signature is checked before this exists."""

    actor: Actor
    card_id: str
    card_version: int
    action: str
    form: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LogisticsUpdate:
    """T12: the carrier reports progress of the reshipment."""

    tracking_number: str
    carrier: str
    status: LogisticsStatus
    description: str
    occurred_at: datetime


@dataclass(frozen=True)
class TimerFired:
    kind: TimerKind


@dataclass(frozen=True)
class ReplacementOrderCreated:
    """The platform answered the replacement-order call."""

    replacement_order_id: str


@dataclass(frozen=True)
class RefundIssued:
    refund_id: str


@dataclass(frozen=True)
class ShipmentCreated:
    """The platform answered the shipment call with the carrier and tracking number."""

    carrier: str
    tracking_number: str


@dataclass(frozen=True)
class DeliveryFailed:
    """An effect was refused for good by the platform (dead letter), for the timeline."""

    effect: str
    error: str


ActorCommand: TypeAlias = (
    Approve
    | Reject
    | OfferPartialRefund
    | RefundOnly
    | ArrangeShipment
    | AcceptOffer
    | DeclineOffer
    | CancelRequest
    | Track
    | ShowStatus
    | Help
    | CardAction
)
SystemCommand: TypeAlias = (
    CreateRequest
    | PlatformCancel
    | LogisticsUpdate
    | TimerFired
    | ReplacementOrderCreated
    | RefundIssued
    | ShipmentCreated
    | DeliveryFailed
)
Command: TypeAlias = ActorCommand | SystemCommand
