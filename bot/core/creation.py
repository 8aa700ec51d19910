"""T1: a reshipment request is created from the platform's `reshipment.requested` event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.core.commands import CreateRequest
from bot.core.effects import Effect, Notify, SendCard
from bot.core.models import (
    Actor,
    Audience,
    CardKind,
    CardState,
    CardStatus,
    Deadlines,
    OrderLine,
    RequestItem,
    ReshipmentRequest,
    Role,
    Status,
    TimelineEntry,
    card_id_for,
)
from bot.core.money import is_currency, quantize
from bot.core.policy import Policy
from bot.core.workdays import is_known_timezone

FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_REQUEST_AGE = timedelta(days=90)
"""A request made longer ago than this is not believed (a platform bug, or a replay)."""


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a `reshipment.requested` payload."""

    field: str  # a path like `items[0].quantity`
    problem: str


def create_request(
    cmd: CreateRequest, now: datetime, policy: Policy
) -> tuple[ReshipmentRequest, tuple[Effect, ...]] | Problem:
    """The new request and its first effects, or the first problem found in the payload."""
    problem = _validate(cmd, now)
    if problem is not None:
        return problem
    lines = {line.line_id: line for line in cmd.order.lines}
    items = tuple(
        RequestItem(
            line_id=item.line_id,
            name=lines[item.line_id].name,
            quantity=item.quantity,
            unit_price=lines[item.line_id].unit_price,
        )
        for item in cmd.items
    )
    currency = cmd.order.currency
    affected = quantize(
        sum((item.unit_price * item.quantity for item in items), Decimal(0)), currency
    )
    due = cmd.requested_at + policy.seller_response_window
    reminder = due - policy.seller_reminder_before
    card_id = card_id_for(cmd.request_id, CardKind.request, Audience.seller)
    request = ReshipmentRequest(
        request_id=cmd.request_id,
        shop_id=cmd.shop_id,
        conversation_id=cmd.conversation_id,
        status=Status.awaiting_seller,
        reason=cmd.reason,
        items=items,
        evidence=cmd.evidence,
        affected_value=affected,
        currency=currency,
        buyer=cmd.buyer,
        seller=cmd.seller,
        order=cmd.order,
        deadlines=Deadlines(seller_due_at=due),
        seller_reminder_at=reminder if policy.seller_reminder_before and reminder > now else None,
        cards=(
            CardState(
                card_id=card_id,
                kind=CardKind.request,
                audience=Audience.seller,
                version=1,
                status=CardStatus.open,
            ),
        ),
        version=1,
        timeline=(
            TimelineEntry(
                at=now,
                type="requested",
                actor=Actor(role=Role.buyer, id=cmd.buyer.id),
                detail={
                    "requested_at": cmd.requested_at.isoformat().replace("+00:00", "Z"),
                    "reason": cmd.reason.value,
                    "affected_value": str(affected),
                    "currency": currency,
                },
            ),
        ),
        created_at=now,
        updated_at=now,
    )
    effects: tuple[Effect, ...] = (
        SendCard(card_id),
        Notify(
            Audience.buyer, "request_received", {"request_id": cmd.request_id, "seller_due_at": due}
        ),
    )
    return request, effects


def _validate(cmd: CreateRequest, now: datetime) -> Problem | None:
    currency = cmd.order.currency
    if not is_currency(currency):
        return Problem("order.currency", f"{currency!r} is not an ISO 4217 currency code")
    if not is_known_timezone(cmd.seller.timezone):
        return Problem("seller.timezone", f"{cmd.seller.timezone!r} is not an IANA timezone")
    if cmd.requested_at.tzinfo is None or cmd.requested_at.utcoffset() is None:
        return Problem("requested_at", "must be a moment with a timezone")
    if cmd.requested_at > now + FUTURE_TOLERANCE:
        return Problem("requested_at", "is in the future")
    if cmd.requested_at < now - MAX_REQUEST_AGE:
        return Problem("requested_at", f"is more than {MAX_REQUEST_AGE.days} days ago")
    return (
        _validate_lines(cmd.order.lines, currency)
        or _validate_items(cmd)
        or _validate_total(cmd, currency)
    )


def _validate_lines(lines: tuple[OrderLine, ...], currency: str) -> Problem | None:
    if not lines:
        return Problem("order.lines", "the order has no lines")
    seen: set[str] = set()
    for index, line in enumerate(lines):
        where = f"order.lines[{index}]"
        if line.line_id in seen:
            return Problem(f"{where}.line_id", f"line {line.line_id!r} appears twice")
        seen.add(line.line_id)
        if line.quantity < 1:
            return Problem(f"{where}.quantity", "must be at least 1")
        problem = _price_problem(line.unit_price, currency)
        if problem is not None:
            return Problem(f"{where}.unit_price", problem)
    if all(line.unit_price == 0 for line in lines):
        return Problem("order.lines", "the order has no value: every unit_price is 0")
    return None


def _price_problem(price: Decimal, currency: str) -> str | None:
    if not price.is_finite():
        return "must be a number"
    if price < 0:
        return "must not be negative"
    try:
        exact = quantize(price, currency) == price
    except ArithmeticError:  # more digits than Decimal's precision can quantise
        return "is too large"
    return None if exact else f"has more digits than {currency} allows"


def _validate_total(cmd: CreateRequest, currency: str) -> Problem | None:
    """The affected value must itself be a quantisable amount."""
    prices = {line.line_id: line.unit_price for line in cmd.order.lines}
    total = sum((prices[item.line_id] * item.quantity for item in cmd.items), Decimal(0))
    try:
        quantize(total, currency)
    except ArithmeticError:
        return Problem("items", "the affected value is too large")
    return None


def _validate_items(cmd: CreateRequest) -> Problem | None:
    ordered = {line.line_id: line.quantity for line in cmd.order.lines}
    if not cmd.items:
        return Problem("items", "name at least one order line")
    seen: set[str] = set()
    for index, item in enumerate(cmd.items):
        where = f"items[{index}]"
        if item.line_id not in ordered:
            return Problem(f"{where}.line_id", f"{item.line_id!r} is not a line of the order")
        if item.line_id in seen:
            return Problem(f"{where}.line_id", f"line {item.line_id!r} appears twice")
        seen.add(item.line_id)
        if not 1 <= item.quantity <= ordered[item.line_id]:
            return Problem(
                f"{where}.quantity",
                f"must be between 1 and the ordered quantity {ordered[item.line_id]}",
            )
    return None
