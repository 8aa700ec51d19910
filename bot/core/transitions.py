"""The state changes of SPEC §1, one function per transition, each returning a `Change`.

They assume the who/when checks of `bot.rules` passed; guards that belong to one
transition (amounts, reason codes, shipping options, the offer window) are here and
return a `Refusal` instead of a change.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.core.chat_syntax import symbol_fits_currency
from bot.core.commands import ArrangeShipment, LogisticsUpdate, OfferPartialRefund, ShipmentCreated
from bot.core.effects import (
    CreateReplacementOrder,
    CreateShipment,
    Effect,
    IssueRefund,
    Money,
    Notify,
    ParamValue,
    SendCard,
    UpdateCard,
)
from bot.core.models import (
    Actor,
    Audience,
    CardKind,
    CardState,
    CardStatus,
    Deadlines,
    DecidedBy,
    LogisticsStatus,
    Offer,
    OfferStatus,
    Refund,
    RefundKind,
    RejectCode,
    Rejection,
    ReshipmentRequest,
    Resolution,
    Shipment,
    ShippingOption,
    Status,
    TimelineEntry,
    TrackingEvent,
    card_id_for,
)
from bot.core.money import MoneyError, minor_digits, parse_amount, percent_of, quantum
from bot.core.outcome import Refusal
from bot.core.outcome import refusal as _refusal
from bot.core.policy import Policy, Proposal, proposals_closed
from bot.core.text import shorten, visible_length
from bot.core.workdays import ship_by as compute_ship_by


class Change:
    """Collects one transition's new fields, timeline entries, card updates and effects."""

    def __init__(self, request: ReshipmentRequest, now: datetime) -> None:
        self.request = request
        self.now = now
        self.at = max(now, request.updated_at)  # the timeline never goes backwards
        self.updates: dict[str, Any] = {}
        self.entries: list[TimelineEntry] = []
        self.effects: list[Effect] = []
        self.cards: dict[str, CardState] = {card.card_id: card for card in request.cards}

    def set(self, **updates: Any) -> None:
        self.updates.update(updates)

    def log(self, kind: str, actor: Actor | None, **detail: Any) -> None:
        clean = {key: _jsonable(value) for key, value in detail.items() if value is not None}
        self.entries.append(TimelineEntry(at=self.at, type=kind, actor=actor, detail=clean))

    def notify(self, audience: Audience, message: str, **params: ParamValue) -> None:
        self.effects.append(
            Notify(audience, message, {"request_id": self.request.request_id, **params})
        )

    def emit(self, effect: Effect) -> None:
        self.effects.append(effect)

    def show_card(
        self, kind: CardKind, audience: Audience, status: CardStatus = CardStatus.open
    ) -> None:
        """Send the card, or re-render it in place if this request already has one."""
        card_id = card_id_for(self.request.request_id, kind, audience)
        current = self.cards.get(card_id)
        if current is None:
            self.cards[card_id] = CardState(
                card_id=card_id, kind=kind, audience=audience, version=1, status=status
            )
            self.effects.append(SendCard(card_id))
        else:
            self._bump(current, status)

    def update_card(
        self, kind: CardKind, audience: Audience, status: CardStatus | None = None
    ) -> None:
        """Re-render a card that was sent; nothing if it never was."""
        current = self.cards.get(card_id_for(self.request.request_id, kind, audience))
        if current is not None:
            self._bump(current, status or current.status)

    def close_cards(self, offer_status: CardStatus = CardStatus.closed) -> None:
        """Every open card loses its buttons; the offer card says how the offer ended."""
        for card in list(self.cards.values()):
            if card.status is CardStatus.open:
                status = offer_status if card.kind is CardKind.offer else CardStatus.closed
                self._bump(card, status)

    def _bump(self, card: CardState, status: CardStatus) -> None:
        self.cards[card.card_id] = card.model_copy(
            update={"version": card.version + 1, "status": status}
        )
        self.effects.append(UpdateCard(card.card_id))

    def build(self) -> ReshipmentRequest:
        request = self.request
        return request.model_copy(
            update={
                **self.updates,
                "cards": tuple(self.cards.values()),
                "timeline": (*request.timeline, *self.entries),
                "version": request.version + 1,
                "updated_at": self.at,
            }
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal | timedelta):
        return str(value) if isinstance(value, Decimal) else int(value.total_seconds())
    if hasattr(value, "value"):
        return value.value
    return value


