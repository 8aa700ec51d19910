"""What the console shows, as plain values: pure functions of a request, a clock reading
and the agent's timezone. No aiohttp, no store: the templates call these.

Times: every moment is shown absolute in the agent's timezone and relative to now
("in 1 d 3 h", "5 min ago"); the page's script keeps the relative part ticking with the
same wording (`static/console.js`, `relative()`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from babel.numbers import format_currency

from bot.core.effects import EffectKind
from bot.core.models import (
    OPEN_STATUSES,
    Actor,
    OfferStatus,
    ReshipmentRequest,
    Status,
)
from bot.core.schedule import nearest_deadline
from bot.web.api_view import iso
from storage.base import OutboxEntry
from storage.messages import message_record

DEFAULT_TIMEZONE = "UTC"
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]{1,64}$")

STATUS_LABELS = {
    Status.awaiting_seller: "Awaiting seller",
    Status.offer_pending: "Offer pending",
    Status.awaiting_shipment: "Awaiting shipment",
    Status.shipped: "Shipped",
    Status.delivered: "Delivered",
    Status.rejected: "Rejected",
    Status.refunded: "Refunded",
    Status.cancelled: "Cancelled",
}
REASON_LABELS = {"missing_items": "Missing items", "broken_or_unusable": "Broken or unusable"}
NEEDS_SELLER = frozenset({Status.awaiting_seller, Status.awaiting_shipment})
WAITING_FOR_BUYER = frozenset({Status.offer_pending})


# --- time --------------------------------------------------------------------------------
def agent_zone(name: str | None) -> ZoneInfo:
    """The agent's timezone from its IANA name; UTC when missing or unknown."""
    if name and _ZONE_NAME.match(name) and ".." not in name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(DEFAULT_TIMEZONE)


def relative(seconds: float, *, deadline: bool = False) -> str:
    """ "in 1 d 3 h", "5 min ago" (", overdue" for a passed deadline); mirrors console.js."""
    past = seconds < 0
    left = int(abs(seconds))
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        span = f"{days} d {hours} h" if hours else f"{days} d"
    elif hours:
        span = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    elif minutes:
        span = f"{minutes} min"
    else:
        span = f"{secs} s"
    if not past:
        return f"in {span}"
    return f"{span} ago, overdue" if deadline else f"{span} ago"


@dataclass(frozen=True)
class Moment:
    """One moment as shown: machine-readable UTC, absolute in the agent's zone, relative."""

    iso: str
    absolute: str
    relative: str
    past: bool


class Times:
    """Formats moments for one agent (their zone) at one reading of the clock."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.now = now
        self.zone = zone

    @property
    def zone_name(self) -> str:
        return str(self.zone.key)

    def absolute(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname() or self.zone_name}"

    def at(self, moment: datetime | None, *, deadline: bool = False) -> Moment | None:
        if moment is None:
            return None
        seconds = (moment - self.now).total_seconds()
        return Moment(
            iso=iso(moment) or "",
            absolute=self.absolute(moment),
            relative=relative(seconds, deadline=deadline),
            past=seconds < 0,
        )


# --- money and words -----------------------------------------------------------------------
def money(amount: Decimal | None, currency: str) -> str:
    """`1,234.50 USD`, with the currency's own number of fraction digits."""
    if amount is None:
        return "—"
    return str(format_currency(amount, currency, locale="en", format="#,##0.00\xa0¤¤"))


def status_label(status: Status | str) -> str:
    return STATUS_LABELS.get(Status(status), str(status))


def words(identifier: str | None) -> str:
    """`offer_accepted` → `Offer accepted`."""
    if not identifier:
        return "—"
    text = identifier.replace("_", " ")
    return text[:1].upper() + text[1:]


def card_name(card_id: str | None) -> str:
    """`RQ-1.offer.buyer` → `offer card for the buyer`."""
    parts = (card_id or "").rsplit(".", 2)
    if len(parts) != 3:
        return "card"
    return f"{parts[1]} card for the {parts[2]}"


def actor_label(actor: Actor | None) -> str:
    if actor is None:
        return "reshipbot (a rule or the platform)"
    return f"{actor.role.value} {actor.id}"


_ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def span(seconds: float) -> str:
    """A duration in the words of `relative`: `1 d 3 h`."""
    return relative(abs(seconds))[len("in ") :]


def detail_items(detail: dict[str, Any], times: Times) -> list[tuple[str, str]]:
    """A timeline entry's details as readable pairs: moments in the agent's zone,
    `…_remaining` seconds as a duration, nested values as compact JSON."""
    pairs = []
    for key, value in detail.items():
        if isinstance(value, str) and _ISO_UTC.match(value):
            shown = times.absolute(datetime.fromisoformat(value.replace("Z", "+00:00")))
        elif key.endswith("_remaining") and isinstance(value, int | float):
            shown = span(value)
        elif isinstance(value, str):
            shown = value
        else:
            shown = orjson.dumps(value).decode()
        pairs.append((words(key), shown))
    return pairs


