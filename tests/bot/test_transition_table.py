"""Every status x every action: allowed (and to which status) or refused (and why).

The expected table is written by hand from SPEC §1 (T1-T14) and §2.2 — it is not
derived from `bot.availability` or `bot.rules`. Each status is reached with real
commands (`builders.request_in`, with two partial offers allowed and one offer already
declined, so that every card exists where it can):

    AS awaiting_seller    after an offer the buyer declined (offers still possible)
    OP offer_pending      an offer of 10.00 is open
    AW awaiting_shipment  approved, replacement order known
    SH shipped            platform shipping, carrier and tracking known
    DE delivered          picked up, then delivered
    RJ rejected, RF refunded (refund only), CA cancelled by the buyer

Actor commands and card clicks come a minute later; timers fire 100 days later (every
deadline of the state has passed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.core.commands import (
    AcceptOffer,
    Approve,
    ArrangeShipment,
    CancelRequest,
    CardAction,
    Command,
    DeclineOffer,
    DeliveryFailed,
    Help,
    OfferPartialRefund,
    PlatformCancel,
    RefundIssued,
    RefundOnly,
    Reject,
    ShipmentCreated,
    ShowStatus,
    TimerFired,
    TimerKind,
    Track,
)
from bot.core.effects import Notify
from bot.core.models import Actor, LogisticsStatus, ReshipmentRequest, Role, Status
from bot.core.outcome import NOTHING, Outcome
from bot.core.policy import Policy

from .builders import (
    BUYER,
    CARRIER,
    MINUTE,
    OFFER_CARD,
    REQUEST_CARD,
    SELLER,
    SHIPMENT_CARD,
    TRACKING,
    Flow,
    assert_refused,
    logistics,
    request_in,
)

TABLE_POLICY = Policy(max_partial_offers=2)
PLATFORM = Actor(role=Role.platform, id="platform")
LATER = timedelta(days=100)

STATUSES = (
    Status.awaiting_seller,
    Status.offer_pending,
    Status.awaiting_shipment,
    Status.shipped,
    Status.delivered,
    Status.rejected,
    Status.refunded,
    Status.cancelled,
)


# --- what may be expected ----------------------------------------------------------------


@dataclass(frozen=True)
class To:
    """Allowed: the request is stored with this status, and nothing was refused."""

    status: Status


@dataclass(frozen=True)
class Refused:
    """T14: recorded in the timeline with this code; nothing else changes."""

    code: str


@dataclass(frozen=True)
class Ignored:
    """A platform event that does not fit: not stored, refused with this code."""

    code: str


REPLY = "reply"  # a read-only answer to the asker, nothing stored
NOTHING_ = "nothing"  # a timer or an answer that no longer applies

Expected = To | Refused | Ignored | str

AS, OP, AW, SH, DE = (
    To(Status.awaiting_seller),
    To(Status.offer_pending),
    To(Status.awaiting_shipment),
    To(Status.shipped),
    To(Status.delivered),
)
RJ, RF, CA = To(Status.rejected), To(Status.refunded), To(Status.cancelled)
NOT_NOW = Refused("not_now")
CLOSED = Refused("request_closed")
NOT_SHIPPED = Refused("not_shipped")
SHIPPED = Refused("already_shipped")
NOT_ON_CARD = Refused("action_not_available")
NO_CARD = Refused("stale_card")
UNKNOWN_TRACKING = Ignored("unknown_tracking")
N = NOTHING_
TERMINAL = (CLOSED, CLOSED, CLOSED, CLOSED)


# --- the commands ------------------------------------------------------------------------


def _click(card_id: str, actor: Actor, action: str, **form: str) -> Callable[[Flow], Command]:
    def make(flow: Flow) -> Command:
        card = flow.request.card(card_id)
        version = card.version if card is not None else 1
        return CardAction(actor, card_id, version, action, dict(form))

    return make


def _fixed(command: Command) -> Callable[[Flow], Command]:
    return lambda flow: command


COMMANDS: dict[str, tuple[Callable[[Flow], Command], Actor | None, timedelta]] = {
    "/approve": (_fixed(Approve(SELLER)), SELLER, MINUTE),
    "/reject": (_fixed(Reject(SELLER, "other", "We cannot reship this item.")), SELLER, MINUTE),
    "/offer": (_fixed(OfferPartialRefund(SELLER, amount="5.00")), SELLER, MINUTE),
    "/refund": (_fixed(RefundOnly(SELLER)), SELLER, MINUTE),
    "/ship": (_fixed(ArrangeShipment(SELLER)), SELLER, MINUTE),
    "/accept": (_fixed(AcceptOffer(BUYER)), BUYER, MINUTE),
    "/decline": (_fixed(DeclineOffer(BUYER)), BUYER, MINUTE),
    "/cancel": (_fixed(CancelRequest(BUYER)), BUYER, MINUTE),
    "/track": (_fixed(Track(BUYER)), BUYER, MINUTE),
    "/status": (_fixed(ShowStatus(SELLER)), SELLER, MINUTE),
    "/help": (_fixed(Help(BUYER)), BUYER, MINUTE),
    "card:approve": (_click(REQUEST_CARD, SELLER, "approve"), SELLER, MINUTE),
    "card:reject": (
        _click(REQUEST_CARD, SELLER, "reject", reason_code="other", comment="We cannot reship it."),
        SELLER,
        MINUTE,
    ),
    "card:offer_partial_refund": (
        _click(REQUEST_CARD, SELLER, "offer_partial_refund", amount="5.00"),
        SELLER,
        MINUTE,
    ),
    "card:refund_only": (_click(REQUEST_CARD, SELLER, "refund_only"), SELLER, MINUTE),
    "card:arrange_shipment": (_click(REQUEST_CARD, SELLER, "arrange_shipment"), SELLER, MINUTE),
    "card:accept_offer": (_click(OFFER_CARD, BUYER, "accept_offer"), BUYER, MINUTE),
    "card:decline_offer": (_click(OFFER_CARD, BUYER, "decline_offer"), BUYER, MINUTE),
    "card:cancel_request": (_click(OFFER_CARD, BUYER, "cancel_request"), BUYER, MINUTE),
    "card:check_logistics": (_click(SHIPMENT_CARD, BUYER, "check_logistics"), BUYER, MINUTE),
    "timer:seller_deadline": (_fixed(TimerFired(TimerKind.seller_deadline)), None, LATER),
    "timer:seller_reminder": (_fixed(TimerFired(TimerKind.seller_reminder)), None, LATER),
    "timer:offer_expiry": (_fixed(TimerFired(TimerKind.offer_expiry)), None, LATER),
    "timer:ship_by": (_fixed(TimerFired(TimerKind.ship_by)), None, LATER),
    "platform:cancel": (lambda flow: PlatformCancel(cancelled_at=flow.now), PLATFORM, MINUTE),
    "carrier:in_transit": (
        lambda flow: logistics(LogisticsStatus.in_transit, flow.now, tracking_number=TRACKING),
        None,
        MINUTE,
    ),
    "platform:refund_issued": (_fixed(RefundIssued("RF-1")), None, MINUTE),
    "platform:shipment_created": (_fixed(ShipmentCreated(CARRIER, TRACKING)), None, MINUTE),
    "platform:delivery_failed": (_fixed(DeliveryFailed("SendCard", "400")), None, MINUTE),
}

# fmt: off
EXPECTED: dict[str, tuple[Expected, ...]] = {
    #                            AS           OP           AW           SH           DE, RJ, RF, CA
    "/approve":                 (AW,          NOT_NOW,     NOT_NOW,     NOT_NOW,     *TERMINAL),
    "/reject":                  (RJ,          NOT_NOW,     NOT_NOW,     NOT_NOW,     *TERMINAL),
    "/offer":                   (OP,          NOT_NOW,     NOT_NOW,     NOT_NOW,     *TERMINAL),
    "/refund":                  (RF,          NOT_NOW,     NOT_NOW,     NOT_NOW,     *TERMINAL),
    "/ship":                    (NOT_NOW,     NOT_NOW,     SH,          NOT_NOW,     *TERMINAL),
    "/accept":                  (NOT_NOW,     RF,          NOT_NOW,     NOT_NOW,     *TERMINAL),
    "/decline":                 (NOT_NOW,     AS,          NOT_NOW,     NOT_NOW,     *TERMINAL),
    "/cancel":                  (CA,          CA,          CA,          SHIPPED,     *TERMINAL),
    "/track":                   (NOT_SHIPPED, NOT_SHIPPED, NOT_SHIPPED, REPLY,
                                 REPLY, NOT_SHIPPED, NOT_SHIPPED, NOT_SHIPPED),
    "/status":                  (REPLY,) * 8,
    "/help":                    (REPLY,) * 8,
    "card:approve":             (AW,          NOT_ON_CARD, NOT_ON_CARD, NOT_ON_CARD, *TERMINAL),
    "card:reject":              (RJ,          NOT_ON_CARD, NOT_ON_CARD, NOT_ON_CARD, *TERMINAL),
    "card:offer_partial_refund": (OP,         NOT_ON_CARD, NOT_ON_CARD, NOT_ON_CARD, *TERMINAL),
    "card:refund_only":         (RF,          NOT_ON_CARD, NOT_ON_CARD, NOT_ON_CARD, *TERMINAL),
    "card:arrange_shipment":    (NOT_ON_CARD, NOT_ON_CARD, SH,          NOT_ON_CARD, *TERMINAL),
    "card:accept_offer":        (NOT_ON_CARD, RF,          NOT_ON_CARD, NOT_ON_CARD, *TERMINAL),
    "card:decline_offer":       (NOT_ON_CARD, AS,          NOT_ON_CARD, NOT_ON_CARD, *TERMINAL),
    "card:cancel_request":      (NOT_ON_CARD, CA,          NOT_ON_CARD, NOT_ON_CARD, *TERMINAL),
    # the shipment card exists once the carrier is known; delivered closes it
    "card:check_logistics":     (NO_CARD,     NO_CARD,     NO_CARD,     REPLY,
                                 CLOSED, NO_CARD, NO_CARD, NO_CARD),
    "timer:seller_deadline":    (AW,          N,           N,           N,           N, N, N, N),
    # fires after the deadline here: skipped, but recorded (status unchanged)
    "timer:seller_reminder":    (AS,          N,           N,           N,           N, N, N, N),
    "timer:offer_expiry":       (N,           AS,          N,           N,           N, N, N, N),
    "timer:ship_by":            (N,           N,           AW,          N,           N, N, N, N),
    "platform:cancel":          (CA,          CA,          CA,          SHIPPED,     *TERMINAL),
    "carrier:in_transit":       (UNKNOWN_TRACKING, UNKNOWN_TRACKING, UNKNOWN_TRACKING, SH,
                                 DE, UNKNOWN_TRACKING, UNKNOWN_TRACKING, UNKNOWN_TRACKING),
    "platform:refund_issued":   (N,           N,           N,           N,           N, N, RF, N),
    "platform:shipment_created": (N,          N,           N,           N,           N, N, N, N),
    "platform:delivery_failed": (AS,          OP,          AW,          SH,
                                 DE, RJ, RF, CA),
}
# fmt: on


def test_the_table_covers_every_status_and_every_action() -> None:
    assert set(EXPECTED) == set(COMMANDS)
    assert all(len(row) == len(STATUSES) for row in EXPECTED.values())
    assert set(STATUSES) == set(Status)


_STATES: dict[Status, Flow] = {}


def _state(status: Status) -> Flow:
    if status not in _STATES:
        if status is Status.offer_pending:
            _STATES[status] = request_in(status, policy=TABLE_POLICY)
        else:
            _STATES[status] = request_in(status, policy=TABLE_POLICY, via_offer=True)
    flow = _STATES[status]
    return Flow(flow.request, flow.now, flow.policy)


CASES = [
    pytest.param(name, status, EXPECTED[name][index], id=f"{status.value}-{name}")
    for name in EXPECTED
    for index, status in enumerate(STATUSES)
]


@pytest.mark.parametrize(("name", "status", "expected"), CASES)
def test_status_x_action(name: str, status: Status, expected: Expected) -> None:
    flow = _state(status)
    assert flow.request.status is status
    make, actor, after = COMMANDS[name]
    before = flow.request
    outcome = flow.decide(make(flow), after=after)
    _check(before, outcome, expected, actor)


def _check(
    before: ReshipmentRequest, outcome: Outcome, expected: Expected, actor: Actor | None
) -> None:
    if isinstance(expected, To):
        assert outcome.refusal is None, outcome.refusal
        assert outcome.request is not None
        assert outcome.request.status is expected.status
        assert outcome.request.version == before.version + 1
        assert outcome.request.timeline[-1].type != "refused"
    elif isinstance(expected, Refused):
        assert_refused(before, outcome, expected.code, actor)
    elif isinstance(expected, Ignored):
        assert outcome.request is None
        assert outcome.effects == ()
        assert outcome.refusal is not None and outcome.refusal.code == expected.code
    elif expected == REPLY:
        assert outcome.request is None and outcome.refusal is None
        assert len(outcome.effects) == 1 and isinstance(outcome.effects[0], Notify)
    else:
        assert expected == NOTHING_
        assert outcome == NOTHING
