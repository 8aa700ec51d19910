"""What each person can do now: card buttons (SPEC §2.2) and /help commands (SPEC §2.1).

Expected lists are written from SPEC. The last tests tie availability to the rules: what
is shown works, and what is not shown is refused.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.core.availability import available_commands, card_actions
from bot.core.commands import (
    AcceptOffer,
    ActorCommand,
    Approve,
    ArrangeShipment,
    CancelRequest,
    CardAction,
    DeclineOffer,
    Help,
    OfferPartialRefund,
    RefundOnly,
    Reject,
    ShowStatus,
    Track,
)
from bot.core.effects import Notify
from bot.core.models import Actor, Audience, CardStatus, Reason, Role, ShippingOption, Status
from bot.core.policy import Policy, Proposal
from bot.core.rules import decide

from .builders import (
    AGENT,
    BUYER,
    HOUR,
    MINUTE,
    OFFER_CARD,
    OTHER_BUYER,
    OTHER_SELLER,
    OUTCOME_CARD,
    POLICY,
    REQUEST_CARD,
    SELLER,
    SHIPMENT_CARD,
    T0,
    Flow,
    create_command,
    created,
    request_in,
)

SELLER_DECIDES = ("approve", "reject", "offer_partial_refund", "refund_only")
OFFER_ANSWERS = ("accept_offer", "decline_offer", "cancel_request")
ALL_CARD_ACTIONS = (
    "approve",
    "reject",
    "offer_partial_refund",
    "refund_only",
    "arrange_shipment",
    "accept_offer",
    "decline_offer",
    "check_logistics",
    "cancel_request",
)
TERMINAL = (Status.delivered, Status.rejected, Status.refunded, Status.cancelled)


def actions_on(flow: Flow, card_id: str) -> tuple[str, ...] | None:
    """The card's buttons now, or None when the request has no such card."""
    card = flow.request.card(card_id)
    if card is None:
        return None
    return card_actions(flow.request, card, flow.policy)


# --- card buttons ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "request_card", "offer_card", "shipment_card"),
    [
        (Status.awaiting_seller, SELLER_DECIDES, None, None),
        (Status.offer_pending, (), OFFER_ANSWERS, None),
        (Status.awaiting_shipment, ("arrange_shipment",), None, None),
        (Status.shipped, (), None, ("check_logistics",)),
        (Status.delivered, (), None, ()),
        (Status.rejected, (), None, None),
        (Status.refunded, (), None, None),
        (Status.cancelled, (), None, None),
    ],
)
def test_card_buttons_per_status(
    status: Status,
    request_card: tuple[str, ...],
    offer_card: tuple[str, ...] | None,
    shipment_card: tuple[str, ...] | None,
) -> None:
    flow = request_in(status)
    assert actions_on(flow, REQUEST_CARD) == request_card
    assert actions_on(flow, OFFER_CARD) == offer_card
    assert actions_on(flow, SHIPMENT_CARD) == shipment_card


@pytest.mark.parametrize("status", TERMINAL)
def test_every_card_of_a_closed_request_is_closed_and_has_no_buttons(status: Status) -> None:
    flow = request_in(status, via_offer=True, policy=Policy(max_partial_offers=2))
    assert flow.request.cards
    for card in flow.request.cards:
        assert card.status is not CardStatus.open
        assert card_actions(flow.request, card, flow.policy) == ()
    outcome = flow.request.card(OUTCOME_CARD)
    assert outcome is not None and outcome.audience is Audience.buyer


def test_shipment_card_waits_for_the_tracking_number() -> None:
    flow = request_in(Status.shipped, tracking_known=False)
    assert actions_on(flow, SHIPMENT_CARD) is None
    assert actions_on(flow, REQUEST_CARD) == ()


def test_seller_shipping_sends_the_shipment_card_at_once() -> None:
    flow = request_in(Status.shipped, shipping_option=ShippingOption.seller)
    assert actions_on(flow, SHIPMENT_CARD) == ("check_logistics",)