def _money(request: ReshipmentRequest, amount: Decimal) -> Money:
    return Money(amount, request.currency)


# --- deciding on the request (T2, T3, T4, T5, T5b, T9) -----------------------------------


def approve(
    request: ReshipmentRequest,
    now: datetime,
    policy: Policy,
    actor: Actor | None,
    by: DecidedBy,
) -> Change:
    """T2 (by the seller) and T9 (by the platform when the seller's window ends)."""
    seller = request.seller
    ship_by = compute_ship_by(
        now,
        timezone=seller.timezone,
        region=seller.region,
        working_days=policy.ship_working_days,
        working_week=policy.working_week(seller.region),
    )
    change = Change(request, now)
    change.set(
        status=Status.awaiting_shipment,
        resolution=Resolution.reship,
        decided_by=by,
        deadlines=Deadlines(ship_by=ship_by),
        seller_reminder_at=None,
    )
    by_seller = by is DecidedBy.seller
    change.log("approved" if by_seller else "auto_approved", actor, ship_by=ship_by)
    change.emit(
        CreateReplacementOrder(
            lines=tuple((item.line_id, item.quantity) for item in request.items),
            shipping_option=request.order.shipping_option,
            ship_by=ship_by,
        )
    )
    change.update_card(CardKind.request, Audience.seller)
    prefix = "approved" if by_seller else "auto_approved"
    change.notify(Audience.buyer, f"{prefix}_buyer", ship_by=ship_by)
    change.notify(
        Audience.seller,
        f"{prefix}_seller",
        ship_by=ship_by,
        shipping_option=request.order.shipping_option.value,
    )
    return change


def reject(
    request: ReshipmentRequest,
    now: datetime,
    policy: Policy,
    actor: Actor,
    code: str,
    comment: str,
) -> Change | Refusal:
    """T3: a known reason code and a comment of at least `min_reject_comment` characters
    a reader can see (`visible_length`)."""
    code = code.strip().lower()
    if code not in RejectCode.__members__:
        return _refusal("unknown_reject_code", code=code or "''", codes=tuple(RejectCode))
    comment = comment.strip()
    if visible_length(comment) < policy.min_reject_comment:
        return _refusal("comment_too_short", min_length=policy.min_reject_comment)
    change = Change(request, now)
    change.set(
        status=Status.rejected,
        resolution=Resolution.rejected,
        decided_by=DecidedBy.seller,
        rejection=Rejection(reason_code=RejectCode(code), comment=comment),
        deadlines=Deadlines(),
        seller_reminder_at=None,
    )
    change.log("rejected", actor, reason_code=code, comment=comment)
    change.close_cards()
    change.show_card(CardKind.outcome, Audience.buyer, CardStatus.closed)
    change.notify(Audience.seller, "rejected_seller")
    return change


def refund_in_full(
    request: ReshipmentRequest, now: datetime, policy: Policy, actor: Actor
) -> Change | Refusal:
    """T4 (and T5b): more favourable to the buyer, so the platform approves it at once."""
    if not policy.allows(request.reason, Proposal.refund_only):
        return _refusal("proposal_not_allowed", reason=request.reason.value)
    if proposals_closed(request, policy):
        return _refusal("proposals_closed", request_id=request.request_id)
    if request.affected_value <= 0:
        return _refusal("nothing_to_refund", request_id=request.request_id)
    change = Change(request, now)
    amount = request.affected_value
    change.set(
        status=Status.refunded,
        resolution=Resolution.refund_full,
        decided_by=DecidedBy.platform,
        refund=Refund(amount=amount, currency=request.currency, kind=RefundKind.full),
        deadlines=Deadlines(),
        seller_reminder_at=None,
    )
    change.log("refunded_in_full", actor, amount=amount, currency=request.currency)
    change.emit(IssueRefund(amount, request.currency, RefundKind.full))
    change.close_cards()
    change.show_card(CardKind.outcome, Audience.buyer, CardStatus.closed)
    change.notify(Audience.seller, "refunded_seller", amount=_money(request, amount))
    return change


