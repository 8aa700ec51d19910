"""The agent API's view of a request (SPEC §3.3): the documented fields, times in UTC `Z`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.core.models import ReshipmentRequest


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def request_view(request: ReshipmentRequest) -> dict[str, Any]:
    offer = request.offer
    refund = request.refund
    shipment = request.shipment
    return {
        "request_id": request.request_id,
        "shop_id": request.shop_id,
        "conversation_id": request.conversation_id,
        "status": request.status.value,
        "resolution": request.resolution.value if request.resolution else None,
        "decided_by": request.decided_by.value if request.decided_by else None,
        "reason": request.reason.value,
        "items": [
            {
                "line_id": item.line_id,
                "name": item.name,
                "quantity": item.quantity,
                "unit_price": str(item.unit_price),
            }
            for item in request.items
        ],
        "affected_value": str(request.affected_value),
        "currency": request.currency,
        "evidence": {
            "note": request.evidence.note,
            "image_urls": list(request.evidence.image_urls),
        },
        "buyer": request.buyer.model_dump(mode="json"),
        "seller": request.seller.model_dump(mode="json"),
        "order": request.order.model_dump(mode="json"),
        "deadlines": {
            "seller_due_at": iso(request.deadlines.seller_due_at),
            "offer_expires_at": iso(request.deadlines.offer_expires_at),
            "ship_by": iso(request.deadlines.ship_by),
        },
        "offer": None
        if offer is None
        else {
            "amount": str(offer.amount),
            "currency": offer.currency,
            "status": offer.status.value,
            "offered_at": iso(offer.offered_at),
            "expires_at": iso(offer.expires_at),
        },
        "offers_made": request.offers_made,
        "rejection": None
        if request.rejection is None
        else {
            "reason_code": request.rejection.reason_code.value,
            "comment": request.rejection.comment,
        },
        "refund": None
        if refund is None
        else {
            "amount": str(refund.amount),
            "currency": refund.currency,
            "kind": refund.kind.value,
            "refund_id": refund.refund_id,
        },
        "replacement_order_id": request.replacement_order_id,
        "shipment": None
        if shipment is None
        else {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "shipping_option": shipment.shipping_option.value,
            "status": shipment.status,
            "events": [
                {
                    "status": event.status.value,
                    "description": event.description,
                    "occurred_at": iso(event.occurred_at),
                }
                for event in shipment.events
            ],
        },
        "overdue": request.overdue,
        "refused_attempts": request.refused_attempts,
        "version": request.version,
        "timeline": [
            {
                "at": iso(entry.at),
                "type": entry.type,
                "actor": None
                if entry.actor is None
                else {"role": entry.actor.role.value, "id": entry.actor.id},
                "detail": entry.detail,
            }
            for entry in request.timeline
        ],
        "created_at": iso(request.created_at),
        "updated_at": iso(request.updated_at),
    }
