"""Effects become outbox entries: domain effects with their keys, for any platform.

Texts are rendered at commit time, in each reader's locale and timezone. Cards are
rendered when they are delivered (`CardMaterializer`), from the request as committed
then: a card is the costliest thing the bot makes, rendering it off the webhook path
keeps answers fast, and a card update that a newer one has already overtaken in the
outbox is never rendered or sent at all. How an effect reaches the marketplace is its
platform's business (`bot.platforms`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from bot.core.effects import (
    CreateReplacementOrder,
    CreateShipment,
    Effect,
    EffectKind,
    IssueRefund,
    Notify,
    ParamValue,
    SendCard,
    UpdateCard,
)
from bot.core.models import Audience, ReshipmentRequest
from storage.base import OutboxEntry
from storage.codec import new_entry_id


class Rendering(Protocol):
    """What the outbox needs from the card renderer (`cards.render.Renderer`)."""

    def card(self, request: ReshipmentRequest, card_id: str) -> Any: ...

    def text(
        self, message: str, params: Mapping[str, ParamValue], locale: str, timezone: str
    ) -> str: ...

    def reader(self, request: ReshipmentRequest | None, audience: Audience) -> tuple[str, str]: ...


class OutboxPlanner:
    """The rules' effects as outbox entries: what to do, for whom, under which key.

    Payloads by kind (`EffectKind`):

    - `text`: `{"audience", "text"}`, rendered now in the reader's locale and timezone
    - `card`, `card_update`: `{"card_id", "version", "audience"}`; the card itself is
      rendered at delivery into `"card"` (see `CardMaterializer`)
    - `refund`: `{"order_id", "amount", "currency", "kind"}`
    - `replacement_order`: `{"order_id", "lines": [{"line_id", "quantity"}],
      "shipping_option", "ship_by"}`
    - `shipment`: `{"replacement_order_id", "shipping_option"}` and, with seller
      shipping, `"carrier"` and `"tracking_number"`

    Keys: `refund:R`, `replacement-order:R`, `shipment:R` (one of each per request, ever),
    `card:CARD_ID:vN` for a card update, `key_base:n` for the rest.
    """

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
            kind, payload, key = self._entry(request, effect)
            entries.append(
                OutboxEntry(
                    entry_id=new_entry_id(now),
                    conversation_id=conversation_id,
                    request_id=request.request_id if request else None,
                    effect=kind,
                    payload=payload,
                    idempotency_key=key or f"{key_base}:{index}",
                    created_at=now,
                )
            )
        return entries

    def _entry(self, request: ReshipmentRequest | None, effect: Effect) -> Planned:
        if isinstance(effect, Notify):
            locale, timezone = self._renderer.reader(request, effect.audience)
            text = self._renderer.text(effect.message, effect.params, locale, timezone)
            return EffectKind.text, {"audience": effect.audience.value, "text": text}, None
        if request is None:
            raise ValueError(f"{type(effect).__name__} needs a request")
        return _request_entry(request, effect)


Planned = tuple[EffectKind, dict[str, Any], str | None]  # (kind, payload, own key or None)


def _request_entry(request: ReshipmentRequest, effect: Effect) -> Planned:
    rid = request.request_id
    if isinstance(effect, SendCard | UpdateCard):
        state = request.card(effect.card_id)
        if state is None:
            raise ValueError(f"request {rid} has no card {effect.card_id!r}")
        payload = {"card_id": state.card_id, "version": state.version}
        payload["audience"] = state.audience.value
        if isinstance(effect, SendCard):
            return EffectKind.card, payload, None
        return EffectKind.card_update, payload, f"card:{effect.card_id}:v{state.version}"
    if isinstance(effect, IssueRefund):
        refund = {
            "order_id": request.order.order_id,
            "amount": str(effect.amount),
            "currency": effect.currency,
            "kind": effect.kind.value,
        }
        return EffectKind.refund, refund, f"refund:{rid}"
    if isinstance(effect, CreateReplacementOrder):
        order = {
            "order_id": request.order.order_id,
            "lines": [{"line_id": line, "quantity": qty} for line, qty in effect.lines],
            "shipping_option": effect.shipping_option.value,
            "ship_by": effect.ship_by.isoformat().replace("+00:00", "Z"),
        }
        return EffectKind.replacement_order, order, f"replacement-order:{rid}"
    if isinstance(effect, CreateShipment):
        shipment: dict[str, Any] = {
            "replacement_order_id": request.replacement_order_id,
            "shipping_option": effect.shipping_option.value,
        }
        if effect.carrier is not None:
            shipment["carrier"] = effect.carrier
        if effect.tracking_number is not None:
            shipment["tracking_number"] = effect.tracking_number
        return EffectKind.shipment, shipment, f"shipment:{rid}"
    raise TypeError(f"unknown effect {type(effect).__name__}")


class Requests(Protocol):
    """What rendering a card at delivery needs from the store."""

    async def read_conversation(self, conversation_id: str, event_id: str | None = None) -> Any: ...


class CardMaterializer:
    """Renders a card entry's card when it is about to be delivered (`payload["card"]`).

    The card is rendered from the request as it is now, at its current version. An
    update whose version a later update has overtaken is dropped: that later entry,
    behind it in the conversation's queue, sends the newer card. A new card is always
    sent, at the newest version, so the updates after it apply.
    """

    def __init__(self, store: Requests, renderer: Rendering) -> None:
        self._store = store
        self._renderer = renderer

    async def __call__(self, entry: OutboxEntry) -> OutboxEntry | None:
        if not entry.effect.shows_card or entry.request_id is None:
            return entry
        payload = entry.payload
        view = await self._store.read_conversation(entry.conversation_id)
        request: ReshipmentRequest | None = view.request(entry.request_id)
        state = request.card(str(payload.get("card_id"))) if request is not None else None
        if request is None or state is None:
            return None
        planned = int(payload.get("version", 0))
        if entry.effect is EffectKind.card_update and state.version > planned:
            return None
        card = self._renderer.card(request, state.card_id).model_dump(mode="json")
        key = entry.idempotency_key
        if entry.effect is EffectKind.card and state.version != planned:
            # Not the version planned: an earlier attempt under the planned key may have
            # delivered an older rendering (its acknowledgement lost), and a key must
            # never carry another body. The platform answers a card it already has with
            # 409 (done); the updates behind this entry bring it up to date.
            key = f"{key}:v{state.version}"
        rendered = {**payload, "version": state.version, "card": card}
        return replace(entry, payload=rendered, idempotency_key=key)
