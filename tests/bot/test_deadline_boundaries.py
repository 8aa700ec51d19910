"""Deadlines at their exact moments (SPEC §1.1): the reminder goes out only if its moment
is still in the future and before `seller_due_at`; once the seller has answered or been
reminded, no reminder is pending. And the refund guards at the smallest amounts (T4).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.commands import (
    Approve,
    Command,
    DeclineOffer,
    OfferPartialRefund,
    RefundOnly,
    Reject,
    RequestedItem,
    TimerFired,
    TimerKind,
)
from bot.core.effects import IssueRefund, Notify
from bot.core.models import OrderLine, RefundKind, Status
from bot.core.rules import decide
from tests.bot.builders import (
    BUYER,
    HOUR,
    SELLER,
    T0,
    assert_refused,
    create_command,
    created,
)

SECOND = timedelta(seconds=1)


def _reminders(effects: object) -> list[Notify]:
    assert isinstance(effects, tuple | list)
    return [e for e in effects if isinstance(e, Notify) and e.message == "reminder_seller"]


# --- the reminder after an offer ended (T7, T8) ----------------------------------------------


def test_after_a_decline_with_exactly_the_reminder_lead_left_no_reminder_is_due() -> None:
    flow = created()
    flow.do(OfferPartialRefund(SELLER, amount="5"), after=36 * HOUR)  # 12 h left
    flow.do(DeclineOffer(BUYER), after=HOUR)  # due in 12 h: the reminder would be now
    assert flow.request.deadlines.seller_due_at == flow.now + 12 * HOUR
    assert flow.request.seller_reminder_at is None


def test_after_a_decline_with_a_second_more_the_reminder_is_due_in_a_second() -> None:
    flow = created()
    flow.do(OfferPartialRefund(SELLER, amount="5"), after=36 * HOUR - SECOND)
    flow.do(DeclineOffer(BUYER), after=HOUR)
    assert flow.request.seller_reminder_at == flow.now + SECOND


# --- the reminder timer fires late -----------------------------------------------------------


def test_a_reminder_firing_exactly_at_the_seller_deadline_is_skipped() -> None:
    flow = created()
    outcome = flow.do(TimerFired(TimerKind.seller_reminder), after=48 * HOUR)
    assert _reminders(outcome.effects) == []
    entry = flow.request.timeline[-1]
    assert (entry.type, entry.detail) == ("seller_reminder_skipped", {})
    assert flow.request.seller_reminded
    assert flow.request.seller_reminder_at is None


def test_a_reminder_firing_a_second_before_the_deadline_is_sent() -> None:
    flow = created()
    outcome = flow.do(TimerFired(TimerKind.seller_reminder), after=48 * HOUR - SECOND)
    assert len(_reminders(outcome.effects)) == 1
    assert flow.request.seller_reminder_at is None


# --- nothing is pending once the seller answered ---------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        Approve(SELLER),
        Reject(SELLER, "other", "We cannot reship this order."),
        RefundOnly(SELLER),
        OfferPartialRefund(SELLER, amount="5"),
        OfferPartialRefund(SELLER, amount="25"),
    ],
    ids=["approve", "reject", "refund", "offer", "offer everything"],
)
def test_no_reminder_is_pending_once_the_seller_answered(answer: Command) -> None:
    flow = created()
    assert flow.request.seller_reminder_at == T0 + 36 * HOUR
    flow.do(answer, after=HOUR)
    assert flow.request.seller_reminder_at is None


# --- refunds of the smallest values (T4) --------------------------------------------------------


def _order_with_free_gift(gift_price: str) -> list[OrderLine]:
    return [
        OrderLine(line_id="L1", sku="MUG", name="Mug", quantity=1, unit_price=Decimal("10.00")),
        OrderLine(
            line_id="GIFT", sku="GFT", name="Gift", quantity=1, unit_price=Decimal(gift_price)
        ),
    ]


def test_refund_only_of_half_a_dollar_is_refunded() -> None:
    command = create_command(
        lines=tuple(_order_with_free_gift("0.50")), items=(RequestedItem("GIFT", 1),)
    )
    flow = created(command)
    outcome = flow.do(RefundOnly(SELLER), after=HOUR)
    assert flow.request.status is Status.refunded
    assert IssueRefund(Decimal("0.50"), "USD", RefundKind.full) in outcome.effects


def test_refund_only_of_items_worth_nothing_is_refused() -> None:
    command = create_command(
        lines=tuple(_order_with_free_gift("0")), items=(RequestedItem("GIFT", 1),)
    )
    flow = created(command)
    assert flow.request.affected_value == 0
    before = flow.request
    outcome = decide(before, RefundOnly(SELLER), flow.now + HOUR, flow.policy)
    assert_refused(before, outcome, "nothing_to_refund", SELLER)
    assert outcome.refusal is not None
    assert outcome.refusal.params == {"request_id": before.request_id}
