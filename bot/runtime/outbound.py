"""Effects become platform calls (SPEC §3.2): keyed, and put in the outbox.

Texts are rendered at commit time, in each reader's locale and timezone. Cards are
rendered when they are delivered (`CardMaterializer`), from the request as committed
then: a card is the costliest thing the bot makes, rendering it off the webhook path
keeps answers fast, and a card update that a newer one has already overtaken in the
outbox is never rendered or sent at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

from bot.core.effects import (
    CreateReplacementOrder,
    CreateShipment,
    Effect,
    IssueRefund,
    Notify,
    ParamValue,
    SendCard,
    UpdateCard,
)
from bot.core.models import Audience, ReshipmentRequest
from storage.base import OutboxEntry
from storage.codec import new_entry_id

FEEDBACK_REFUND = "refund"
FEEDBACK_REPLACEMENT_ORDER = "replacement_order"
FEEDBACK_SHIPMENT = "shipment"
RENDER_CARD = "card"

Call = tuple[str, str, dict[str, Any], str | None, str | None, str | None]


class CardLike(Protocol):
    def model_dump(self, *, mode: str = ...) -> dict[str, Any]: ...


class Rendering(Protocol):
    """What the outbox needs from the card renderer (`cards.render.Renderer`)."""

    def card(self, request: ReshipmentRequest, card_id: str) -> Any: ...

    def text(
        self, message: str, params: Mapping[str, ParamValue], locale: str, timezone: str
    ) -> str: ...

    def reader(self, request: ReshipmentRequest | None, audience: Audience) -> tuple[str, str]: ...


class OutboxPlanner:
    def __init__(self, renderer: Rendering) -> None:
        self._renderer = renderer

    def plan(
        self,
        conversation_id: str,
        request: ReshipmentRequest | None,
        effects: Sequence[Effect],
        now: datetime,
        key_base: str,
    ) -> list[OutboxEntry]:
        """One outbox entry per effect, keyed `key_base:n` unless the effect has its own key."""
        entries = []
        for index, effect in enumerate(effects):
            method, path, body, key, feedback, render = self._call(conversation_id, request, effect)
            entries.append(
                OutboxEntry(
                    entry_id=new_entry_id(now),
                    conversation_id=conversation_id,
                    request_id=request.request_id if request else None,
                    method=method,
                    path=path,
                    body=body,
                    idempotency_key=key or f"{key_base}:{index}",
                    created_at=now,
                    feedback=feedback,
                    render=render,
                )
            )
        return entries

    def _call(
        self, conversation_id: str, request: ReshipmentRequest | None, effect: Effect
    ) -> Call:
        if isinstance(effect, Notify):
            locale, timezone = self._renderer.reader(request, effect.audience)
            text = self._renderer.text(effect.message, effect.params, locale, timezone)
            message = {"type": "text", "text": text}
            body = {
                "conversation_id": conversation_id,
                "audience": effect.audience.value,
                "message": message,
            }
            return "POST", "/v1/chat/messages", body, None, None, None
        if request is None:
            raise ValueError(f"{type(effect).__name__} needs a request")
        return self._request_call(conversation_id, request, effect)

    def _request_call(
        self, conversation_id: str, request: ReshipmentRequest, effect: Effect
    ) -> Call:
        rid = request.request_id
        if isinstance(effect, SendCard | UpdateCard):
            state = request.card(effect.card_id)
            if state is None:
                raise ValueError(f"request {rid} has no card {effect.card_id!r}")
            body = {
                "conversation_id": conversation_id,
                "card_id": state.card_id,
                "version": state.version,
                "audience": state.audience.value,
            }
            if isinstance(effect, SendCard):
                return "POST", "/v1/chat/messages", body, None, None, RENDER_CARD
            path = f"/v1/chat/cards/{quote(effect.card_id, safe='')}"
            key = f"card:{effect.card_id}:v{state.version}"
            return "PUT", path, body, key, None, RENDER_CARD
        if isinstance(effect, IssueRefund):
            body = {
                "request_id": rid,
                "order_id": request.order.order_id,
                "amount": str(effect.amount),
                "currency": effect.currency,
                "kind": effect.kind.value,
            }
            return "POST", "/v1/refunds", body, f"refund:{rid}", FEEDBACK_REFUND, None
        if isinstance(effect, CreateReplacementOrder):
            body = {
                "request_id": rid,
                "order_id": request.order.order_id,
                "lines": [{"line_id": line, "quantity": qty} for line, qty in effect.lines],
                "shipping_option": effect.shipping_option.value,
                "shipping_fee_paid_by": "seller",
                "ship_by": effect.ship_by.isoformat().replace("+00:00", "Z"),
            }
            key = f"replacement-order:{rid}"
            return "POST", "/v1/replacement-orders", body, key, FEEDBACK_REPLACEMENT_ORDER, None
        if isinstance(effect, CreateShipment):
            body = {
                "request_id": rid,
                "replacement_order_id": request.replacement_order_id,
                "shipping_option": effect.shipping_option.value,
            }
            if effect.carrier is not None:
                body["carrier"] = effect.carrier
            if effect.tracking_number is not None:
                body["tracking_number"] = effect.tracking_number
            return "POST", "/v1/shipments", body, f"shipment:{rid}", FEEDBACK_SHIPMENT, None
        raise TypeError(f"unknown effect {type(effect).__name__}")


class Requests(Protocol):
    """What rendering a card at delivery needs from the store."""

    async def read_conversation(self, conversation_id: str, event_id: str | None = None) -> Any: ...


class CardMaterializer:
    """Renders a card entry's body when it is about to be delivered.

    The card is rendered from the request as it is now, at its current version. An
    update (`PUT`) whose version a later update has overtaken is dropped: that later
    entry, behind it in the conversation's queue, sends the newer card. A new card
    (`POST`) is always sent, at the newest version, so the updates after it apply.
    """

    def __init__(self, store: Requests, renderer: Rendering) -> None:
        self._store = store
        self._renderer = renderer

    async def __call__(self, entry: OutboxEntry) -> OutboxEntry | None:
        if entry.render != RENDER_CARD or entry.request_id is None:
            return entry
        body = entry.body
        view = await self._store.read_conversation(entry.conversation_id)
        request: ReshipmentRequest | None = view.request(entry.request_id)
        state = request.card(str(body.get("card_id"))) if request is not None else None
        if request is None or state is None:
            return None
        if entry.method == "PUT" and state.version > int(body.get("version", 0)):
            return None
        card = self._renderer.card(request, state.card_id).model_dump(mode="json")
        conversation_id = entry.conversation_id
        key = entry.idempotency_key
        if entry.method == "POST":
            rendered: dict[str, Any] = {
                "conversation_id": conversation_id,
                "audience": card["audience"],
                "message": {"type": "card", "card": card},
            }
            if state.version != int(body.get("version", 0)):
                # Not the version planned: an earlier attempt under the planned key may
                # have delivered an older rendering (its acknowledgement lost), and a key
                # must never carry another body. The platform answers a card it already
                # has with 409 (done); the updates behind this entry bring it up to date.
                key = f"{key}:v{state.version}"
        else:
            rendered = {"conversation_id": conversation_id, "card": card}
        return replace(entry, body=rendered, render=None, idempotency_key=key)
