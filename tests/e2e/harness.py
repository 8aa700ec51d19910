"""Drive the real bot over HTTP: signed webhooks in, a recording platform out.

`BotHarness` wraps one running reshipbot (aiohttp test server on a real port, with the
real app, dispatcher, outbox worker and scheduler) and one sandbox platform server that
verifies signatures and records every call.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
import orjson
import pytest

from bot.core.clock import OffsetClock
from bot.platforms.generic.sandbox import SandboxCall, SandboxState
from bot.platforms.generic.signing import sign_body
from bot.runtime.services import Services
from tests.timing import WAIT, patience

APP_KEY = "e2e-app-key"
APP_SECRET = "e2e-app-secret-0123456789"
OLD_APP_SECRET = "e2e-old-app-secret-0123456789"
AGENT_TOKEN = "e2e-agent-token-0123456789"
TOKEN_SECRET = "e2e-token-secret-0123456789"

BUYER = {"role": "buyer", "id": "buyer-1"}
SELLER = {"role": "seller", "id": "seller-1"}
OTHER_BUYER = {"role": "buyer", "id": "buyer-2"}
OTHER_SELLER = {"role": "seller", "id": "seller-2"}
AGENT = {"role": "agent", "id": "agent-1"}

memory_only = pytest.mark.parametrize("backend", ["memory"])
"""Narrow a test to the memory store (for slow or store-independent cases)."""


def card_id(kind: str, request_id: str = "RQ-1") -> str:
    """The id of a request's card: `request`/`offer` (…) with its fixed reader."""
    audience = "seller" if kind == "request" else "buyer"
    return f"{request_id}.{kind}.{audience}"


_events = itertools.count(1)

