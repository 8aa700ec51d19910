"""Outbox entries as stored: the effect with its payload, and entries an earlier version
stored as the generic platform's calls, read back as the effects they stand for (an
upgrade loses nothing waiting in the outbox)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bot.core.effects import EffectKind
from storage.codec import decode_entry, encode_entry
from tests.factories import make_entry

CARD = {"card_id": "RQ-1.offer.buyer", "version": 2, "audience": "buyer", "title": "Offer"}


def stored_call(method: str, path: str, body: dict[str, Any], **extra: Any) -> bytes:
    return orjson.dumps(
        {
            "entry_id": "0000000000001-000001-aaaaaaaa",
            "conversation_id": "conv-1",
            "request_id": "RQ-1",
            "method": method,
            "path": path,
            "body": body,
            "idempotency_key": "key-1",
            "created_at": "2026-11-26T09:00:00+00:00",
            "feedback": None,
            "attempts": 2,
            "last_error": "HTTP 503",
            **extra,
        }
    )


def test_an_entry_reads_back_as_it_was_written() -> None:
    entry = make_entry(effect=EffectKind.shipment, payload={"carrier": "Kerry", "n": [1, 2]})
    assert decode_entry(encode_entry(entry)) == entry


@pytest.mark.parametrize(
    ("raw", "effect", "payload"),
    [
        (
            stored_call(
                "POST",
                "/v1/chat/messages",
                {"audience": "seller", "message": {"type": "text", "text": "Hi"}},
            ),
            EffectKind.text,
            {"audience": "seller", "text": "Hi"},
        ),
        (
            stored_call(
                "POST",
                "/v1/chat/messages",
                {"card_id": "RQ-1.offer.buyer", "version": 2, "audience": "buyer"},
                render="card",
            ),
            EffectKind.card,
            {"card_id": "RQ-1.offer.buyer", "version": 2, "audience": "buyer"},
        ),
        (
            stored_call("PUT", "/v1/chat/cards/RQ-1.offer.buyer", {"card": CARD}),
            EffectKind.card_update,
            {"card_id": "RQ-1.offer.buyer", "version": 2, "audience": "buyer", "card": CARD},
        ),
        (
            stored_call(
                "POST",
                "/v1/refunds",
                {"request_id": "RQ-1", "order_id": "O-1", "amount": "5.00", "currency": "USD"},
                feedback="refund",
            ),
            EffectKind.refund,
            {"order_id": "O-1", "amount": "5.00", "currency": "USD"},
        ),
        (
            stored_call(
                "POST",
                "/v1/replacement-orders",
                {"request_id": "RQ-1", "order_id": "O-1", "shipping_fee_paid_by": "seller"},
            ),
            EffectKind.replacement_order,
            {"order_id": "O-1"},
        ),
        (
            stored_call("POST", "/v1/shipments", {"request_id": "RQ-1", "shipping_option": "x"}),
            EffectKind.shipment,
            {"shipping_option": "x"},
        ),
    ],
)
def test_an_entry_stored_as_a_platform_call_reads_as_its_effect(
    raw: bytes, effect: EffectKind, payload: dict[str, Any]
) -> None:
    entry = decode_entry(raw)

    assert (entry.effect, dict(entry.payload)) == (effect, payload)
    assert (entry.idempotency_key, entry.attempts, entry.last_error) == ("key-1", 2, "HTTP 503")
