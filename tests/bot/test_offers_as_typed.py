"""An offer as the seller types it, in chat or in the request card's form (T5, SPEC §2.1).

Both read the amount with one grammar (`bot.chat_parser.parse_offer_argument`): `12.50`,
`12,50`, `$12.50`, `40%`. A currency symbol must be the order's (README, "Behaviour":
`€12` on a THB order is refused, not read as 12 THB); what cannot be read as an amount
is refused quoting the text as typed, cut to 24 characters.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.chat_parser import OfferCommand, UsageError, parse_offer_argument
from bot.core.commands import CardAction, OfferPartialRefund
from bot.core.models import Status
from bot.core.outcome import Outcome, Refusal
from tests.bot.builders import (
    HOUR,
    REQUEST_CARD,
    REQUEST_ID,
    SELLER,
    Flow,
    card_version,
    create_command,
    created,
)

# --- the grammar -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("12.50", OfferCommand(amount="12.50")),
        ("12,50", OfferCommand(amount="12.50")),
        ("$12.50", OfferCommand(amount="12.50", currency_symbol="$")),
        ("12.50 $", OfferCommand(amount="12.50", currency_symbol="$")),
        ("40%", OfferCommand(percent=Decimal(40))),
        ("40 %", OfferCommand(percent=Decimal(40))),
        ('"12.50"', OfferCommand(amount="12.50")),
    ],
)
def test_an_offer_argument_is_read_like_the_chat_command(typed: str, parsed: OfferCommand) -> None:
    assert parse_offer_argument(typed) == parsed


@pytest.mark.parametrize("typed", ["", "   ", "12 50", '"12.50', "1,000", "abc%"])
def test_an_offer_argument_that_is_not_one_amount_is_a_usage_error(typed: str) -> None:
    assert isinstance(parse_offer_argument(typed), UsageError)


# --- in the card's form ------------------------------------------------------------------------


def _offer_on_card(typed: str, currency: str = "USD") -> tuple[Flow, Outcome]:
    flow = created(create_command(currency=currency))
    version = card_version(flow, REQUEST_CARD)
    click = CardAction(SELLER, REQUEST_CARD, version, "offer_partial_refund", {"amount": typed})
    outcome = flow.attempt(click, after=HOUR)
    return flow, outcome


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("12,50", Decimal("12.50")),
        ("$12.50", Decimal("12.50")),
        (" US$ 12.50 ", Decimal("12.50")),
        ("40 %", Decimal("10.00")),
        ("40%", Decimal("10.00")),
    ],
)
def test_the_card_form_takes_what_the_chat_takes(typed: str, amount: Decimal) -> None:
    flow, outcome = _offer_on_card(typed)
    assert outcome.refusal is None
    assert flow.request.status is Status.offer_pending
    offer = flow.request.offer
    assert offer is not None and offer.amount == amount


def test_a_card_amount_in_the_currency_of_the_order_is_offered() -> None:
    flow, outcome = _offer_on_card("฿12.50", currency="THB")
    assert outcome.refusal is None
    offer = flow.request.offer
    assert offer is not None and offer.amount == Decimal("12.50")


# --- refused, quoting what was typed --------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        OfferPartialRefund(SELLER, amount="5", currency_symbol="€"),
        OfferPartialRefund(SELLER, percent=Decimal(40), currency_symbol="€"),
        OfferPartialRefund(SELLER, amount="5", currency_symbol="฿"),
    ],
    ids=["amount", "percent", "baht"],
)
def test_a_symbol_of_another_currency_is_refused_naming_the_order_currency(
    command: OfferPartialRefund,
) -> None:
    outcome = created().decide(command, after=HOUR)
    assert outcome.refusal == Refusal(
        "wrong_currency", {"request_id": REQUEST_ID, "currency": "USD"}
    )
    assert outcome.refusal.message == "Request R1 is in USD; offer an amount in USD."


def test_a_symbol_of_another_currency_in_the_card_form_is_refused_too() -> None:
    _, outcome = _offer_on_card("€5")
    refusal = outcome.refusal
    assert refusal is not None and refusal.code == "wrong_currency"


@pytest.mark.parametrize("typed", ["lots", "abc%", "1,000"])
def test_a_card_amount_that_cannot_be_read_is_quoted_back(typed: str) -> None:
    _, outcome = _offer_on_card(typed)
    refusal = outcome.refusal
    assert refusal is not None and refusal.code == "invalid_amount"
    assert refusal.params["amount"] == typed


def test_a_long_amount_is_quoted_back_cut_to_24_characters() -> None:
    typed = "about twenty-five dollars and fifty cents"
    outcome = created().decide(OfferPartialRefund(SELLER, amount=typed), after=HOUR)
    assert outcome.refusal is not None
    assert outcome.refusal.params["amount"] == "about twenty-five dolla…"
    assert len("about twenty-five dolla…") == 24


def test_an_amount_of_exactly_24_characters_is_quoted_whole() -> None:
    typed = "x" * 24
    outcome = created().decide(OfferPartialRefund(SELLER, amount=typed), after=HOUR)
    assert outcome.refusal is not None
    assert outcome.refusal.params["amount"] == typed


def test_an_amount_too_large_for_any_order_is_quoted_back_cut_to_24_characters() -> None:
    outcome = created().decide(OfferPartialRefund(SELLER, amount="9" * 40), after=HOUR)
    assert outcome.refusal is not None
    assert outcome.refusal.code == "amount_above_affected_value"
    assert outcome.refusal.params["amount"] == "9" * 23 + "…"
