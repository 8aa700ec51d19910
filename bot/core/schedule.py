"""Timers and deadlines derived from a request: what must fire when, and what is nearest.

Timers are a function of the request's state, so a commit sets exactly these and clears
the rest; nothing can be left behind by a transition that forgot one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.commands import TimerKind
from bot.core.models import ReshipmentRequest, Status


def timers_for(request: ReshipmentRequest) -> dict[TimerKind, datetime]:
    timers: dict[TimerKind, datetime] = {}
    deadlines = request.deadlines
    if request.status is Status.awaiting_seller and deadlines.seller_due_at is not None:
        timers[TimerKind.seller_deadline] = deadlines.seller_due_at
        if request.seller_reminder_at is not None and not request.seller_reminded:
            timers[TimerKind.seller_reminder] = request.seller_reminder_at
    elif request.status is Status.offer_pending and deadlines.offer_expires_at is not None:
        timers[TimerKind.offer_expiry] = deadlines.offer_expires_at
    elif (
        request.status is Status.awaiting_shipment
        and deadlines.ship_by is not None
        and not request.overdue
    ):
        timers[TimerKind.ship_by] = deadlines.ship_by
    return timers


def nearest_deadline(request: ReshipmentRequest) -> datetime | None:
    """The deadline someone is working against now; None when nobody is."""
    deadlines = request.deadlines
    if request.status is Status.awaiting_seller:
        return deadlines.seller_due_at
    if request.status is Status.offer_pending:
        return deadlines.offer_expires_at
    if request.status is Status.awaiting_shipment:
        return deadlines.ship_by
    return None


def offer_ttl(request: ReshipmentRequest, now: datetime) -> timedelta | None:
    """How long the offer key lives in the store; None when no offer is pending."""
    if request.status is not Status.offer_pending or request.offer is None:
        return None
    return max(request.offer.expires_at - now, timedelta(milliseconds=1))
