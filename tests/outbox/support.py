"""Entries for every platform call of SPEC §3.2, and signed raw calls to the sandbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.core.effects import EffectKind
from bot.platforms.generic.signing import sign_body
from storage.base import Commit, OutboxEntry, Store
from tests.factories import NOW, make_entry

APP_KEY = "test-app-key"
APP_SECRET = "test-app-secret-0123456789"

Client = TestClient[web.Request, web.Application]


def card(card_id: str = "req-1.offer.buyer", version: int = 1, **changes: Any) -> dict[str, Any]:
    """A valid Card (SPEC §2.2)."""
    return {
        "card_id": card_id,
        "request_id": "req-1",
        "kind": "offer",
        "version": version,
        "locale": "en",
        "audience": "buyer",
        "status": "open",
        "title": "Partial refund offer",
        "lines": ["The seller offers 5.00 USD."],
        "fields": [{"label": "Amount", "value": "5.00 USD"}],
        "actions": [
            {"id": "accept_offer", "label": "Accept", "style": "primary", "token": "t1"},
            {"id": "decline_offer", "label": "Decline", "style": "secondary", "token": "t2"},
        ],
        "fallback_text": "The seller offers 5.00 USD: /accept or /decline",
    } | changes


def text_entry(conversation_id: str = "conv-1", text: str = "hello", **kw: Any) -> OutboxEntry:
    return make_entry(conversation_id, text=text, **kw)


def card_entry(
    conversation_id: str = "conv-1", card_body: dict[str, Any] | None = None, **kw: Any
) -> OutboxEntry:
    """A new card, rendered (as the outbox has it once it is about to be delivered)."""
    shown = card_body or card()
    payload = {
        "card_id": shown["card_id"],
        "version": shown["version"],
        "audience": shown["audience"],
        "card": shown,
    }
    return make_entry(conversation_id, effect=EffectKind.card, payload=payload, **kw)


def card_update_entry(
    conversation_id: str = "conv-1", card_body: dict[str, Any] | None = None, **kw: Any
) -> OutboxEntry:
    updated = card_body or card(version=2, status="accepted", actions=[])
    payload = {
        "card_id": updated["card_id"],
        "version": updated["version"],
        "audience": updated["audience"],
        "card": updated,
    }
    key = f"card:{updated['card_id']}:v{updated['version']}"
    fields: dict[str, Any] = {
        "effect": EffectKind.card_update,
        "payload": payload,
        "idempotency_key": key,
    }
    return make_entry(conversation_id, **(fields | kw))


def refund_entry(
    conversation_id: str = "conv-1", request_id: str = "req-1", amount: str = "12.50", **kw: Any
) -> OutboxEntry:
    payload = {"order_id": "order-1", "amount": amount, "currency": "USD", "kind": "partial"}
    fields: dict[str, Any] = {
        "effect": EffectKind.refund,
        "payload": payload,
        "idempotency_key": f"refund:{request_id}",
    }
    return make_entry(conversation_id, request_id, **(fields | kw))


def replacement_order_entry(
    conversation_id: str = "conv-1",
    request_id: str = "req-1",
    shipping_option: str = "platform",
) -> OutboxEntry:
    payload = {
        "order_id": "order-1",
        "lines": [{"line_id": "L1", "quantity": 1}],
        "shipping_option": shipping_option,
        "ship_by": "2026-11-30T16:59:59Z",
    }
    return make_entry(
        conversation_id,
        request_id,
        effect=EffectKind.replacement_order,
        payload=payload,
        idempotency_key=f"replacement-order:{request_id}",
    )


def shipment_entry(
    replacement_order_id: str,
    conversation_id: str = "conv-1",
    request_id: str = "req-1",
    **extra: Any,
) -> OutboxEntry:
    payload = {"replacement_order_id": replacement_order_id, "shipping_option": "platform"}
    return make_entry(
        conversation_id,
        request_id,
        effect=EffectKind.shipment,
        payload=payload | extra,
        idempotency_key=f"shipment:{request_id}",
    )


async def enqueue(store: Store, *entries: OutboxEntry, now: datetime = NOW) -> None:
    """Commit entries as transitions would (one commit per conversation, in order)."""
    for entry in entries:
        await store.commit(Commit(conversation_id=entry.conversation_id, now=now, outbox=[entry]))


def signed_headers(
    body: bytes, key: str | None = "key-1", secret: str = APP_SECRET
) -> dict[str, str]:
    headers = {
        "Authorization": sign_body(APP_KEY, secret, body),
        "Content-Type": "application/json",
    }
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def call(
    client: Client,
    method: str,
    path: str,
    body: Any,
    key: str | None = "key-1",
    secret: str = APP_SECRET,
) -> tuple[int, Any]:
    """A signed call to the sandbox; returns (status, decoded JSON answer)."""
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = signed_headers(raw, key, secret)
    async with client.request(method, path, data=raw, headers=headers) as response:
        return response.status, orjson.loads(await response.read())