def offer_amount(request: ReshipmentRequest, cmd: OfferPartialRefund) -> Decimal | Refusal:
    """The offered amount in the request's currency, or why it cannot be offered."""
    currency = request.currency
    if not symbol_fits_currency(cmd.currency_symbol, currency):  # `€12` on a THB order
        return _refusal("wrong_currency", request_id=request.request_id, currency=currency)
    if cmd.percent is not None:
        # NaN would make the comparison raise; infinities fail it
        if not cmd.percent.is_finite() or not Decimal(0) < cmd.percent <= Decimal(100):
            return _refusal("invalid_percent")
        amount = percent_of(request.affected_value, cmd.percent, currency)
    else:
        text = (cmd.amount or "").strip()
        try:
            amount = parse_amount(text, currency)
        except MoneyError as error:
            return _unusable_amount(request, text, error.code)
    if amount <= 0:
        return _refusal("amount_not_positive")
    if amount > request.affected_value:
        return _refusal(
            "amount_above_affected_value",
            amount=_money(request, amount),
            affected_value=_money(request, request.affected_value),
        )
    return amount


def _unusable_amount(request: ReshipmentRequest, text: str, code: str) -> Refusal:
    currency = request.currency
    if code == "amount_too_precise":
        return _refusal("amount_too_precise", currency=currency, digits=minor_digits(currency))
    if code == "amount_too_large":  # more digits than any order is worth: quoted as typed
        if text.startswith("-"):
            return _refusal("amount_not_positive")
        return _refusal(
            "amount_above_affected_value",
            amount=shorten(text, 24),
            affected_value=_money(request, request.affected_value),
        )
    example = str(quantum(currency) * 1250)
    return _refusal("invalid_amount", amount=shorten(text, 24) or "''", example=example)


def offer_partial_refund(
    request: ReshipmentRequest, now: datetime, policy: Policy, cmd: OfferPartialRefund
) -> Change | Refusal:
    """T5, or T5b (a refund in full, with T4's guards) when the amount is the whole value."""
    amount = offer_amount(request, cmd)
    if not isinstance(amount, Decimal):
        return amount
    if amount == request.affected_value:
        return refund_in_full(request, now, policy, cmd.actor)
    if not policy.allows(request.reason, Proposal.partial_refund):
        return _refusal("proposal_not_allowed", reason=request.reason.value)
    if request.offers_made >= policy.max_partial_offers:
        code = "proposals_closed" if request.offers_made else "offer_limit_reached"
        return _refusal(code, request_id=request.request_id)
    due = request.deadlines.seller_due_at
    remaining = (due - now) if due is not None else policy.seller_response_window
    expires = now + policy.offer_window
    change = Change(request, now)
    change.set(
        status=Status.offer_pending,
        offer=Offer(
            amount=amount,
            currency=request.currency,
            status=OfferStatus.pending,
            offered_at=now,
            expires_at=expires,
            seller_remaining=remaining,
        ),
        offers_made=request.offers_made + 1,
        deadlines=Deadlines(offer_expires_at=expires),
        seller_reminder_at=None,
    )
    change.log(
        "offer_made",
        cmd.actor,
        amount=amount,
        currency=request.currency,
        expires_at=expires,
        seller_remaining=remaining,
    )
    change.show_card(CardKind.offer, Audience.buyer)
    change.update_card(CardKind.request, Audience.seller)
    change.notify(
        Audience.seller,
        "offer_sent_seller",
        amount=_money(request, amount),
        offer_expires_at=expires,
    )
    return change


# --- the buyer answers the offer (T6, T7) and the offer lapses (T8) ------------------------