# --- who acts next -----------------------------------------------------------------------
@dataclass(frozen=True)
class NextStep:
    actor: str  # "seller", "buyer", "carrier" or "nobody"
    action: str
    due: datetime | None


def next_step(request: ReshipmentRequest) -> NextStep:
    status = request.status
    due = nearest_deadline(request)
    if status is Status.awaiting_seller:
        if request.offer is not None and request.offer.status is not OfferStatus.pending:
            return NextStep("seller", "approve or reject (the offer ended)", due)
        return NextStep("seller", "approve, reject or propose a refund", due)
    if status is Status.offer_pending:
        return NextStep("buyer", "accept or decline the partial refund", due)
    if status is Status.awaiting_shipment:
        if request.replacement_order_id is None:
            return NextStep("seller", "ship (the replacement order is being created)", due)
        return NextStep("seller", "arrange the shipment", due)
    if status is Status.shipped:
        return NextStep("carrier", "deliver the replacement", None)
    return NextStep("nobody", "closed", None)


@dataclass(frozen=True)
class Deadline:
    label: str
    at: datetime | None
    running: bool  # the deadline the request works against now (its countdown ticks)
    note: str = ""


def deadlines(request: ReshipmentRequest) -> list[Deadline]:
    """The request's deadlines (only the current ones are kept on a request)."""
    found = request.deadlines
    shown = []
    if found.seller_due_at is not None:
        running = request.status is Status.awaiting_seller
        shown.append(Deadline("Seller answers by", found.seller_due_at, running))
    if found.offer_expires_at is not None:
        running = request.status is Status.offer_pending
        shown.append(Deadline("Buyer answers the offer by", found.offer_expires_at, running))
        offer = request.offer
        if running and offer is not None:
            left = span(offer.seller_remaining.total_seconds())
            note = f"paused while the buyer considers the offer: {left} left after it"
            shown.append(Deadline("Seller's time to answer", None, False, note))
    if found.ship_by is not None:
        running = request.status is Status.awaiting_shipment
        shown.append(Deadline("Seller ships by", found.ship_by, running))
    return shown


# --- the queue's filters -------------------------------------------------------------------
STATUS_CHOICES = ("open", "all", *(status.value for status in Status))
NEED_CHOICES = ("", "seller", "buyer")


def filter_statuses(status: str, need: str) -> tuple[frozenset[Status] | None, bool]:
    """(statuses to show or None for any, open only?) for the queue's status and need."""
    chosen: frozenset[Status] | None
    if status == "open":
        chosen, open_only = frozenset(OPEN_STATUSES), True
    elif status == "all":
        chosen, open_only = None, False
    else:
        chosen, open_only = frozenset({Status(status)}), False
    needed = {"seller": NEEDS_SELLER, "buyer": WAITING_FOR_BUYER}.get(need)
    if needed is not None:
        chosen = needed if chosen is None else chosen & needed
    return chosen, open_only


def queue_order(requests: Iterable[ReshipmentRequest]) -> list[ReshipmentRequest]:
    """The queue's order for requests found another way (search): nearest deadline first."""
    far = datetime.max.replace(tzinfo=UTC)

    def key(request: ReshipmentRequest) -> tuple[bool, datetime, str]:
        due = nearest_deadline(request)
        return (request.status.terminal, due or far, request.request_id)

    return sorted(requests, key=key)


def safe_link(url: str) -> bool:
    """Only http(s) URLs become links; anything else (`javascript:`…) stays text."""
    return url.lower().startswith(("https://", "http://"))


def effect_summary(entry: OutboxEntry) -> str:
    """What an outbox entry would have done, in words (for the deliveries page)."""
    message = message_record(entry, entry.created_at)
    if message is not None:
        if message.kind == "text":
            return f"Text to the {message.audience}: {message.text}"
        title = f"{message.text} " if message.text else ""
        return (
            f"New card for the {message.audience}: {title}"
            f"({message.card_id} v{message.card_version})"
        )
    payload = entry.payload
    if entry.effect is EffectKind.card_update:
        card = payload.get("card") or {}
        title = f"{card['title']} " if card.get("title") else ""
        return (
            f"Card update for the {payload.get('audience')}: {title}"
            f"({payload.get('card_id')} v{payload.get('version')})"
        )
    if entry.effect is EffectKind.refund:
        amount = f"{payload.get('amount')} {payload.get('currency')}"
        return f"Refund of {amount} ({payload.get('kind')})"
    if entry.effect is EffectKind.replacement_order:
        return f"Replacement order for order {payload.get('order_id')}"
    return f"Shipment ({payload.get('shipping_option')} shipping)"
