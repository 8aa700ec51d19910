"""How the chat parser splits arguments (SPEC §2.1): quoted tokens, currency symbols typed
with an amount, a command addressed to the bot by name, and unknown words shown back.

The rules are the parser's own documentation (`bot.chat_parser`): a token opening with a
quote runs to its closing quote, which is one followed by whitespace or the end; an empty
or unclosed quote is a usage error; a comment loses one enclosing pair of quotes only if
that pair is unique; a currency symbol is a currency sign after 0-3 capitals (or `Rp`,
`RM`, `đ`); an unknown word is shown up to 32 characters.
"""

from __future__ import annotations

import pytest

from bot.core.chat_parser import (
    MAX_WORD_SHOWN,
    USAGE,
    ApproveCommand,
    OfferCommand,
    RejectCommand,
    ShipCommand,
    UnknownCommand,
    UsageError,
    parse_command,
)

# --- quoted tokens -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "carrier"),
    [
        # a quote followed by a letter does not close the token; the next one does
        ('/ship "O"Brien Logistics" TH123', 'O"Brien Logistics'),
        ("/ship 'O'Brien Logistics' TH123", "O'Brien Logistics"),
        ('/ship "Kerry"" TH123', 'Kerry"'),
        # spaces just inside the quotes are not part of the carrier
        ('/ship " Kerry Express " TH123', "Kerry Express"),
        ("/ship “ Kerry Express ” TH123", "Kerry Express"),
    ],
)
def test_a_quoted_carrier_runs_to_the_quote_followed_by_whitespace(text: str, carrier: str) -> None:
    assert parse_command(text) == ShipCommand(carrier=carrier, tracking_number="TH123")


def test_a_quote_at_the_very_end_closes_the_token() -> None:
    assert parse_command('/ship Kerry "TH 123"') == ShipCommand(
        carrier="Kerry", tracking_number="TH 123"
    )


def test_carrier_and_tracking_number_may_both_be_quoted() -> None:
    assert parse_command('/ship "Kerry Express" "TH 123"') == ShipCommand(
        carrier="Kerry Express", tracking_number="TH 123"
    )
    assert parse_command('/ship "O"Brien Logistics" "TH 123"') == ShipCommand(
        carrier='O"Brien Logistics', tracking_number="TH 123"
    )
    assert parse_command("/ship «Kerry Express» «TH 123»") == ShipCommand(
        carrier="Kerry Express", tracking_number="TH 123"
    )


@pytest.mark.parametrize(
    "text",
    [
        '/ship "Kerry Express"X',  # the quote is followed by a letter: never closed
        '/ship "Kerry Express"TH123',
        '/ship "" Kerry" TH123',  # an empty quote, even if a later quote would close it
        '/ship "   " TH123',
    ],
)
def test_an_unclosed_or_empty_quote_is_a_usage_error(text: str) -> None:
    assert parse_command(text) == UsageError("/ship", USAGE["/ship"])


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        ('""Fragile was ignored"', '""Fragile was ignored"'),  # a second quote right inside
        ('"The crack is 3""', '"The crack is 3""'),  # ... or just before the last one
        ('"x"', "x"),
        ('""', ""),
        ('"', '"'),
    ],
)
def test_a_reject_comment_loses_its_quotes_only_if_they_are_the_only_pair(
    comment: str, kept: str
) -> None:
    assert parse_command(f"/reject other {comment}") == RejectCommand(
        reason_code="other", comment=kept
    )


# --- currency symbols typed with an amount ---------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "symbol", "amount"),
    [
        ("A$12", "A$", "12"),
        ("NZ$12", "NZ$", "12"),
        ("MOP$12", "MOP$", "12"),  # three capitals before the sign
        ("12 NZ$", "NZ$", "12"),
        ("RM12.50", "RM", "12.50"),
        ("12.50 RM", "RM", "12.50"),
    ],
)
def test_a_currency_sign_after_up_to_three_capitals_is_a_symbol(
    argument: str, symbol: str, amount: str
) -> None:
    assert parse_command(f"/offer {argument}") == OfferCommand(
        amount=amount, currency_symbol=symbol
    )


@pytest.mark.parametrize(
    "argument",
    [
        "ABCD$12",  # four capitals
        "us$12",  # not capitals
        "Us$12",
        "u$12",
        "$12฿",  # a symbol on both sides
    ],
)
def test_anything_else_around_the_number_goes_to_the_rules_as_typed(argument: str) -> None:
    assert parse_command(f"/offer {argument}") == OfferCommand(amount=argument)


@pytest.mark.parametrize("argument", ["12.50 Us$", "12.50 ABCD$", "12.50 us$", "Us$ 12.50"])
def test_a_second_word_that_is_not_a_symbol_makes_two_arguments(argument: str) -> None:
    assert parse_command(f"/offer {argument}") == UsageError("/offer", USAGE["/offer"])


# --- addressed to a bot by name ----------------------------------------------------------------


@pytest.mark.parametrize("bot_username", ["XpressBot", "@XpressBot", "xpressbot", "@@XpressBot"])
def test_a_command_addressed_to_this_bot_is_ours(bot_username: str) -> None:
    assert parse_command("/approve@XpressBot", bot_username=bot_username) == ApproveCommand()


def test_a_command_addressed_to_a_bot_whose_name_only_looks_similar_is_not_ours() -> None:
    assert parse_command("/approve@pressBot", bot_username="XpressBot") is None
    assert parse_command("/approve@XpressBot", bot_username="pressBot") is None


# --- unknown words shown back ----------------------------------------------------------------


def test_an_unknown_word_of_exactly_the_limit_is_shown_whole() -> None:
    word = "/" + "x" * (MAX_WORD_SHOWN - 1)
    assert len(word) == MAX_WORD_SHOWN
    assert parse_command(word) == UnknownCommand(word)


def test_an_unknown_word_one_over_the_limit_is_shortened_to_the_limit() -> None:
    word = "/" + "x" * MAX_WORD_SHOWN
    shown = parse_command(word)
    assert shown == UnknownCommand("/" + "x" * (MAX_WORD_SHOWN - 2) + "…")
    assert isinstance(shown, UnknownCommand)
    assert len(shown.word) == MAX_WORD_SHOWN