def accept_offer(request: ReshipmentRequest, now: datetime, actor: Actor) -> Change | Refusal:
    offer = request.offer
    assert offer is not None, "offer_pending always has an offer"
    if now >= offer.expires_at:
        return _refusal(
            "offer_expired", request_id=request.request_id, offer_expires_at=offer.expires_at
        )
    change = Change(request, now)
    change.set(
        status=Status.refunded,
        resolution=Resolution.refund_partial,
        decided_by=DecidedBy.buyer,
        refund=Refund(amount=offer.amount, currency=offer.currency, kind=RefundKind.partial),
        offer=offer.model_copy(update={"status": OfferStatus.accepted, "decided_at": now}),
        deadlines=Deadlines(),
    )
    change.log("offer_accepted", actor, amount=offer.amount, currency=offer.currency)
    change.emit(IssueRefund(offer.amount, offer.currency, RefundKind.partial))
    change.close_cards(offer_status=CardStatus.accepted)
    change.show_card(CardKind.outcome, Audience.buyer, CardStatus.closed)
    change.notify(Audience.seller, "offer_accepted_seller", amount=_money(request, offer.amount))
    return change


def back_to_seller(
    request: ReshipmentRequest,
    now: datetime,
    policy: Policy,
    ending: OfferStatus,
    actor: Actor | None,
) -> Change:
    """T7 (declined) and T8 (expired): the seller's paused clock resumes where it stopped."""
    offer = request.offer
    assert offer is not None, "offer_pending always has an offer"
    due = now + offer.seller_remaining
    reminder = due - policy.seller_reminder_before
    reminder_at = (
        reminder
        if not request.seller_reminded and policy.seller_reminder_before and reminder > now
        else None
    )
    change = Change(request, now)
    change.set(
        status=Status.awaiting_seller,
        offer=offer.model_copy(update={"status": ending, "decided_at": now}),
        deadlines=Deadlines(seller_due_at=due),
        seller_reminder_at=reminder_at,
    )
    change.log(f"offer_{ending.value}", actor, seller_due_at=due)
    change.update_card(CardKind.offer, Audience.buyer, CardStatus(ending.value))
    change.update_card(CardKind.request, Audience.seller)
    change.notify(
        Audience.seller,
        f"offer_{ending.value}_seller",
        amount=_money(request, offer.amount),
        seller_due_at=due,
    )
    return change


def remind_seller(request: ReshipmentRequest, now: datetime) -> Change:
    """The reminder before `seller_due_at`, once; skipped if the deadline already passed."""
    change = Change(request, now)
    change.set(seller_reminded=True, seller_reminder_at=None)
    due = request.deadlines.seller_due_at
    if due is not None and now < due:
        change.log("seller_reminded", None, seller_due_at=due)
        change.notify(Audience.seller, "reminder_seller", seller_due_at=due)
    else:
        change.log("seller_reminder_skipped", None)
    return change


# --- shipping (T10, T11, T12) -------------------------------------------------------------


def arrange_shipment(
    request: ReshipmentRequest, now: datetime, cmd: ArrangeShipment
) -> Change | Refusal:
    option = request.order.shipping_option
    given = bool(cmd.carrier or cmd.tracking_number)
    if option is ShippingOption.platform and given:
        return _refusal("platform_shipping")
    if option is ShippingOption.seller and not (cmd.carrier and cmd.tracking_number):
        return _refusal("tracking_required")
    if request.replacement_order_id is None:
        return _refusal("replacement_order_pending", request_id=request.request_id)
    change = Change(request, now)
    change.set(
        status=Status.shipped,
        shipment=Shipment(
            shipping_option=option,
            carrier=cmd.carrier,
            tracking_number=cmd.tracking_number,
            arranged_at=now,
        ),
        deadlines=Deadlines(),
    )
    change.log(
        "shipment_arranged",
        cmd.actor,
        shipping_option=option,
        carrier=cmd.carrier,
        tracking_number=cmd.tracking_number,
    )
    change.emit(CreateShipment(option, cmd.carrier, cmd.tracking_number))
    change.update_card(CardKind.request, Audience.seller)
    if cmd.carrier and cmd.tracking_number:
        _announce_shipment(change, cmd.carrier, cmd.tracking_number)
    else:
        change.notify(Audience.seller, "shipment_requested_seller")
    return change