SOON = timedelta(seconds=5)  # see `BotHarness.settle`


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class BotHarness:
    base_url: str
    session: aiohttp.ClientSession
    platform: SandboxState
    services: Services | None
    clock: OffsetClock
    app_key: str = APP_KEY
    secret: str = APP_SECRET
    sent: list[str] = field(default_factory=list)
    platform_url: str = ""  # where the platform is served (the bot may be told another URL)
    shop_id: str = "shop-1"  # the shop every event comes from, unless one says otherwise

    # --- webhooks ------------------------------------------------------------------------

    def envelope(
        self,
        type_: str,
        data: dict[str, Any],
        *,
        event_id: str | None = None,
        timestamp: int | None = None,
        shop_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "type": type_,
            "event_id": event_id or f"evt-{next(_events)}-{uuid.uuid4().hex[:8]}",
            "shop_id": shop_id or self.shop_id,
            "timestamp": int(self.clock.now().timestamp()) if timestamp is None else timestamp,
            "data": data,
        }

    async def post_raw(
        self, body: bytes, signature: str | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        sent_headers = {"Content-Type": "application/json"}
        if signature is None:
            signature = sign_body(self.app_key, self.secret, body)
        if signature:
            sent_headers["Authorization"] = signature
        sent_headers.update(headers or {})
        async with self.session.post(
            f"{self.base_url}/webhooks/chat", data=body, headers=sent_headers
        ) as response:
            raw = await response.read()
            try:
                payload = orjson.loads(raw) if raw else None
            except orjson.JSONDecodeError:
                payload = raw.decode(errors="replace")
            return Answer(response.status, payload)

    async def raw_http(self, head: bytes, body: bytes = b"") -> int:
        """Send a hand-made HTTP/1.1 request (any header bytes); return the status."""
        host, port = self.base_url.removeprefix("http://").rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            length = b"Content-Length: %d\r\n" % len(body)
            writer.write(head.rstrip(b"\r\n") + b"\r\n" + length + b"Connection: close\r\n\r\n")
            writer.write(body)
            await writer.drain()
            status_line = await reader.readline()
        finally:
            writer.close()
            await writer.wait_closed()
        return int(status_line.split()[1])

    async def send(self, type_: str, data: dict[str, Any], **options: Any) -> Answer:
        event = self.envelope(type_, data, **options)
        self.sent.append(event["event_id"])
        return await self.post_raw(orjson.dumps(event))

    async def request(
        self, request_id: str = "RQ-1", conversation_id: str = "conv-1", **overrides: Any
    ) -> Answer:
        return await self.send(
            "reshipment.requested",
            requested_data(request_id, conversation_id, self.clock, **overrides),
        )

    async def chat(
        self, text: str, sender: dict[str, str] = SELLER, conversation_id: str = "conv-1"
    ) -> Answer:
        return await self.send("chat.message", chat_data(text, sender, conversation_id))

    async def click(
        self,
        card: dict[str, Any],
        action: str,
        actor: dict[str, str],
        form: dict[str, str] | None = None,
        token: str | None = None,
        conversation_id: str = "conv-1",
    ) -> Answer:
        return await self.send(
            "card.action", click_data(card, action, actor, form, token, conversation_id)
        )

    async def logistics(
        self,
        tracking_number: str,
        status: str,
        carrier: str = "Flash",
        description: str = "",
        occurred_at: int | None = None,
    ) -> Answer:
        occurred_at = occurred_at or int(self.clock.now().timestamp())
        return await self.send(
            "logistics.updated",
            logistics_data(tracking_number, status, occurred_at, carrier, description),
        )

    # --- reading state --------------------------------------------------------------------

    async def api(self, path: str, token: str | None = AGENT_TOKEN) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.session.get(f"{self.base_url}{path}", headers=headers) as response:
            raw = await response.read()
            return Answer(response.status, orjson.loads(raw) if raw else None)

    async def get_request(self, request_id: str = "RQ-1") -> dict[str, Any]:
        answer = await self.api(f"/api/requests/{request_id}")
        assert answer.status == 200, answer
        body: dict[str, Any] = answer.body
        return body

    def card(self, card_id: str) -> dict[str, Any] | None:
        """The card as the platform shows it now (after in-place updates)."""
        return self.platform.card(card_id)

    def texts(self, conversation_id: str = "conv-1", audience: str | None = None) -> list[str]:
        return [
            message.text or ""
            for message in self.platform.conversation(conversation_id)
            if message.type == "text" and (audience is None or message.audience == audience)
        ]

    async def eventually(
        self, check: Callable[[], Any], timeout: float = WAIT, what: str = "condition"
    ) -> Any:
        """Poll `check` (sync or async) until it returns something truthy.

        `timeout` is a ceiling, not an expectation: it is stretched by
        RESHIPBOT_TEST_TIME_SCALE, and a passing test never comes near it.
        """
        deadline = time.monotonic() + patience(timeout)
        last: Any = None
        while time.monotonic() < deadline:
            last = check()
            if asyncio.iscoroutine(last):
                last = await last
            if last:
                return last
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")

    async def card_at(self, card_id: str, version: int) -> dict[str, Any]:
        card: dict[str, Any] = await self.eventually(
            lambda: (c := self.card(card_id)) is not None and c["version"] >= version and c,
            what=f"card {card_id} at version {version}",
        )
        return card

    async def request_at(self, status: str, request_id: str = "RQ-1") -> dict[str, Any]:
        async def check() -> dict[str, Any] | None:
            body = await self.get_request(request_id)
            return body if body["status"] == status else None

        found: dict[str, Any] = await self.eventually(check, what=f"{request_id} {status}")
        return found

    async def reply(
        self,
        containing: str,
        audience: str | None = None,
        conversation_id: str = "conv-1",
        since: int = 0,
    ) -> str:
        """The chat text (to `audience`) containing `containing`, once it arrived.

        `since` skips the conversation's first texts (`len(texts())` before the action).
        """

        def check() -> str | None:
            texts = [m for m in self.platform.conversation(conversation_id) if m.type == "text"]
            for message in texts[since:]:
                if containing in (message.text or "") and audience in (None, message.audience):
                    return message.text
            return None

        found: str = await self.eventually(
            check, what=f"a text to {audience or 'anyone'} containing {containing!r}"
        )
        return found

    async def settle(self, quiet: float = 0.1) -> None:
        """Wait until the bot has nothing to deliver soon, none in flight, and the platform
        got no call for `quiet` s.

        "Soon" is `SOON` ahead of the bot's clock: the retries of tests' outboxes are due
        within a second, while an entry leased by a worker that lost it (15 s or more) is
        not. A process fleet, without in-process services, only waits for the quiet spell.
        """
        seen, still_since = -1, time.monotonic()
        deadline = time.monotonic() + patience()
        while time.monotonic() < deadline:
            if await self._busy() or len(self.platform.calls) != seen:
                seen, still_since = len(self.platform.calls), time.monotonic()
            elif time.monotonic() - still_since >= quiet:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the bot kept calling the platform")

    async def _busy(self) -> bool:
        if self.services is None:
            return False
        if self.services.outbox is not None and self.services.outbox.in_flight > 0:
            return True
        next_at = await self.services.store.next_delivery_at()
        return next_at is not None and next_at <= self.clock.now() + SOON

    def calls(self, path_prefix: str) -> list[SandboxCall]:
        return self.platform.calls_to(path_prefix)

    async def timeline(self, request_id: str = "RQ-1") -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (await self.get_request(request_id))["timeline"]
        return entries

    async def field_set(self, name: str, request_id: str = "RQ-1") -> Any:
        """Wait until the request's `name` is set (from a platform answer); return it."""

        async def check() -> Any:
            return (await self.get_request(request_id))[name]

        return await self.eventually(check, what=f"{request_id} {name}")

    async def tracking_number(self, request_id: str = "RQ-1") -> str:
        async def check() -> str | None:
            shipment: dict[str, Any] | None = (await self.get_request(request_id))["shipment"]
            return shipment["tracking_number"] if shipment else None

        number: str = await self.eventually(check, what=f"{request_id} tracking number")
        return number

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    # --- journeys: a request brought to a state, the usual way ----------------------------

    async def requested(self, request_id: str = "RQ-1", **overrides: Any) -> dict[str, Any]:
        """A new request; returns the seller's request card as the platform shows it."""
        answer = await self.request(request_id, **overrides)
        assert answer.status == 200, answer
        return await self.card_at(card_id("request", request_id), 1)

    async def approved(self, request_id: str = "RQ-1", **overrides: Any) -> None:
        """Requested, approved by the seller, the replacement order created."""
        conversation_id = overrides.get("conversation_id", "conv-1")
        await self.requested(request_id, **overrides)
        answer = await self.chat(f"/approve #{request_id}", conversation_id=conversation_id)
        assert answer.status == 200, answer
        await self.field_set("replacement_order_id", request_id)

    async def offered(self, amount: str = "10.00", **overrides: Any) -> dict[str, Any]:
        """Requested, and the seller offered `amount`; returns the buyer's offer card."""
        await self.requested(**overrides)
        assert (await self.chat(f"/offer {amount}")).status == 200
        await self.request_at("offer_pending")
        return await self.card_at(card_id("offer"), 1)


def requested_data(
    request_id: str, conversation_id: str, clock: OffsetClock, **overrides: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "request_id": request_id,
        "conversation_id": conversation_id,
        "requested_at": int(clock.now().timestamp()),
        "reason": "missing_items",
        "items": [{"line_id": "L1", "quantity": 2}],
        "evidence": {
            "note": "Only one of three cups was in the box.",
            "image_urls": ["https://img.example/1.jpg"],
        },
        "buyer": {"id": BUYER["id"], "locale": "en"},
        "seller": {"id": SELLER["id"], "locale": "en", "timezone": "Asia/Bangkok", "region": "TH"},
        "order": {
            "order_id": "ORD-1",
            "currency": "USD",
            "shipping_option": "platform",
            "lines": [
                {
                    "line_id": "L1",
                    "sku": "CUP",
                    "name": "Glass cup",
                    "quantity": 3,
                    "unit_price": "12.50",
                },
                {
                    "line_id": "L2",
                    "sku": "SAUCER",
                    "name": "Saucer",
                    "quantity": 3,
                    "unit_price": "4.00",
                },
            ],
        },
    }
    for key, value in overrides.items():
        if key in ("currency", "shipping_option"):
            data["order"][key] = value
        else:
            data[key] = value
    return data


def chat_data(
    text: str, sender: dict[str, str] = SELLER, conversation_id: str = "conv-1"
) -> dict[str, Any]:
    """`data` of a `chat.message` event (a new message id each time)."""
    return {
        "conversation_id": conversation_id,
        "message_id": f"m-{uuid.uuid4().hex[:10]}",
        "sender": sender,
        "text": text,
    }


def click_data(
    card: dict[str, Any],
    action: str,
    actor: dict[str, str],
    form: dict[str, str] | None = None,
    token: str | None = None,
    conversation_id: str = "conv-1",
) -> dict[str, Any]:
    """`data` of a `card.action` event: a click on `card`'s `action` (its own token by default)."""
    if token is None:
        token = next(a["token"] for a in card["actions"] if a["id"] == action)
    return {
        "conversation_id": conversation_id,
        "card_id": card["card_id"],
        "action": action,
        "token": token,
        "actor": actor,
        "form": form or {},
    }


def logistics_data(
    tracking_number: str,
    status: str,
    occurred_at: int,
    carrier: str = "Flash",
    description: str = "",
) -> dict[str, Any]:
    """`data` of a `logistics.updated` event."""
    return {
        "tracking_number": tracking_number,
        "carrier": carrier,
        "status": status,
        "description": description or status.replace("_", " "),
        "occurred_at": occurred_at,
    }