@pytest.mark.parametrize(
    ("policy", "via_offer", "expected"),
    [
        (POLICY, False, SELLER_DECIDES),
        (POLICY, True, ("approve", "reject")),  # one offer by default, then closed
        (Policy(max_partial_offers=2), True, SELLER_DECIDES),
        (Policy(max_partial_offers=0), False, ("approve", "reject", "refund_only")),
        (
            Policy(proposals={Reason.missing_items: frozenset()}),
            False,
            ("approve", "reject"),
        ),
        (
            Policy(proposals={Reason.missing_items: frozenset({Proposal.partial_refund})}),
            False,
            ("approve", "reject", "offer_partial_refund"),
        ),
    ],
    ids=["default", "after-decline", "two-offers", "no-offers", "no-proposals", "only-partial"],
)
def test_request_card_follows_the_policy(
    policy: Policy, via_offer: bool, expected: tuple[str, ...]
) -> None:
    flow = request_in(Status.awaiting_seller, policy=policy, via_offer=via_offer)
    assert actions_on(flow, REQUEST_CARD) == expected


def test_declined_offer_card_has_no_buttons() -> None:
    flow = request_in(Status.awaiting_seller, via_offer=True)
    assert actions_on(flow, OFFER_CARD) == ()
    offer_card = flow.request.card(OFFER_CARD)
    assert offer_card is not None and offer_card.status is CardStatus.declined


# --- /help commands --------------------------------------------------------------------

QUERIES = ("/status", "/help")


@pytest.mark.parametrize(
    ("status", "seller", "buyer"),
    [
        (
            Status.awaiting_seller,
            ("/approve", "/reject", "/offer", "/refund", *QUERIES),
            ("/cancel", *QUERIES),
        ),
        (Status.offer_pending, QUERIES, ("/accept", "/decline", "/cancel", *QUERIES)),
        (Status.awaiting_shipment, ("/ship", *QUERIES), ("/cancel", *QUERIES)),
        (Status.shipped, ("/track", *QUERIES), ("/track", *QUERIES)),
        (Status.delivered, ("/track", *QUERIES), ("/track", *QUERIES)),
        (Status.rejected, QUERIES, QUERIES),
        (Status.refunded, QUERIES, QUERIES),
        (Status.cancelled, QUERIES, QUERIES),
    ],
)
def test_commands_per_status_and_role(
    status: Status, seller: tuple[str, ...], buyer: tuple[str, ...]
) -> None:
    flow = request_in(status)
    assert available_commands(flow.request, Role.seller, POLICY) == seller
    assert available_commands(flow.request, Role.buyer, POLICY) == buyer
    assert available_commands(flow.request, Role.agent, POLICY) == ("/help",)


def test_seller_commands_after_the_offer_limit() -> None:
    flow = request_in(Status.awaiting_seller, via_offer=True)
    assert available_commands(flow.request, Role.seller, POLICY) == (
        "/approve",
        "/reject",
        *QUERIES,
    )


def test_without_a_request_only_help() -> None:
    assert available_commands(None, Role.buyer, POLICY) == ("/help",)
    assert available_commands(None, Role.seller, POLICY) == ("/help",)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (BUYER, ("/cancel", "/status", "/help")),
        (SELLER, ("/approve", "/reject", "/offer", "/refund", "/status", "/help")),
        (OTHER_BUYER, ("/help",)),  # not their request
        (OTHER_SELLER, ("/help",)),
    ],
)
def test_help_answers_each_person_with_their_commands(
    actor: Actor, expected: tuple[str, ...]
) -> None:
    flow = created()
    outcome = flow.decide(Help(actor), after=HOUR)
    assert outcome.request is None and outcome.refusal is None
    assert outcome.effects == (
        Notify(Audience(actor.role.value), "help", {"request_id": "R1", "commands": expected}),
    )


def test_help_for_an_agent_says_nothing_in_the_chat() -> None:
    flow = created()
    assert flow.decide(Help(AGENT), after=HOUR).effects == ()
    assert decide(None, Help(AGENT), T0, POLICY).effects == ()


