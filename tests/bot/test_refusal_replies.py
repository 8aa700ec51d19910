"""T14 in detail: every refusal tells the actor what happened, in full, and the timeline
records which command was refused.

For each way a command can be refused (who may act, when, which card, the seller's
window, each transition's own guards, the platform's cancel), the refusal's English
message has every placeholder filled from its parameters, the reply to a buyer or seller
carries exactly those parameters, and the `refused` entry names the command as the actor
used it: the chat word (`/approve`), or the card action id when the card itself was the
problem (`approve`). README, "Behaviour": refused attempts are recorded in the timeline
as `refused` with the command and a reason code, and answered in chat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.commands import (
    AcceptOffer,
    Approve,
    ArrangeShipment,
    CancelRequest,
    CardAction,
    Command,
    DeliveryFailed,
    Help,
    OfferPartialRefund,
    PlatformCancel,
    RefundOnly,
    Reject,
    ShowStatus,
    TimerFired,
    TimerKind,
    Track,
)
from bot.core.effects import Notify
from bot.core.messages import MESSAGES
from bot.core.models import Actor, Audience, LogisticsStatus, Reason, Role, Status
from bot.core.outcome import Refusal
from bot.core.policy import Policy, Proposal
from bot.core.rules import command_word, decide
from tests.bot.builders import (
    AGENT,
    BUYER,
    HOUR,
    OFFER_CARD,
    OTHER_SELLER,
    POLICY,
    REQUEST_CARD,
    REQUEST_ID,
    SELLER,
    T0,
    Flow,
    assert_refused,
    card_version,
    create_command,
    created,
    logistics,
    request_in,
)

PLATFORM = Actor(role=Role.platform, id="platform")
ONLY_MISSING_ITEMS_REFUND = Policy(
    proposals={
        Reason.missing_items: frozenset({Proposal.partial_refund}),
        Reason.broken_or_unusable: frozenset(Proposal),
    }
)


@dataclass(frozen=True)
class Case:
    """A request brought to some state, a command on it, and how it must be refused."""

    setup: Callable[[], Flow]
    command: Callable[[Flow], Command]
    code: str
    word: str
    after: timedelta = HOUR


def _click(
    actor: Actor, card_id: str, action: str, version_offset: int = 0
) -> Callable[[Flow], Command]:
    def click(flow: Flow) -> Command:
        return CardAction(actor, card_id, card_version(flow, card_id) + version_offset, action)

    return click


def _awaiting_seller() -> Flow:
    return request_in(Status.awaiting_seller)


CASES: dict[str, Case] = {
    # who may act
    "only the seller approves": Case(
        _awaiting_seller, lambda f: Approve(BUYER), "only_seller", "/approve"
    ),
    "only the buyer accepts": Case(
        lambda: request_in(Status.offer_pending),
        lambda f: AcceptOffer(SELLER),
        "only_buyer",
        "/accept",
    ),
    "another shop's seller": Case(
        _awaiting_seller, lambda f: Approve(OTHER_SELLER), "not_your_request", "/approve"
    ),
    "an agent in chat": Case(
        _awaiting_seller, lambda f: Reject(AGENT, "other", "x" * 20), "agent_read_only", "/reject"
    ),
    # when
    "ship before approval": Case(
        _awaiting_seller, lambda f: ArrangeShipment(SELLER), "not_now", "/ship"
    ),
    "approve a rejected request": Case(
        lambda: request_in(Status.rejected), lambda f: Approve(SELLER), "request_closed", "/approve"
    ),
    "cancel a shipped request": Case(
        lambda: request_in(Status.shipped),
        lambda f: CancelRequest(BUYER),
        "already_shipped",
        "/cancel",
    ),
    "track before shipping": Case(
        _awaiting_seller, lambda f: Track(BUYER), "not_shipped", "/track"
    ),
    # the seller's window is over (T9 has not fired yet)
    "approve at the seller deadline": Case(
        _awaiting_seller, lambda f: Approve(SELLER), "seller_window_closed", "/approve", 48 * HOUR
    ),
    "reject at the seller deadline": Case(
        _awaiting_seller,
        lambda f: Reject(SELLER, "other", "We cannot reship this order."),
        "seller_window_closed",
        "/reject",
        48 * HOUR,
    ),
    "offer at the seller deadline": Case(
        _awaiting_seller,
        lambda f: OfferPartialRefund(SELLER, amount="5"),
        "seller_window_closed",
        "/offer",
        48 * HOUR,
    ),
    "refund at the seller deadline": Case(
        _awaiting_seller, lambda f: RefundOnly(SELLER), "seller_window_closed", "/refund", 48 * HOUR
    ),
    # each transition's own guards
    "reject with an unknown code": Case(
        _awaiting_seller,
        lambda f: Reject(SELLER, "nope", "We cannot reship this."),
        "unknown_reject_code",
        "/reject",
    ),
    "reject without a code": Case(
        _awaiting_seller,
        lambda f: Reject(SELLER, "", "We cannot reship this."),
        "unknown_reject_code",
        "/reject",
    ),
    "reject with a short comment": Case(
        _awaiting_seller, lambda f: Reject(SELLER, "other", "no"), "comment_too_short", "/reject"
    ),
    "offer nothing": Case(
        _awaiting_seller,
        lambda f: OfferPartialRefund(SELLER, amount="0"),
        "amount_not_positive",
        "/offer",
    ),
    "offer a word": Case(
        _awaiting_seller,
        lambda f: OfferPartialRefund(SELLER, amount="lots"),
        "invalid_amount",
        "/offer",
    ),
    "offer too many digits": Case(
        _awaiting_seller,
        lambda f: OfferPartialRefund(SELLER, amount="1.001"),
        "amount_too_precise",
        "/offer",
    ),
    "offer more than the items": Case(
        _awaiting_seller,
        lambda f: OfferPartialRefund(SELLER, amount="30"),
        "amount_above_affected_value",
        "/offer",
    ),
    "offer 150 %": Case(
        _awaiting_seller,
        lambda f: OfferPartialRefund(SELLER, percent=Decimal(150)),
        "invalid_percent",
        "/offer",
    ),
    "offer again after a decline": Case(
        lambda: request_in(Status.awaiting_seller, via_offer=True),
        lambda f: OfferPartialRefund(SELLER, amount="5"),
        "proposals_closed",
        "/offer",
    ),
    "refund after a decline": Case(
        lambda: request_in(Status.awaiting_seller, via_offer=True),
        lambda f: RefundOnly(SELLER),
        "proposals_closed",
        "/refund",
    ),
    "offer when no offer is allowed": Case(
        lambda: created(policy=Policy(max_partial_offers=0)),
        lambda f: OfferPartialRefund(SELLER, amount="5"),
        "offer_limit_reached",
        "/offer",
    ),
    "refund when the reason does not allow it": Case(
        lambda: created(policy=ONLY_MISSING_ITEMS_REFUND),
        lambda f: RefundOnly(SELLER),
        "proposal_not_allowed",
        "/refund",
    ),
    "accept when the offer expired": Case(
        lambda: request_in(Status.offer_pending),
        lambda f: AcceptOffer(BUYER),
        "offer_expired",
        "/accept",
        24 * HOUR,
    ),
    "ship with a carrier on platform shipping": Case(
        lambda: request_in(Status.awaiting_shipment),
        lambda f: ArrangeShipment(SELLER, "DHL", "JD1"),
        "platform_shipping",
        "/ship",
    ),
    "ship before the replacement order exists": Case(
        lambda: request_in(Status.awaiting_shipment, replacement_order=False),
        lambda f: ArrangeShipment(SELLER),
        "replacement_order_pending",
        "/ship",
    ),
    # cards: the card itself is the problem, so the action id is recorded
    "an old version of the card": Case(
        lambda: request_in(Status.offer_pending),
        _click(BUYER, OFFER_CARD, "accept_offer", -1),
        "stale_card",
        "accept_offer",
    ),
    "an unknown card": Case(
        _awaiting_seller,
        lambda f: CardAction(SELLER, f"{REQUEST_ID}.offer.seller", 1, "approve"),
        "stale_card",
        "approve",
    ),
    "the seller's card clicked by the buyer": Case(
        _awaiting_seller, _click(BUYER, REQUEST_CARD, "approve"), "not_your_request", "approve"
    ),
    "a button the card does not show": Case(
        lambda: request_in(Status.awaiting_seller, via_offer=True),
        _click(SELLER, REQUEST_CARD, "refund_only"),
        "action_not_available",
        "refund_only",
    ),
    "a button of a closed request": Case(
        lambda: request_in(Status.rejected),
        _click(SELLER, REQUEST_CARD, "approve"),
        "request_closed",
        "approve",
    ),
    "an agent clicking": Case(
        _awaiting_seller, _click(AGENT, REQUEST_CARD, "approve"), "agent_read_only", "approve"
    ),
    # a card click that passed the card checks is then refused like the chat command
    "a current card after the seller deadline": Case(
        _awaiting_seller,
        _click(SELLER, REQUEST_CARD, "approve"),
        "seller_window_closed",
        "/approve",
        48 * HOUR,
    ),
    "a card offer that is not an amount": Case(
        _awaiting_seller,
        _click(SELLER, REQUEST_CARD, "offer_partial_refund"),
        "invalid_amount",
        "/offer",
    ),
}


def _check_complete(refusal: Refusal) -> None:
    """Every placeholder of the message is filled; a request it names is this one."""
    assert refusal.message_id in MESSAGES
    assert None not in refusal.params.values(), refusal.params
    message = refusal.message
    assert "{" not in message and "}" not in message, message
    if "{request_id}" in MESSAGES[refusal.message_id]:
        assert refusal.params["request_id"] == REQUEST_ID


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_refused_command_is_answered_in_full_and_recorded_by_its_word(case: Case) -> None:
    flow = case.setup()
    flow.now += case.after
    command = case.command(flow)
    before = flow.request
    outcome = decide(before, command, flow.now, flow.policy)
    actor = getattr(command, "actor", None)
    after = assert_refused(before, outcome, case.code, actor)
    assert outcome.refusal is not None
    _check_complete(outcome.refusal)
    entry = after.timeline[-1]
    assert entry.detail == {"command": case.word, "code": case.code}
    assert entry.at == flow.now
    assert after.updated_at == flow.now
    for reply in outcome.effects:
        assert isinstance(reply, Notify)
        assert reply.params == outcome.refusal.params


def test_a_refusal_names_the_command_and_the_status_it_met() -> None:
    flow = request_in(Status.awaiting_seller)
    outcome = flow.decide(ArrangeShipment(SELLER))
    assert outcome.refusal == Refusal(
        "not_now", {"request_id": REQUEST_ID, "status": "awaiting_seller", "command": "/ship"}
    )
    assert outcome.refusal.message == ("/ship is not possible now: request R1 is awaiting_seller.")


def test_a_reject_without_a_code_shows_the_empty_code_quoted() -> None:
    outcome = created().decide(Reject(SELLER, "  ", "We cannot reship this order."))
    assert outcome.refusal is not None
    assert outcome.refusal.params["code"] == "''"
    assert outcome.refusal.message.startswith("'' is not a reject reason.")


@pytest.mark.parametrize(
    ("currency", "example"), [("USD", "12.50"), ("JPY", "1250"), ("VND", "1250")]
)
def test_an_amount_that_is_not_one_is_answered_with_an_example_in_the_currency(
    currency: str, example: str
) -> None:
    flow = created(create_command(currency=currency))
    outcome = flow.decide(OfferPartialRefund(SELLER, amount="lots"))
    assert outcome.refusal is not None
    assert outcome.refusal.code == "invalid_amount"
    assert outcome.refusal.params["amount"] == "lots"
    assert outcome.refusal.params["example"] == example


def test_an_empty_card_amount_is_answered_as_empty_quotes() -> None:
    flow = created()
    click = CardAction(
        SELLER, REQUEST_CARD, card_version(flow, REQUEST_CARD), "offer_partial_refund"
    )
    outcome = flow.decide(click)
    assert outcome.refusal is not None
    assert outcome.refusal.code == "invalid_amount"
    assert outcome.refusal.params["amount"] == "''"


@pytest.mark.parametrize(
    "command",
    [
        lambda f: Approve(AGENT),
        lambda f: Track(AGENT),
        lambda f: CardAction(AGENT, REQUEST_CARD, card_version(f, REQUEST_CARD), "approve"),
    ],
    ids=["chat command", "query", "card"],
)
def test_an_agent_is_refused_without_a_reply_but_the_refusal_names_the_request(
    command: Callable[[Flow], Command],
) -> None:
    flow = created()
    outcome = flow.decide(command(flow))
    assert outcome.effects == ()
    assert outcome.refusal == Refusal("agent_read_only", {"request_id": REQUEST_ID})


@pytest.mark.parametrize("sign", ["", "+"])
def test_an_amount_with_more_digits_than_any_order_is_above_the_affected_value(sign: str) -> None:
    outcome = created().decide(OfferPartialRefund(SELLER, amount=sign + "9" * 40))
    assert outcome.refusal is not None
    assert outcome.refusal.code == "amount_above_affected_value"
    _check_complete(outcome.refusal)
    assert outcome.refusal.message.startswith(f"The offer of {sign}9999")
    assert "the affected value of 25.00 USD." in outcome.refusal.message


def test_a_negative_amount_with_more_digits_than_any_order_is_not_positive() -> None:
    outcome = created().decide(OfferPartialRefund(SELLER, amount="-" + "9" * 40))
    assert outcome.refusal is not None
    assert outcome.refusal.code == "amount_not_positive"


def test_a_carrier_event_for_another_tracking_number_is_refused_naming_it() -> None:
    flow = request_in(Status.shipped)
    event = logistics(LogisticsStatus.in_transit, flow.now, tracking_number="NOT-OURS")
    outcome = flow.decide(event)
    assert outcome.request is None
    assert outcome.effects == ()
    assert outcome.refusal == Refusal("unknown_tracking", {"tracking_number": "NOT-OURS"})


# --- the platform, which gets no chat reply --------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Status.shipped, "already_shipped"),
        (Status.delivered, "request_closed"),
        (Status.rejected, "request_closed"),
        (Status.refunded, "request_closed"),
        (Status.cancelled, "request_closed"),
    ],
)
def test_a_platform_cancel_that_comes_too_late_is_recorded_as_cancel(
    status: Status, code: str
) -> None:
    flow = request_in(status)
    before = flow.request
    outcome = flow.decide(PlatformCancel(cancelled_at=flow.now))
    after = assert_refused(before, outcome, code, PLATFORM)
    assert outcome.refusal is not None
    _check_complete(outcome.refusal)
    assert outcome.refusal.params == {"request_id": REQUEST_ID, "status": status.value}
    assert after.timeline[-1].detail == {"command": "cancel", "code": code}


# --- without a request -----------------------------------------------------------------------


def test_a_second_request_with_a_known_id_is_refused_naming_it() -> None:
    outcome = decide(created().request, create_command(), T0, POLICY)
    assert outcome.request is None
    assert outcome.effects == ()
    assert outcome.refusal == Refusal("request_exists", {"request_id": REQUEST_ID})


@pytest.mark.parametrize(
    "command",
    [
        TimerFired(TimerKind.seller_deadline),
        PlatformCancel(cancelled_at=T0),
        DeliveryFailed("SendCard", "400"),
        logistics(LogisticsStatus.delivered, T0),
    ],
    ids=["timer", "platform cancel", "delivery failed", "carrier event"],
)
def test_a_system_event_without_a_request_is_refused_without_a_reply(command: Command) -> None:
    outcome = decide(None, command, T0, POLICY)
    assert outcome == type(outcome)(None, (), Refusal("no_request"))


@pytest.mark.parametrize("actor", [BUYER, SELLER])
def test_a_person_without_a_request_is_told_there_is_none(actor: Actor) -> None:
    outcome = decide(None, Approve(actor), T0, POLICY)
    assert outcome.request is None
    assert outcome.refusal == Refusal("no_request")
    assert outcome.effects == (Notify(Audience(actor.role.value), "refused_no_request", {}),)


# --- the command words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "word"),
    [
        (Approve(SELLER), "/approve"),
        (Reject(SELLER, "other", "x"), "/reject"),
        (OfferPartialRefund(SELLER, amount="5"), "/offer"),
        (RefundOnly(SELLER), "/refund"),
        (ArrangeShipment(SELLER), "/ship"),
        (AcceptOffer(BUYER), "/accept"),
        (CancelRequest(BUYER), "/cancel"),
        (Track(BUYER), "/track"),
        (ShowStatus(BUYER), "/status"),
        (Help(BUYER), "/help"),
        (CardAction(SELLER, REQUEST_CARD, 1, "refund_only"), "refund_only"),
    ],
)
def test_each_command_has_the_word_a_person_types(command: Command, word: str) -> None:
    assert command_word(command) == word  # type: ignore[arg-type]
