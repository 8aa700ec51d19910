"""A bot without HTTP for timer tests: the real dispatcher, scheduler and outbox worker
on an injected `FakeClock`, with a platform that records what it is asked to do."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from bot.core.clock import FakeClock
from bot.core.commands import RefundIssued, ReplacementOrderCreated, ShipmentCreated
from bot.core.effects import EffectKind
from bot.core.events import InboundEvent
from bot.core.models import ReshipmentRequest
from bot.platforms.base import Delivery
from bot.platforms.generic.signing import sign_body
from bot.runtime.config import load_settings
from bot.runtime.dispatcher import Handled
from bot.runtime.outbound import CardMaterializer
from bot.runtime.outbox import OutboxWorker
from bot.runtime.scheduler import Scheduler
from bot.runtime.services import Services
from storage.base import OutboxEntry, Store

BUYER = {"role": "buyer", "id": "buyer-1"}
SELLER = {"role": "seller", "id": "seller-1"}
_ids = itertools.count(1)


class RecordingPlatform:
    """Carries out every effect like the platform would and keeps them in order."""

    def __init__(self) -> None:
        self.calls: list[OutboxEntry] = []

    async def deliver(self, entry: OutboxEntry) -> Delivery:
        self.calls.append(entry)
        payload, rid = entry.payload, entry.request_id
        if entry.effect is EffectKind.replacement_order:
            return Delivery.done(ReplacementOrderCreated(f"RO-{rid}"))
        if entry.effect is EffectKind.refund:
            return Delivery.done(RefundIssued(f"RF-{rid}"))
        if entry.effect is EffectKind.shipment:
            carrier = payload.get("carrier", "Flash")
            return Delivery.done(ShipmentCreated(carrier, payload.get("tracking_number", "TH1")))
        return Delivery.done()

    def texts(self, audience: str | None = None) -> list[str]:
        return [
            str(call.payload["text"])
            for call in self.calls
            if call.effect is EffectKind.text
            and (audience is None or call.payload["audience"] == audience)
        ]

    def effects(self) -> list[EffectKind]:
        return [call.effect for call in self.calls]


@dataclass
class Rig:
    services: Services
    store: Store
    clock: FakeClock
    platform: RecordingPlatform = field(default_factory=RecordingPlatform)

    def __post_init__(self) -> None:
        dispatcher = self.services.dispatcher
        self.scheduler = Scheduler(self.store, dispatcher, self.clock, lease=timedelta(seconds=30))
        self.outbox = OutboxWorker(
            self.store,
            self.platform,
            self.clock,
            on_result=dispatcher.apply_result,
            on_dead=lambda entry, error: dispatcher.record_dead(entry, error, entry.effect),
            materialize=CardMaterializer(self.store, self.services.renderer),
        )

    async def send(self, type_: str, data: Mapping[str, Any]) -> Handled:
        raw = {
            "type": type_,
            "event_id": f"evt-{next(_ids)}",
            "shop_id": "shop-1",
            "timestamp": int(self.clock.now().timestamp()),
            "data": dict(data),
        }
        body = orjson.dumps(raw)
        settings = self.services.settings
        secret = settings.signing_secret.get_secret_value()
        headers = {"Authorization": sign_body(settings.app_key, secret, body)}
        event = self.services.platform.receive(body, headers, self.clock.now())
        assert isinstance(event, InboundEvent), event
        return await self.services.dispatcher.handle(event)

    async def request(
        self,
        request_id: str = "RQ-1",
        conversation_id: str | None = None,
        requested_at: datetime | None = None,
        **order: Any,
    ) -> Handled:
        moment = requested_at or self.clock.now()
        return await self.send(
            "reshipment.requested",
            {
                "request_id": request_id,
                "conversation_id": conversation_id or f"conv-{request_id}",
                "requested_at": int(moment.timestamp()),
                "reason": "missing_items",
                "items": [{"line_id": "L1", "quantity": 1}],
                "buyer": {"id": BUYER["id"], "locale": "en"},
                "seller": {
                    "id": SELLER["id"],
                    "locale": "en",
                    "timezone": order.pop("timezone", "Asia/Bangkok"),
                    "region": order.pop("region", "TH"),
                },
                "order": {
                    "order_id": "ORD-1",
                    "currency": "USD",
                    "shipping_option": order.pop("shipping_option", "platform"),
                    "lines": [
                        {
                            "line_id": "L1",
                            "sku": "CUP",
                            "name": "Cup",
                            "quantity": 2,
                            "unit_price": "20.00",
                        }
                    ],
                },
            },
        )

    async def chat(
        self, text: str, sender: Mapping[str, str] = SELLER, conversation_id: str = "conv-RQ-1"
    ) -> Handled:
        return await self.send(
            "chat.message",
            {
                "conversation_id": conversation_id,
                "message_id": f"m-{next(_ids)}",
                "sender": dict(sender),
                "text": text,
            },
        )

    async def get(self, request_id: str = "RQ-1") -> ReshipmentRequest:
        found = await self.store.get_request(request_id)
        assert found is not None
        return found

    async def fire(self) -> int:
        """Fire every timer due now (one scheduler pass, repeated while batches are full)."""
        total = 0
        while fired := await self.scheduler.run_once():
            total += fired
        return total

    async def deliver(self) -> int:
        """Deliver the outbox until it is empty (platform results fed back)."""
        total = 0
        while delivered := await self.outbox.run_once():
            total += delivered
        return total

    def advance(self, **delta: float) -> datetime:
        return self.clock.advance(timedelta(**delta))


def settings(**env: str) -> Any:
    return load_settings({"RESHIPBOT_TOKEN_SECRET": "timer-tests-token-secret", **env})


async def make_rig(store: Store, clock: FakeClock, **env: str) -> Rig:
    services = Services(settings(**env), clock, role="web", store=store)
    await services.start()
    return Rig(services, store, clock)