# --- what is shown works; what is not shown is refused ----------------------------------


def _command_for(word: str, actor: Actor, flow: Flow) -> ActorCommand:
    seller_shipping = flow.request.order.shipping_option is ShippingOption.seller
    table: dict[str, Callable[[], ActorCommand]] = {
        "/approve": lambda: Approve(actor),
        "/reject": lambda: Reject(actor, "other", "We cannot reship this item."),
        "/offer": lambda: OfferPartialRefund(actor, amount="5.00"),
        "/refund": lambda: RefundOnly(actor),
        "/ship": lambda: (
            ArrangeShipment(actor, "DHL", "123") if seller_shipping else ArrangeShipment(actor)
        ),
        "/accept": lambda: AcceptOffer(actor),
        "/decline": lambda: DeclineOffer(actor),
        "/cancel": lambda: CancelRequest(actor),
        "/track": lambda: Track(actor),
        "/status": lambda: ShowStatus(actor),
        "/help": lambda: Help(actor),
    }
    return table[word]()


ALL_WORDS = (
    "/approve",
    "/reject",
    "/offer",
    "/refund",
    "/ship",
    "/accept",
    "/decline",
    "/cancel",
    "/track",
    "/status",
    "/help",
)
SCENARIOS = [
    pytest.param(status, option, via_offer, id=f"{status.value}-{option.value}-{via_offer}")
    for status in Status
    for option in ShippingOption
    for via_offer in (False, True)
    if not (via_offer and status is Status.offer_pending)
]


def _scenario(status: Status, option: ShippingOption, via_offer: bool) -> Flow:
    """With `via_offer` two offers are allowed, so that every status stays reachable."""
    policy = Policy(max_partial_offers=2) if via_offer else POLICY
    return request_in(status, shipping_option=option, via_offer=via_offer, policy=policy)


@pytest.mark.parametrize(("status", "option", "via_offer"), SCENARIOS)
@pytest.mark.parametrize("actor", [BUYER, SELLER], ids=["buyer", "seller"])
def test_listed_commands_work_and_unlisted_ones_are_refused(
    status: Status, option: ShippingOption, via_offer: bool, actor: Actor
) -> None:
    flow = _scenario(status, option, via_offer)
    listed = available_commands(flow.request, actor.role, flow.policy)
    for word in ALL_WORDS:
        outcome = flow.decide(_command_for(word, actor, flow), after=MINUTE)
        if word in listed:
            assert outcome.refusal is None, (word, outcome.refusal)
            assert outcome.changed or outcome.effects, word
        else:
            assert outcome.refusal is not None, word


@pytest.mark.parametrize(("status", "option", "via_offer"), SCENARIOS)
def test_shown_buttons_work_and_hidden_ones_are_refused(
    status: Status, option: ShippingOption, via_offer: bool
) -> None:
    flow = _scenario(status, option, via_offer)
    forms = {
        "reject": {"reason_code": "other", "comment": "We cannot reship this item."},
        "offer_partial_refund": {"amount": "5.00"},
        "arrange_shipment": (
            {"carrier": "DHL", "tracking_number": "123"} if option is ShippingOption.seller else {}
        ),
    }
    for card in flow.request.cards:
        shown = card_actions(flow.request, card, flow.policy)
        actor = BUYER if card.audience is Audience.buyer else SELLER
        for action in ALL_CARD_ACTIONS:
            click = CardAction(actor, card.card_id, card.version, action, forms.get(action, {}))
            outcome = flow.decide(click, after=MINUTE)
            if action in shown:
                assert outcome.refusal is None, (card.card_id, action, outcome.refusal)
            else:
                assert outcome.refusal is not None, (card.card_id, action)
                expected = (
                    "request_closed" if flow.request.status.terminal else ("action_not_available")
                )
                assert outcome.refusal.code == expected


def test_jpy_request_card_is_the_same_as_usd() -> None:
    flow = created(create_command(currency="JPY"))
    assert actions_on(flow, REQUEST_CARD) == SELLER_DECIDES
