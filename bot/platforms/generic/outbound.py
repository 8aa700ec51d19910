"""Domain effects as the generic platform's API calls (SPEC §3.2), and its answers back.

| effect | call | answer recorded |
|---|---|---|
| text | `POST /v1/chat/messages` `{"type": "text"}` | — |
| card | `POST /v1/chat/messages` `{"type": "card"}` | — |
| card_update | `PUT /v1/chat/cards/{card_id}` | — |
| refund | `POST /v1/refunds` | `refund_id` → `RefundIssued` |
| replacement_order | `POST /v1/replacement-orders` | its id → `ReplacementOrderCreated` |
| shipment | `POST /v1/shipments` | `carrier`, `tracking_number` → `ShipmentCreated` |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from bot.core.commands import Command, RefundIssued, ReplacementOrderCreated, ShipmentCreated
from bot.core.effects import EffectKind
from bot.platforms.base import PlatformCall
from storage.base import OutboxEntry

CHAT_MESSAGES = "/v1/chat/messages"


def call_for(entry: OutboxEntry) -> PlatformCall:
    """The API call that carries out `entry` (a card entry with its rendered card)."""
    return _CALLS[entry.effect](entry, entry.payload)


def _text(entry: OutboxEntry, payload: Mapping[str, Any]) -> PlatformCall:
    message = {"type": "text", "text": payload.get("text", "")}
    body = {
        "conversation_id": entry.conversation_id,
        "audience": payload.get("audience"),
        "message": message,
    }
    return PlatformCall("POST", CHAT_MESSAGES, body)


def _card(entry: OutboxEntry, payload: Mapping[str, Any]) -> PlatformCall:
    card = payload.get("card") or {}
    body = {
        "conversation_id": entry.conversation_id,
        "audience": card.get("audience", payload.get("audience")),
        "message": {"type": "card", "card": card},
    }
    return PlatformCall("POST", CHAT_MESSAGES, body)


def _card_update(entry: OutboxEntry, payload: Mapping[str, Any]) -> PlatformCall:
    path = f"/v1/chat/cards/{quote(str(payload.get('card_id')), safe='')}"
    body = {"conversation_id": entry.conversation_id, "card": payload.get("card") or {}}
    return PlatformCall("PUT", path, body)


def _refund(entry: OutboxEntry, payload: Mapping[str, Any]) -> PlatformCall:
    return PlatformCall("POST", "/v1/refunds", {"request_id": entry.request_id, **payload})


def _replacement_order(entry: OutboxEntry, payload: Mapping[str, Any]) -> PlatformCall:
    body = {"request_id": entry.request_id, **payload, "shipping_fee_paid_by": "seller"}
    return PlatformCall("POST", "/v1/replacement-orders", body)


def _shipment(entry: OutboxEntry, payload: Mapping[str, Any]) -> PlatformCall:
    return PlatformCall("POST", "/v1/shipments", {"request_id": entry.request_id, **payload})


_CALLS: dict[EffectKind, Callable[[OutboxEntry, Mapping[str, Any]], PlatformCall]] = {
    EffectKind.text: _text,
    EffectKind.card: _card,
    EffectKind.card_update: _card_update,
    EffectKind.refund: _refund,
    EffectKind.replacement_order: _replacement_order,
    EffectKind.shipment: _shipment,
}


def result_of(effect: EffectKind, answer: Mapping[str, Any]) -> Command | None:
    """What the platform's answer to `effect` tells the request, if anything."""

    def text(key: str) -> str | None:
        value = answer.get(key)
        return value if isinstance(value, str) and value else None

    if effect is EffectKind.replacement_order and (order_id := text("replacement_order_id")):
        return ReplacementOrderCreated(order_id)
    if effect is EffectKind.refund and (refund_id := text("refund_id")):
        return RefundIssued(refund_id)
    if effect is EffectKind.shipment:
        carrier, tracking = text("carrier"), text("tracking_number")
        if carrier and tracking:
            return ShipmentCreated(carrier, tracking)
    return None
