"""Answers to /status, /track and /help: read-only, built from the request."""

from __future__ import annotations

from bot.core.effects import Effect, Money, Notify, ParamValue
from bot.core.models import Actor, Audience, ReshipmentRequest, Role, Status


def _audience(actor: Actor) -> Audience | None:
    if actor.role is Role.buyer:
        return Audience.buyer
    if actor.role is Role.seller:
        return Audience.seller
    return None


def help_reply(
    request: ReshipmentRequest | None, actor: Actor, commands: tuple[str, ...]
) -> tuple[Effect, ...]:
    """The answer to /help: `commands`, the words `actor` can use now."""
    audience = _audience(actor)
    if audience is None:
        return ()
    params: dict[str, ParamValue] = {"commands": commands}
    if request is not None:
        params["request_id"] = request.request_id
    return (Notify(audience, "help", params),)


def status_reply(request: ReshipmentRequest, actor: Actor) -> Notify:
    audience = _audience(actor) or Audience.buyer
    deadlines = request.deadlines
    params: dict[str, ParamValue] = {
        "request_id": request.request_id,
        "status": request.status.value,
    }
    status = request.status
    if status is Status.awaiting_seller and deadlines.seller_due_at is not None:
        params["seller_due_at"] = deadlines.seller_due_at
    elif status is Status.offer_pending and request.offer is not None:
        params["amount"] = Money(request.offer.amount, request.offer.currency)
        params["offer_expires_at"] = request.offer.expires_at
    elif status is Status.awaiting_shipment and deadlines.ship_by is not None:
        params["ship_by"] = deadlines.ship_by
    elif status is Status.shipped and request.shipment is not None:
        shipment = request.shipment
        params["carrier"] = shipment.carrier or "—"
        params["tracking_number"] = shipment.tracking_number or "—"
        params["shipment_status"] = shipment.status
    else:
        return Notify(audience, "status_closed", params)
    return Notify(audience, f"status_{status.value}", params)


def track_reply(request: ReshipmentRequest, actor: Actor) -> Notify | None:
    """Tracking history for /track and the card's check_logistics; None before shipping."""
    audience = _audience(actor) or Audience.buyer
    shipment = request.shipment
    if shipment is None:
        return None
    params: dict[str, ParamValue] = {"request_id": request.request_id}
    if shipment.tracking_number is None or shipment.carrier is None:
        return Notify(audience, "tracking_pending", params)
    params.update(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        shipment_status=shipment.status,
        events=shipment.events,
    )
    return Notify(audience, "tracking", params)
