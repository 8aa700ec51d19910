"""Realistic test data: valid reshipment requests in any status, and outbox entries.

`make_request(status=...)` fills what a request in that status carries (deadlines,
offer, resolution, shipment, timeline, cards); keyword overrides replace fields and the
result is validated like any stored request.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.core.effects import EffectKind
from bot.core.models import (
    Actor,
    Audience,
    CardKind,
    CardState,
    CardStatus,
    DecidedBy,
    OfferStatus,
    Order,
    OrderLine,
    RefundKind,
    RejectCode,
    ReshipmentRequest,
    Resolution,
    Role,
    ShippingOption,
    Status,
    card_id_for,
)
from storage.base import OutboxEntry
from storage.codec import new_entry_id

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # FakeClock's default start
SELLER_WINDOW = timedelta(hours=48)
OFFER_WINDOW = timedelta(hours=24)

_ids = itertools.count(1)


def make_order(
    currency: str = "USD", shipping_option: ShippingOption = ShippingOption.platform
) -> Order:
    return Order(
        order_id="576684019603311365",
        currency=currency,
        shipping_option=shipping_option,
        lines=(
            OrderLine(
                line_id="L1",
                sku="MUG-BLU",
                name="Blue mug",
                quantity=2,
                unit_price=Decimal("12.50"),
            ),
            OrderLine(
                line_id="L2",
                sku="TEA-GRN",
                name="Green tea 100 g",
                quantity=3,
                unit_price=Decimal("7.25"),
            ),
            OrderLine(
                line_id="L3",
                sku="SPN-WD",
                name="Wooden spoon",
                quantity=1,
                unit_price=Decimal("3.00"),
            ),
        ),
    )


def _items() -> list[dict[str, Any]]:
    return [
        {"line_id": "L1", "name": "Blue mug", "quantity": 1, "unit_price": Decimal("12.50")},
        {"line_id": "L2", "name": "Green tea 100 g", "quantity": 2, "unit_price": Decimal("7.25")},
    ]


AFFECTED_VALUE = Decimal("27.00")  # 1 * 12.50 + 2 * 7.25


def _event(at: datetime, type_: str, role: Role | None = None, **detail: Any) -> dict[str, Any]:
    actor = None if role is None else Actor(role=role, id=f"{role.value}-1")
    return {"at": at, "type": type_, "actor": actor, "detail": detail}


def _card(request_id: str, kind: CardKind, audience: Audience, status: CardStatus) -> CardState:
    return CardState(
        card_id=card_id_for(request_id, kind, audience),
        kind=kind,
        audience=audience,
        version=1 if status is CardStatus.open else 2,
        status=status,
    )


def _status_fields(request_id: str, status: Status, at: datetime) -> dict[str, Any]:
    """What a request in `status` carries beyond the T1 basics; decided `at`."""
    data: dict[str, Any] = {"timeline": [], "cards": []}
    if status is Status.offer_pending:
        remaining = SELLER_WINDOW - (at - NOW)
        data["deadlines"] = {"offer_expires_at": at + OFFER_WINDOW}
        data["offer"] = {
            "amount": Decimal("10.00"),
            "currency": "USD",
            "status": OfferStatus.pending,
            "offered_at": at,
            "expires_at": at + OFFER_WINDOW,
            "seller_remaining": remaining,
        }
        data["offers_made"] = 1
        data["timeline"].append(_event(at, "offer_made", Role.seller, amount="10.00"))
        data["cards"].append(_card(request_id, CardKind.offer, Audience.buyer, CardStatus.open))
    elif status in (Status.awaiting_shipment, Status.shipped, Status.delivered):
        data |= {
            "resolution": Resolution.reship,
            "decided_by": DecidedBy.seller,
            "replacement_order_id": f"RO-{request_id}",
            "deadlines": {"ship_by": at + timedelta(days=2)},
        }
        data["timeline"].append(_event(at, "approved", Role.seller))
        if status is not Status.awaiting_shipment:
            data["shipment"] = _shipment(request_id, status, at)
            data["timeline"].append(_event(at, "shipment_arranged", Role.seller))
    elif status is Status.rejected:
        data |= {
            "resolution": Resolution.rejected,
            "decided_by": DecidedBy.seller,
            "rejection": {
                "reason_code": RejectCode.evidence_insufficient,
                "comment": "The photos show a complete parcel.",
            },
        }
        data["timeline"].append(_event(at, "rejected", Role.seller))
    elif status is Status.refunded:
        data |= {
            "resolution": Resolution.refund_full,
            "decided_by": DecidedBy.platform,
            "refund": {
                "amount": AFFECTED_VALUE,
                "currency": "USD",
                "kind": RefundKind.full,
                "refund_id": f"RF-{request_id}",
            },
        }
        data["timeline"].append(_event(at, "refunded", Role.seller))
    elif status is Status.cancelled:
        data |= {"resolution": Resolution.cancelled, "decided_by": DecidedBy.buyer}
        data["timeline"].append(_event(at, "cancelled", Role.buyer))
    return data


def _shipment(request_id: str, status: Status, at: datetime) -> dict[str, Any]:
    events = [{"status": "picked_up", "description": "Parcel picked up", "occurred_at": at}]
    if status is Status.delivered:
        events.append(
            {
                "status": "delivered",
                "description": "Delivered to the buyer",
                "occurred_at": at + timedelta(days=1),
            }
        )
    return {
        "shipping_option": ShippingOption.platform,
        "carrier": "J&T Express",
        "tracking_number": f"JT{request_id}",
        "status": events[-1]["status"],
        "events": events,
        "arranged_at": at,
    }


def make_request(
    request_id: str | None = None,
    conversation_id: str = "conv-1",
    *,
    status: Status = Status.awaiting_seller,
    requested_at: datetime = NOW,
    decided_at: datetime | None = None,
    version: int = 1,
    **overrides: Any,
) -> ReshipmentRequest:
    """A valid request in `status`; `overrides` replace top-level fields."""
    request_id = request_id or f"req-{next(_ids)}"
    decided_at = decided_at or requested_at + timedelta(hours=3)
    due = requested_at + SELLER_WINDOW
    data: dict[str, Any] = {
        "request_id": request_id,
        "shop_id": "7494726673780148744",
        "conversation_id": conversation_id,
        "status": status,
        "reason": "missing_items",
        "items": _items(),
        "affected_value": AFFECTED_VALUE,
        "currency": "USD",
        "evidence": {
            "note": "Only one mug in the box",
            "image_urls": ["https://img.example/1.jpg"],
        },
        "buyer": {"id": "buyer-1", "locale": "es"},
        "seller": {"id": "seller-1", "locale": "en", "timezone": "Asia/Bangkok", "region": "TH"},
        "order": make_order(),
        "deadlines": {"seller_due_at": due},
        "seller_reminder_at": due - timedelta(hours=12),
        "version": version,
        "created_at": requested_at,
        "updated_at": requested_at,
    }
    data["cards"] = [_card(request_id, CardKind.request, Audience.seller, CardStatus.open)]
    data["timeline"] = [_event(requested_at, "requested", None, items=2)]
    if status is not Status.awaiting_seller:
        extra = _status_fields(request_id, status, decided_at)
        data["timeline"] += extra.pop("timeline")
        data["cards"] += extra.pop("cards")
        data |= extra | {"updated_at": decided_at, "seller_reminder_at": None}
    data |= overrides
    return ReshipmentRequest.model_validate(data)


def next_version(request: ReshipmentRequest, **changes: Any) -> ReshipmentRequest:
    """The request one transition later: version + 1, with `changes`."""
    data = request.model_dump() | {"version": request.version + 1} | changes
    return ReshipmentRequest.model_validate(data)


def make_entry(
    conversation_id: str = "conv-1",
    request_id: str | None = "req-1",
    *,
    text: str = "hello",
    now: datetime = NOW,
    **overrides: Any,
) -> OutboxEntry:
    """An outbox entry sending a chat text (the text says which, for ordering checks)."""
    entry_id = new_entry_id(now)
    fields: dict[str, Any] = {
        "entry_id": entry_id,
        "conversation_id": conversation_id,
        "request_id": request_id,
        "effect": EffectKind.text,
        "payload": {"audience": "buyer", "text": text},
        "idempotency_key": f"{request_id}:{entry_id}",
        "created_at": now,
    }
    return OutboxEntry(**(fields | overrides))
