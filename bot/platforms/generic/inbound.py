"""The generic platform's webhooks (SPEC §3.1) into the bot's own events.

Order of checks: signature over the raw body (401), JSON and envelope (400), event age
and `data` for its type (422). Unknown types are ignored (200). Never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from pydantic import ValidationError

from bot.core.commands import CreateRequest, RequestedItem
from bot.core.events import (
    CardClicked,
    CarrierUpdate,
    ChatMessage,
    Happening,
    InboundEvent,
    RequestCancelled,
    RequestOpened,
)
from bot.core.models import Actor, Buyer, Evidence, Order, OrderLine, Role, Seller
from bot.platforms.base import Ignored, Received, Refused
from bot.platforms.generic.signing import verify_body
from bot.platforms.generic.wire import (
    DATA_MODELS,
    CancelledData,
    CardActionData,
    ChatMessageData,
    Envelope,
    LogisticsData,
    RequestedData,
    SenderIn,
    field_problems,
    from_unix,
)

log = logging.getLogger("reshipbot.platforms.generic")

FUTURE_SKEW = timedelta(minutes=5)
NO_TYPE = "none"  # the body was not an event envelope at all


class GenericInbound:
    """Verifies with the app key and any of the secrets (rotation), then parses."""

    def __init__(self, app_key: str, secrets: Sequence[str], max_event_age: timedelta) -> None:
        self._app_key = app_key
        self._secrets = list(secrets)
        self._max_event_age = max_event_age

    def receive(self, body: bytes, headers: Mapping[str, str], now: datetime) -> Received:
        signature = headers.get("Authorization")
        if signature is not None and not signature.isascii():
            signature = None  # not hex: a wrong signature (401), not a fault of ours
        if not verify_body(self._app_key, self._secrets, body, signature):
            message = "the Authorization header is not a valid signature of the body"
            return Refused(401, "bad_signature", message, outcome="bad_signature")
        try:
            raw = orjson.loads(body)
        except orjson.JSONDecodeError:
            return Refused(400, "not_json", "the body is not JSON", outcome="bad_envelope")
        try:
            envelope = Envelope.model_validate(raw)
        except ValidationError as problem:
            fields = _fields(problem)
            message = f"not an event envelope: {_joined(fields)}"
            return Refused(400, "bad_envelope", message, fields, outcome="bad_envelope")
        return self._event(envelope, now)

    def _event(self, envelope: Envelope, now: datetime) -> Received:
        kind = envelope.type
        if envelope.timestamp < (now - self._max_event_age).timestamp():
            message = "the event's timestamp is older than the accepted age"
            return Refused(422, "stale_event", message, kind=kind, outcome="stale")
        if envelope.timestamp > (now + FUTURE_SKEW).timestamp():
            message = "the event's timestamp is more than 5 minutes ahead"
            return Refused(422, "future_event", message, kind=kind, outcome="stale")
        model = DATA_MODELS.get(kind)
        if model is None:
            log.info(
                "ignored event of unknown type",
                extra={"event_type": kind[:64], "event_id": envelope.event_id},
            )
            return Ignored(kind, envelope.event_id)
        try:
            data = model.model_validate(envelope.data)
        except ValidationError as problem:
            fields = _fields(problem, "data")
            return Refused(422, "invalid_data", _joined(fields), fields, kind=kind)
        happening = _HAPPENINGS[kind](envelope, data)
        return InboundEvent(envelope.event_id, envelope.shop_id, happening, kind)


def _fields(problem: ValidationError, prefix: str = "") -> tuple[Mapping[str, str], ...]:
    return tuple(p.model_dump() for p in field_problems(problem, prefix))


def _joined(fields: Sequence[Mapping[str, str]]) -> str:
    return "; ".join(f"{p['field']}: {p['message']}" for p in fields)


def _actor(sender: SenderIn) -> Actor:
    return Actor(role=Role(sender.role), id=sender.id)


def _opened(envelope: Envelope, data: RequestedData) -> RequestOpened:
    order = data.order
    return RequestOpened(
        CreateRequest(
            request_id=data.request_id,
            shop_id=envelope.shop_id,
            conversation_id=data.conversation_id,
            requested_at=from_unix(data.requested_at),
            reason=data.reason,
            items=tuple(RequestedItem(item.line_id, item.quantity) for item in data.items),
            evidence=Evidence(note=data.evidence.note, image_urls=tuple(data.evidence.image_urls)),
            buyer=Buyer(id=data.buyer.id, locale=data.buyer.locale, timezone=data.buyer.timezone),
            seller=Seller(
                id=data.seller.id,
                locale=data.seller.locale,
                timezone=data.seller.timezone,
                region=data.seller.region.upper(),
            ),
            order=Order(
                order_id=order.order_id,
                currency=order.currency,
                shipping_option=order.shipping_option,
                lines=tuple(
                    OrderLine(
                        line_id=line.line_id,
                        sku=line.sku,
                        name=line.name,
                        quantity=line.quantity,
                        unit_price=Decimal(line.unit_price),
                    )
                    for line in order.lines
                ),
            ),
        )
    )


def _chat(_: Envelope, data: ChatMessageData) -> ChatMessage:
    return ChatMessage(data.conversation_id, _actor(data.sender), data.text)


def _click(_: Envelope, data: CardActionData) -> CardClicked:
    actor = _actor(data.actor)
    return CardClicked(
        data.conversation_id, data.card_id, data.action, data.token, actor, data.form
    )


def _carrier(_: Envelope, data: LogisticsData) -> CarrierUpdate:
    return CarrierUpdate(
        data.tracking_number,
        data.carrier,
        data.status,
        data.description,
        from_unix(data.occurred_at),
    )


def _cancelled(_: Envelope, data: CancelledData) -> RequestCancelled:
    return RequestCancelled(data.request_id, from_unix(data.cancelled_at))


_HAPPENINGS: dict[str, Callable[[Envelope, Any], Happening]] = {
    "reshipment.requested": _opened,
    "chat.message": _chat,
    "card.action": _click,
    "logistics.updated": _carrier,
    "reshipment.cancelled": _cancelled,
}

__all__ = ["GenericInbound"]
