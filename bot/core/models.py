"""The reshipment request and its parts, as SPEC §1 and §3.3 name them.

Every model is frozen: the rules return a new request instead of changing one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(StrEnum):
    buyer = "buyer"
    seller = "seller"
    agent = "agent"
    platform = "platform"


class Status(StrEnum):
    awaiting_seller = "awaiting_seller"
    offer_pending = "offer_pending"
    awaiting_shipment = "awaiting_shipment"
    shipped = "shipped"
    delivered = "delivered"
    rejected = "rejected"
    refunded = "refunded"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {Status.delivered, Status.rejected, Status.refunded, Status.cancelled}
)
OPEN_STATUSES = frozenset(Status) - TERMINAL_STATUSES


class Resolution(StrEnum):
    reship = "reship"
    refund_full = "refund_full"
    refund_partial = "refund_partial"
    rejected = "rejected"
    cancelled = "cancelled"


class DecidedBy(StrEnum):
    seller = "seller"
    buyer = "buyer"
    platform = "platform"


class Reason(StrEnum):
    missing_items = "missing_items"
    broken_or_unusable = "broken_or_unusable"


class RejectCode(StrEnum):
    evidence_insufficient = "evidence_insufficient"
    item_received_complete = "item_received_complete"
    damage_after_delivery = "damage_after_delivery"
    outside_policy_window = "outside_policy_window"
    duplicate_request = "duplicate_request"
    other = "other"


class ShippingOption(StrEnum):
    platform = "platform"
    seller = "seller"


class OfferStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"


class RefundKind(StrEnum):
    full = "full"
    partial = "partial"


class LogisticsStatus(StrEnum):
    label_created = "label_created"
    picked_up = "picked_up"
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    delivered = "delivered"
    failed_attempt = "failed_attempt"
    exception = "exception"
    returned_to_sender = "returned_to_sender"


class CardKind(StrEnum):
    request = "request"
    offer = "offer"
    shipment = "shipment"
    outcome = "outcome"


class Audience(StrEnum):
    buyer = "buyer"
    seller = "seller"


class CardStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    closed = "closed"


class Actor(Frozen):
    role: Role
    id: str


class Buyer(Frozen):
    id: str
    locale: str = "en"
    timezone: str | None = None  # not in the webhook; deadlines then use the seller's zone


class Seller(Frozen):
    id: str
    locale: str = "en"
    timezone: str = "UTC"
    region: str = "US"


class OrderLine(Frozen):
    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


class Order(Frozen):
    order_id: str
    currency: str
    shipping_option: ShippingOption
    lines: tuple[OrderLine, ...]


class RequestItem(Frozen):
    """One affected order line: the quantity asked for and the line's name and price."""

    line_id: str
    name: str
    quantity: int
    unit_price: Decimal


class Evidence(Frozen):
    note: str = ""
    image_urls: tuple[str, ...] = ()


class Deadlines(Frozen):
    seller_due_at: datetime | None = None
    offer_expires_at: datetime | None = None
    ship_by: datetime | None = None


class Offer(Frozen):
    amount: Decimal
    currency: str
    status: OfferStatus
    offered_at: datetime
    expires_at: datetime
    seller_remaining: timedelta  # the seller's clock when it was paused by this offer
    decided_at: datetime | None = None


class Rejection(Frozen):
    reason_code: RejectCode
    comment: str


class Refund(Frozen):
    amount: Decimal
    currency: str
    kind: RefundKind
    refund_id: str | None = None


class TrackingEvent(Frozen):
    status: LogisticsStatus
    description: str
    occurred_at: datetime


class Shipment(Frozen):
    shipping_option: ShippingOption
    carrier: str | None = None
    tracking_number: str | None = None
    status: str = "requested"  # a LogisticsStatus once the carrier reports
    events: tuple[TrackingEvent, ...] = ()
    arranged_at: datetime | None = None


class TimelineEntry(Frozen):
    at: datetime
    type: str
    actor: Actor | None = None
    detail: dict[str, Any] = {}


class CardState(Frozen):
    """What the bot knows of a card it sent: the rendered content is derived from the request."""

    card_id: str
    kind: CardKind
    audience: Audience
    version: int
    status: CardStatus


class ReshipmentRequest(Frozen):
    request_id: str
    shop_id: str
    conversation_id: str
    status: Status
    resolution: Resolution | None = None
    decided_by: DecidedBy | None = None
    reason: Reason
    items: tuple[RequestItem, ...]
    evidence: Evidence
    affected_value: Decimal
    currency: str
    buyer: Buyer
    seller: Seller
    order: Order
    deadlines: Deadlines
    seller_reminder_at: datetime | None = None  # when the reminder is due; None if none is
    seller_reminded: bool = False
    offer: Offer | None = None
    offers_made: int = 0
    rejection: Rejection | None = None
    refund: Refund | None = None
    replacement_order_id: str | None = None
    shipment: Shipment | None = None
    overdue: bool = False
    cards: tuple[CardState, ...] = ()
    refused_attempts: int = 0  # every refused attempt; the timeline keeps the latest few
    version: int
    timeline: tuple[TimelineEntry, ...]
    created_at: datetime
    updated_at: datetime

    def card(self, card_id: str) -> CardState | None:
        for card in self.cards:
            if card.card_id == card_id:
                return card
        return None

    def party(self, role: Role) -> str | None:
        """The id of this request's buyer or seller."""
        if role is Role.buyer:
            return self.buyer.id
        if role is Role.seller:
            return self.seller.id
        return None

    @property
    def is_open(self) -> bool:
        return not self.status.terminal


def card_id_for(request_id: str, kind: CardKind, audience: Audience) -> str:
    """Stable id of a request's card of one kind for one reader."""
    return f"{request_id}.{kind.value}.{audience.value}"
