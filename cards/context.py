"""What a card template sees: the request's facts, already formatted for the reader.

Money, moments and labels are formatted here (locale and timezone are the reader's);
the templates choose the words and the layout. Every key is always present (None when
it does not apply), so a template that names a wrong key fails under StrictUndefined.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from babel.lists import format_list

from bot.core.models import CardState, LogisticsStatus, ReshipmentRequest, Shipment
from bot.core.registry import REGISTRY
from cards.formatting import ReaderFormat

LATEST_EVENTS = 3  # tracking events a shipment card shows, newest first


def card_context(
    request: ReshipmentRequest,
    card: CardState,
    fmt: ReaderFormat,
    actions: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """The template context of `card`; `actions` are `(action id, signed token)` pairs."""
    return {
        "card_id": card.card_id,
        "request_id": request.request_id,
        "kind": card.kind.value,
        "version": card.version,
        "locale": fmt.kit.code,
        "audience": card.audience.value,
        "status": card.status.value,
        "actions": [_button(action, token, fmt) for action, token in actions],
        "reply_commands": _reply_commands(request, [action for action, _ in actions], fmt),
        **_facts(request, fmt),
        "offer": _offer(request, fmt),
        "rejection": _rejection(request, fmt),
        "refund": _refund(request, fmt),
        "shipment": _shipment(request.shipment, fmt),
    }


def _button(action: str, token: str, fmt: ReaderFormat) -> dict[str, str]:
    """A button as the card shows it: its declared label (translated) and style."""
    declared = REGISTRY.by_action(action)
    if declared is None or declared.button is None:
        raise KeyError(f"no command declares the card action {action!r}")
    button = declared.button
    label = fmt.kit.gettext(button.label)
    return {"id": action, "label": label, "style": button.style.value, "token": token}


def _reply_commands(
    request: ReshipmentRequest, actions: Sequence[str], fmt: ReaderFormat
) -> str | None:
    """`/accept, /decline, or /cancel`: the commands matching the buttons, in a list."""
    if not actions:
        return None
    commands = []
    for action in actions:
        declared = REGISTRY.by_action(action)
        commands.append(declared.reply_for(request) if declared is not None else action)
    return str(format_list(commands, style="or", locale=fmt.kit.locale))


def _facts(request: ReshipmentRequest, fmt: ReaderFormat) -> dict[str, Any]:
    deadlines = request.deadlines
    currency = request.currency
    return {
        "request_status": request.status.value,
        "request_status_label": fmt.label(request.status.value),
        "resolution": request.resolution.value if request.resolution else None,
        "decided_by": request.decided_by.value if request.decided_by else None,
        "reason": request.reason.value,
        "reason_label": fmt.label(request.reason.value),
        "order_id": request.order.order_id,
        "replacement_order_id": request.replacement_order_id,
        "shipping_option": request.order.shipping_option.value,
        "items": [
            {
                "name": item.name,
                "quantity": fmt.kit.number(item.quantity),
                "unit_price": fmt.money(item.unit_price, currency),
            }
            for item in request.items
        ],
        "item_count": sum(item.quantity for item in request.items),
        "affected_value": fmt.money(request.affected_value, currency),
        "evidence_note": request.evidence.note.strip(),
        "photo_count": len(request.evidence.image_urls),
        "seller_due_at": fmt.moment(deadlines.seller_due_at),
        "offer_expires_at": fmt.moment(deadlines.offer_expires_at),
        "ship_by": fmt.moment(deadlines.ship_by),
        "overdue": request.overdue,
        "offers_made": request.offers_made,
    }


def _offer(request: ReshipmentRequest, fmt: ReaderFormat) -> dict[str, Any] | None:
    offer = request.offer
    if offer is None:
        return None
    return {
        "amount": fmt.money(offer.amount, offer.currency),
        "status": offer.status.value,
        "expires_at": fmt.moment(offer.expires_at),
        "decided_at": fmt.moment(offer.decided_at),
    }


def _rejection(request: ReshipmentRequest, fmt: ReaderFormat) -> dict[str, Any] | None:
    rejection = request.rejection
    if rejection is None:
        return None
    return {
        "reason_code": rejection.reason_code.value,
        "reason": fmt.label(rejection.reason_code.value),
        "comment": rejection.comment,
    }


def _refund(request: ReshipmentRequest, fmt: ReaderFormat) -> dict[str, Any] | None:
    refund = request.refund
    if refund is None:
        return None
    return {"amount": fmt.money(refund.amount, refund.currency), "kind": refund.kind.value}


def _shipment(shipment: Shipment | None, fmt: ReaderFormat) -> dict[str, Any] | None:
    if shipment is None:
        return None
    delivered = next((e for e in shipment.events if e.status is LogisticsStatus.delivered), None)
    latest = sorted(shipment.events, key=lambda e: e.occurred_at, reverse=True)
    return {
        "shipping_option": shipment.shipping_option.value,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "status": shipment.status,
        "status_label": fmt.label(shipment.status),
        "events": [fmt.event(event) for event in latest[:LATEST_EVENTS]],
        "event_count": len(shipment.events),
        "delivered_at": fmt.moment(delivered.occurred_at) if delivered else None,
    }
