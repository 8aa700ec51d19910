"""Timers and deadlines derived from a request (SPEC §1.1, §3.3's queue, §5's offer key).

`timers_for` says which deadlines are live in each status, `nearest_deadline` what the
agents' queue is ordered by, and `offer_ttl` how long the offer key lives.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.commands import (
    AcceptOffer,
    CancelRequest,
    Command,
    DeclineOffer,
    TimerFired,
    TimerKind,
)
from bot.core.models import Status
from bot.core.policy import Policy
from bot.core.schedule import nearest_deadline, offer_ttl, timers_for
from tests.bot.builders import BUYER, DAY, HOUR, MINUTE, T0, created, request_in

SECOND = timedelta(seconds=1)
CLOSED = (Status.shipped, Status.delivered, Status.rejected, Status.refunded, Status.cancelled)


# --- awaiting_seller: the seller's deadline and the reminder 12 h before it -----------------


def test_a_new_request_waits_for_the_seller_deadline_and_the_reminder() -> None:
    flow = created()
    assert timers_for(flow.request) == {
        TimerKind.seller_deadline: T0 + 48 * HOUR,
        TimerKind.seller_reminder: T0 + 36 * HOUR,
    }
    assert nearest_deadline(flow.request) == T0 + 48 * HOUR


def test_once_the_seller_was_reminded_only_the_deadline_is_left() -> None:
    flow = created()
    flow.do(TimerFired(TimerKind.seller_reminder), after=36 * HOUR)
    assert flow.request.seller_reminded
    assert timers_for(flow.request) == {TimerKind.seller_deadline: T0 + 48 * HOUR}


def test_without_a_reminder_only_the_deadline_is_set() -> None:
    flow = created(policy=Policy(seller_reminder_before=timedelta(0)))
    assert timers_for(flow.request) == {TimerKind.seller_deadline: T0 + 48 * HOUR}


def test_after_a_declined_offer_the_seller_deadline_is_the_time_that_was_left() -> None:
    flow = request_in(Status.awaiting_seller, via_offer=True)
    # offered 1 h after the request (47 h left), declined 1 h after the offer
    due = T0 + 2 * HOUR + 47 * HOUR
    assert timers_for(flow.request) == {
        TimerKind.seller_deadline: due,
        TimerKind.seller_reminder: due - 12 * HOUR,
    }
    assert nearest_deadline(flow.request) == due


# --- offer_pending: the offer's expiry, and the offer key's time to live --------------------


def test_a_pending_offer_waits_only_for_its_expiry() -> None:
    flow = request_in(Status.offer_pending)
    expires = T0 + HOUR + 24 * HOUR
    assert flow.request.deadlines.offer_expires_at == expires
    assert timers_for(flow.request) == {TimerKind.offer_expiry: expires}
    assert nearest_deadline(flow.request) == expires


def test_the_offer_key_lives_until_the_offer_expires() -> None:
    flow = request_in(Status.offer_pending)
    assert offer_ttl(flow.request, flow.now) == 24 * HOUR
    assert offer_ttl(flow.request, flow.now + 23 * HOUR + 59 * MINUTE) == MINUTE
    assert offer_ttl(flow.request, flow.now + 24 * HOUR - SECOND) == SECOND


@pytest.mark.parametrize("late", [timedelta(0), SECOND, DAY])
def test_an_offer_key_written_at_or_after_expiry_still_lives_a_millisecond(
    late: timedelta,
) -> None:
    flow = request_in(Status.offer_pending)
    assert flow.request.offer is not None
    at = flow.request.offer.expires_at + late
    assert offer_ttl(flow.request, at) == timedelta(milliseconds=1)


@pytest.mark.parametrize("status", [Status.awaiting_seller, Status.awaiting_shipment, *CLOSED])
def test_there_is_no_offer_key_unless_an_offer_is_pending(status: Status) -> None:
    flow = request_in(status)
    assert offer_ttl(flow.request, flow.now) is None


@pytest.mark.parametrize("answer", [AcceptOffer(BUYER), DeclineOffer(BUYER), CancelRequest(BUYER)])
def test_an_answered_offer_has_no_key_even_before_its_expiry(answer: Command) -> None:
    flow = request_in(Status.offer_pending)
    flow.do(answer, after=HOUR)
    assert flow.request.offer is not None
    assert flow.request.offer.expires_at > flow.now
    assert offer_ttl(flow.request, flow.now) is None


# --- awaiting_shipment: ship_by, once ---------------------------------------------------------


def test_an_approved_request_waits_for_ship_by() -> None:
    flow = request_in(Status.awaiting_shipment)
    ship_by = flow.request.deadlines.ship_by
    assert ship_by is not None
    assert timers_for(flow.request) == {TimerKind.ship_by: ship_by}
    assert nearest_deadline(flow.request) == ship_by


def test_an_overdue_request_has_no_timer_but_keeps_its_deadline_in_the_queue() -> None:
    flow = request_in(Status.awaiting_shipment)
    ship_by = flow.request.deadlines.ship_by
    assert ship_by is not None
    flow.do(TimerFired(TimerKind.ship_by), after=ship_by - flow.now)
    assert flow.request.overdue
    assert timers_for(flow.request) == {}
    assert nearest_deadline(flow.request) == ship_by


# --- after the seller acted: nothing left to wait for -----------------------------------------


@pytest.mark.parametrize("status", CLOSED, ids=str)
def test_nothing_is_waited_for_once_shipped_or_closed(status: Status) -> None:
    flow = request_in(status)
    assert timers_for(flow.request) == {}
    assert nearest_deadline(flow.request) is None
