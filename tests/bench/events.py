"""A realistic mix of signed webhook events, each unique, in causal order.

Per conversation: the buyer's request; the seller's answer (`/offer 40%` or `/approve`);
the buyer's click on the negotiation card (a real signed token) or `/status`; a carrier
update for a seeded shipment; now and then a duplicate delivery of an earlier event and
a chat line that is not a command. Events of one conversation are `block` positions
apart, so a load generator with fewer connections than that keeps them in order.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from bot.core.commands import (
    Approve,
    ArrangeShipment,
    ReplacementOrderCreated,
)
from bot.core.models import Actor, Role, ShippingOption
from bot.core.policy import Policy
from bot.core.rules import decide
from bot.core.tokens import TokenClaims, TokenSigner
from bot.platforms.generic.signing import sign_body
from storage import RedisStore
from tests.bench.common import APP_KEY, APP_SECRET, TOKEN_SECRET
from tests.bench.seed import new_commit
from tests.bench.states import create_command

Event = tuple[str, bytes]  # (signature, body)
_ids = itertools.count(1)


def _sign(event: dict[str, object]) -> Event:
    body = orjson.dumps(event)
    return sign_body(APP_KEY, APP_SECRET, body), body


def _envelope(type_: str, data: dict[str, object], now: int) -> dict[str, object]:
    return {
        "type": type_,
        "event_id": f"bench-{next(_ids)}",
        "shop_id": "shop-bench",
        "timestamp": now,
        "data": data,
    }


def requested(request_id: str, conversation_id: str, now: int) -> dict[str, object]:
    return _envelope(
        "reshipment.requested",
        {
            "request_id": request_id,
            "conversation_id": conversation_id,
            "requested_at": now,
            "reason": "broken_or_unusable",
            "items": [{"line_id": "L1", "quantity": 2}],
            "evidence": {
                "note": "Two of the three mugs arrived cracked.",
                "image_urls": ["https://img.example/1.jpg"],
            },
            "buyer": {"id": f"buyer-{conversation_id}", "locale": "en"},
            "seller": {
                "id": "seller-bench",
                "locale": "en",
                "timezone": "Asia/Bangkok",
                "region": "TH",
            },
            "order": {
                "order_id": f"order-{request_id}",
                "currency": "USD",
                "shipping_option": "platform",
                "lines": [
                    {
                        "line_id": "L1",
                        "sku": "MUG",
                        "name": "Blue mug",
                        "quantity": 3,
                        "unit_price": "12.50",
                    },
                    {
                        "line_id": "L2",
                        "sku": "TEA",
                        "name": "Green tea",
                        "quantity": 1,
                        "unit_price": "8.00",
                    },
                ],
            },
        },
        now,
    )


def chat(conversation_id: str, role: str, actor_id: str, text: str, now: int) -> dict[str, object]:
    return _envelope(
        "chat.message",
        {
            "conversation_id": conversation_id,
            "message_id": f"m-{next(_ids)}",
            "sender": {"role": role, "id": actor_id},
            "text": text,
        },
        now,
    )


def accept_click(
    request_id: str, conversation_id: str, signer: TokenSigner, now: int
) -> dict[str, object]:
    card_id = f"{request_id}.offer.buyer"
    buyer = f"buyer-{conversation_id}"
    token = signer.sign(TokenClaims(request_id, card_id, 1, "accept_offer", "buyer", buyer))
    return _envelope(
        "card.action",
        {
            "conversation_id": conversation_id,
            "card_id": card_id,
            "action": "accept_offer",
            "token": token,
            "actor": {"role": "buyer", "id": buyer},
            "form": {},
        },
        now,
    )


def logistics(tracking_number: str, sequence: int, now: int) -> dict[str, object]:
    return _envelope(
        "logistics.updated",
        {
            "tracking_number": tracking_number,
            "carrier": "Flash",
            "status": "in_transit",
            "description": f"scan {sequence} at hub",
            "occurred_at": now - 3600 + sequence,
        },
        now,
    )


@dataclass
class Mix:
    events: list[Event]
    counts: dict[str, int]


def build_mix(
    units: int, trackings: list[str], *, block: int = 1000, tag: str = "a", now: int | None = None
) -> Mix:
    """`units` conversations' worth of events (about 5 per unit), causally ordered."""
    moment = now or int(datetime.now(UTC).timestamp())
    signer = TokenSigner(TOKEN_SECRET)
    events: list[Event] = []
    counts: dict[str, int] = {}
    logistics_seq = itertools.count()

    def add(kind: str, event: Event) -> None:
        events.append(event)
        counts[kind] = counts.get(kind, 0) + 1

    for start in range(0, units, block):
        unit_ids = range(start, min(units, start + block))
        first: list[Event] = []
        for u in unit_ids:
            event = _sign(requested(f"B{tag}{u}", f"c{tag}{u}", moment))
            first.append(event)
            add("reshipment.requested", event)
        for u in unit_ids:
            text = "/offer 40%" if u % 2 == 0 else "/approve"
            add(
                "chat.message (seller command)",
                _sign(chat(f"c{tag}{u}", "seller", "seller-bench", text, moment)),
            )
        for u in unit_ids:
            if u % 2 == 0:
                add(
                    "card.action (accept offer)",
                    _sign(accept_click(f"B{tag}{u}", f"c{tag}{u}", signer, moment)),
                )
            else:
                add(
                    "chat.message (buyer /status)",
                    _sign(chat(f"c{tag}{u}", "buyer", f"buyer-c{tag}{u}", "/status", moment)),
                )
        for u in unit_ids:
            n = next(logistics_seq)
            add("logistics.updated", _sign(logistics(trackings[n % len(trackings)], n, moment)))
            if u % 2 == 0:
                add("duplicate delivery", first[(u - start) // 2])
            else:
                add(
                    "chat.message (not a command)",
                    _sign(chat(f"c{tag}{u}", "buyer", f"buyer-c{tag}{u}", "thanks!", moment)),
                )
    return Mix(events, counts)


async def seed_shipments(redis_url: str, count: int, prefix: str) -> list[str]:
    """`count` requests already shipped with seller shipping; returns their tracking numbers."""
    store = RedisStore.from_url(redis_url, prefix=prefix)
    policy = Policy()
    now = datetime.now(UTC) - timedelta(hours=1)
    seller = Actor(role=Role.seller, id="seller-bench")
    trackings = []
    try:
        for n in range(count):
            request_id, conversation_id = f"S{n}", f"cs{n}"
            tracking = f"TRK{n:07d}"
            request = _shipped(request_id, conversation_id, tracking, seller, policy, now)
            await store.claim_request_id(request_id, conversation_id)
            await store.claim_tracking(tracking, conversation_id, request_id)
            await store.commit(new_commit(request, now))
            trackings.append(tracking)
    finally:
        await store.close()
    return trackings


def _shipped(
    request_id: str,
    conversation_id: str,
    tracking: str,
    seller: Actor,
    policy: Policy,
    now: datetime,
):  # type: ignore[no-untyped-def]
    create = create_command(request_id, conversation_id, now, ShippingOption.seller)
    steps: Iterator[object] = iter(
        [
            create,
            Approve(seller),
            ReplacementOrderCreated(f"RO-{request_id}"),
            ArrangeShipment(seller, "Flash", tracking),
        ]
    )
    request = None
    for command in steps:
        outcome = decide(request, command, now, policy)  # type: ignore[arg-type]
        request = outcome.request or request
    return request