def shipment_created(
    request: ReshipmentRequest, now: datetime, cmd: ShipmentCreated
) -> Change | None:
    """The platform arranged the shipment: the buyer gets the carrier and tracking number."""
    shipment = request.shipment
    if shipment is None or shipment.tracking_number is not None:
        return None
    change = Change(request, now)
    change.set(
        shipment=shipment.model_copy(
            update={"carrier": cmd.carrier, "tracking_number": cmd.tracking_number}
        )
    )
    change.log("shipment_created", None, carrier=cmd.carrier, tracking_number=cmd.tracking_number)
    change.update_card(CardKind.request, Audience.seller)
    _announce_shipment(change, cmd.carrier, cmd.tracking_number)
    return change


def _announce_shipment(change: Change, carrier: str, tracking_number: str) -> None:
    change.show_card(CardKind.shipment, Audience.buyer)
    change.notify(Audience.buyer, "shipped_buyer", carrier=carrier, tracking_number=tracking_number)
    change.notify(
        Audience.seller, "shipped_seller", carrier=carrier, tracking_number=tracking_number
    )


def mark_overdue(request: ReshipmentRequest, now: datetime) -> Change:
    """T11: ship_by passed without a shipment; the seller is warned once."""
    change = Change(request, now)
    change.set(overdue=True)
    change.log("overdue", None, ship_by=request.deadlines.ship_by)
    change.update_card(CardKind.request, Audience.seller)
    if request.deadlines.ship_by is not None:
        change.notify(Audience.seller, "overdue_seller", ship_by=request.deadlines.ship_by)
    return change


def logistics_update(
    request: ReshipmentRequest, now: datetime, cmd: LogisticsUpdate
) -> Change | Refusal | None:
    """T12: keep the event; delivered closes the request; later events are still kept."""
    shipment = request.shipment
    if (
        shipment is None
        or shipment.tracking_number != cmd.tracking_number
        or request.status not in (Status.shipped, Status.delivered)
    ):
        return _refusal("unknown_tracking", tracking_number=cmd.tracking_number)
    event = TrackingEvent(
        status=cmd.status, description=cmd.description, occurred_at=cmd.occurred_at
    )
    if event in shipment.events:
        return None
    events = tuple(sorted((*shipment.events, event), key=lambda e: e.occurred_at))
    delivered = request.status is Status.shipped and cmd.status is LogisticsStatus.delivered
    latest = LogisticsStatus.delivered.value if delivered else events[-1].status.value
    if request.status is Status.delivered:
        latest = shipment.status
    change = Change(request, now)
    change.set(shipment=shipment.model_copy(update={"events": events, "status": latest}))
    change.log(
        "logistics_updated",
        None,
        status=cmd.status,
        occurred_at=cmd.occurred_at,
        description=cmd.description,
    )
    if request.status is Status.delivered:
        return change
    if delivered:
        change.set(status=Status.delivered)
        change.close_cards()
        change.show_card(CardKind.outcome, Audience.buyer, CardStatus.closed)
    else:
        change.update_card(CardKind.request, Audience.seller)
        change.update_card(CardKind.shipment, Audience.buyer)
    return change


# --- cancellation (T13) -------------------------------------------------------------------


def cancel(request: ReshipmentRequest, now: datetime, actor: Actor | None) -> Change:
    """T13 by the buyer (`actor`) or by the platform (`actor` None)."""
    by_buyer = actor is not None
    offer = request.offer
    ending = OfferStatus.declined if by_buyer else OfferStatus.expired
    change = Change(request, now)
    change.set(
        status=Status.cancelled,
        resolution=Resolution.cancelled,
        decided_by=DecidedBy.buyer if by_buyer else DecidedBy.platform,
        deadlines=Deadlines(),
        seller_reminder_at=None,
    )
    if offer is not None and offer.status is OfferStatus.pending:
        change.set(offer=offer.model_copy(update={"status": ending, "decided_at": now}))
    change.log("cancelled", actor, by="buyer" if by_buyer else "platform")
    change.close_cards(offer_status=CardStatus(ending.value))
    change.show_card(CardKind.outcome, Audience.buyer, CardStatus.closed)
    which = "cancelled_by_buyer_seller" if by_buyer else "cancelled_by_platform_seller"
    change.notify(Audience.seller, which)
    if not by_buyer:  # the buyer did not ask for this: tell them in words, not only a card
        change.notify(Audience.buyer, "cancelled_by_platform_buyer")
    return change
