"""What the sandbox platform holds and did: calls, chat threads, refunds, orders, shipments.

The effect methods take validated bodies and return `(status, answer)`; they never
await, so in the event loop each one is atomic together with the idempotency check
around it. The knobs (`fail_next`, `fail_path`, `delay`) make the platform misbehave.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from dataclasses import asdict, dataclass, replace
from typing import Any

from bot.platforms.generic.sandbox.wire import (
    CardUpdateIn,
    MessageIn,
    RefundIn,
    ReplacementOrderIn,
    ShipmentIn,
)

Answer = tuple[int, dict[str, Any]]

SANDBOX_CARRIER = "Sandbox Express"


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@dataclass(frozen=True)
class SandboxCall:
    """One call as the sandbox saw it (the signature itself is not kept, only its verdict)."""

    method: str
    path: str  # relative to the sandbox (/v1/refunds), whatever prefix it is mounted under
    idempotency_key: str | None
    content_type: str | None
    signature_valid: bool
    body: Any  # the decoded JSON, None when it was not JSON
    status: int
    replayed: bool  # answered from the idempotency record, without an effect


@dataclass(frozen=True)
class SandboxMessage:
    """A chat message as the conversation shows it; a card holds its latest version."""

    message_id: str
    conversation_id: str
    audience: str
    type: str  # text | card
    text: str | None = None
    card: dict[str, Any] | None = None
    updates: int = 0  # how many times the card was updated in place


@dataclass(frozen=True)
class SavedAnswer:
    fingerprint: str  # of the call that produced it: method, path, body
    status: int
    body: dict[str, Any]


class SandboxState:
    """The sandbox platform's memory, readable by tests and the console."""

    def __init__(self) -> None:
        self.calls: list[SandboxCall] = []
        self.messages: dict[str, list[SandboxMessage]] = {}  # per conversation, in order
        self.refunds: list[dict[str, Any]] = []
        self.replacement_orders: list[dict[str, Any]] = []
        self.shipments: list[dict[str, Any]] = []
        self._cards: dict[str, tuple[str, int]] = {}  # card id → (conversation, index)
        self._saved: dict[str, SavedAnswer] = {}
        self._effects: Counter[str] = Counter()
        self._failures: deque[int] = deque()
        self._failing_paths: dict[str, int] = {}
        self._delay = 0.0
        self._ids = itertools.count(1)

    # --- knobs -----------------------------------------------------------------------
    def fail_next(self, n: int, status: int = 500) -> None:
        """The next `n` calls answer `status` with no effect (after any delay)."""
        self._failures.extend([status] * n)

    def fail_path(self, prefix: str, status: int) -> None:
        """Every call to a path starting with `prefix` answers `status` until cleared."""
        self._failing_paths[prefix] = status

    def delay(self, seconds: float) -> None:
        """Wait `seconds` before answering each call; the effect still happens after it."""
        self._delay = max(0.0, seconds)

    def clear_faults(self) -> None:
        self._failures.clear()
        self._failing_paths.clear()
        self._delay = 0.0

    @property
    def answer_delay(self) -> float:
        return self._delay

    def take_fault(self, path: str) -> int | None:
        """The status an injected failure gives this call, if one does."""
        if self._failures:
            return self._failures.popleft()
        for prefix, status in self._failing_paths.items():
            if path.startswith(prefix):
                return status
        return None

    # --- idempotency -----------------------------------------------------------------
    def saved(self, idempotency_key: str) -> SavedAnswer | None:
        return self._saved.get(idempotency_key)

    def remember(self, idempotency_key: str, answer: SavedAnswer) -> None:
        """A call under this key had its effect; later ones get `answer` back."""
        self._saved[idempotency_key] = answer
        self._effects[idempotency_key] += 1

    def effect_count(self, idempotency_key: str) -> int:
        """How many effects calls with this key caused (1 when idempotency holds)."""
        return self._effects[idempotency_key]

    # --- reading ---------------------------------------------------------------------
    def conversation(self, conversation_id: str) -> list[SandboxMessage]:
        return list(self.messages.get(conversation_id, ()))

    def card(self, card_id: str) -> dict[str, Any] | None:
        """The latest version of a posted card."""
        place = self._cards.get(card_id)
        if place is None:
            return None
        return self.messages[place[0]][place[1]].card

    def calls_to(self, path_prefix: str) -> list[SandboxCall]:
        return [call for call in self.calls if call.path.startswith(path_prefix)]

    def snapshot(self) -> dict[str, Any]:
        """Everything as plain JSON-able data."""
        return {
            "calls": [asdict(call) for call in self.calls],
            "messages": {cid: [asdict(m) for m in ms] for cid, ms in self.messages.items()},
            "refunds": self.refunds,
            "replacement_orders": self.replacement_orders,
            "shipments": self.shipments,
        }

    # --- effects ---------------------------------------------------------------------
    def _next_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids):06d}"

    def post_message(self, body: MessageIn) -> Answer:
        message = body.message
        message_id = self._next_id("msg")
        thread = self.messages.setdefault(body.conversation_id, [])
        if message.type == "text":
            stored = SandboxMessage(
                message_id, body.conversation_id, body.audience, "text", text=message.text
            )
        else:
            card = message.card.model_dump(mode="json")
            if card["card_id"] in self._cards:
                return 409, error("card_exists", "a card with this card_id was already posted")
            self._cards[card["card_id"]] = (body.conversation_id, len(thread))
            stored = SandboxMessage(
                message_id, body.conversation_id, body.audience, "card", card=card
            )
        thread.append(stored)
        return 200, {"message_id": message_id}

    def update_card(self, card_id: str, body: CardUpdateIn) -> Answer:
        card = body.card.model_dump(mode="json")
        if card["card_id"] != card_id:
            return 422, error("card_id_mismatch", "card.card_id differs from the path")
        place = self._cards.get(card_id)
        if place is None:
            return 404, error("card_not_found", "no card with this card_id was posted")
        conversation_id, index = place
        if conversation_id != body.conversation_id:
            return 422, error("conversation_mismatch", "the card is in another conversation")
        current = self.messages[conversation_id][index]
        if current.card is not None and card["version"] <= current.card["version"]:
            return 409, error("stale_card_version", "the card already has this version")
        updated = replace(current, card=card, updates=current.updates + 1)
        self.messages[conversation_id][index] = updated
        return 200, {"card_id": card_id, "version": card["version"]}

    def create_refund(self, body: RefundIn) -> Answer:
        for refund in self.refunds:
            if refund["request_id"] == body.request_id:
                found = error("refund_exists", "this request was already refunded")
                return 409, {**found, "refund_id": refund["refund_id"]}
        refund_id = self._next_id("rf")
        self.refunds.append({"refund_id": refund_id, **body.model_dump(mode="json")})
        return 200, {"refund_id": refund_id}

    def create_replacement_order(self, body: ReplacementOrderIn) -> Answer:
        for order in self.replacement_orders:
            if order["request_id"] == body.request_id:
                found = error("replacement_order_exists", "this request already has one")
                return 409, {**found, "replacement_order_id": order["replacement_order_id"]}
        order_id = self._next_id("ro")
        self.replacement_orders.append(
            {"replacement_order_id": order_id, **body.model_dump(mode="json")}
        )
        return 200, {"replacement_order_id": order_id}

    def create_shipment(self, body: ShipmentIn) -> Answer:
        order = next(
            (
                o
                for o in self.replacement_orders
                if o["replacement_order_id"] == body.replacement_order_id
            ),
            None,
        )
        if order is None:
            return 404, error("replacement_order_not_found", "no such replacement order")
        refused = _shipment_refusal(order, body)
        if refused is not None:
            return 422, refused
        for shipment in self.shipments:
            if shipment["replacement_order_id"] == body.replacement_order_id:
                found = error("shipment_exists", "this replacement order was already shipped")
                tracking = {k: shipment[k] for k in ("carrier", "tracking_number")}
                return 409, {**found, **tracking}
        if body.carrier is not None and body.tracking_number is not None:
            carrier, tracking_number = body.carrier, body.tracking_number  # seller shipping
        else:
            carrier, tracking_number = SANDBOX_CARRIER, f"SBX{next(self._ids):010d}"
        self.shipments.append(
            {
                "request_id": body.request_id,
                "replacement_order_id": body.replacement_order_id,
                "shipping_option": body.shipping_option,
                "carrier": carrier,
                "tracking_number": tracking_number,
            }
        )
        return 200, {"carrier": carrier, "tracking_number": tracking_number}


def _shipment_refusal(order: dict[str, Any], body: ShipmentIn) -> dict[str, Any] | None:
    if order["request_id"] != body.request_id:
        return error("request_mismatch", "the replacement order belongs to another request")
    if order["shipping_option"] != body.shipping_option:
        return error("shipping_option_mismatch", "the order ships with another option")
    given = body.carrier is not None or body.tracking_number is not None
    if body.shipping_option == "platform" and given:
        return error("unexpected_tracking", "platform shipping gets its tracking from us")
    if body.shipping_option == "seller" and (not body.carrier or not body.tracking_number):
        return error("tracking_required", "seller shipping needs carrier and tracking_number")
    return None
