"""The chat command parser (SPEC §2.1): every command and form, and two properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.core.chat_parser import (
    MAX_COMMAND_LENGTH,
    USAGE,
    AcceptCommand,
    ApproveCommand,
    CancelCommand,
    DeclineCommand,
    HelpCommand,
    NoArgumentCommand,
    OfferCommand,
    RefundCommand,
    RejectCommand,
    ShipCommand,
    StatusCommand,
    TrackCommand,
    UnknownCommand,
    UsageError,
    parse_command,
    symbol_fits_currency,
)
from bot.core.commands import (
    AcceptOffer,
    Approve,
    ArrangeShipment,
    CancelRequest,
    DeclineOffer,
    Help,
    OfferPartialRefund,
    RefundOnly,
    Reject,
    ShowStatus,
    Track,
)
from bot.core.models import Actor, RejectCode, Role

NO_ARGUMENT: dict[str, type[NoArgumentCommand]] = {
    "/approve": ApproveCommand,
    "/refund": RefundCommand,
    "/accept": AcceptCommand,
    "/decline": DeclineCommand,
    "/cancel": CancelCommand,
    "/track": TrackCommand,
    "/status": StatusCommand,
    "/help": HelpCommand,
}
PARSED_KINDS = (*NO_ARGUMENT.values(), RejectCommand, OfferCommand, ShipCommand)


def usage(command: str) -> UsageError:
    return UsageError(command, USAGE[command])


# --- not a command -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "approve", "I sent it / it is on its way", " \n hi /approve", "#RQ-1"],
)
def test_text_that_does_not_start_with_a_slash_is_not_a_command(text: str) -> None:
    assert parse_command(text) is None


def test_leading_whitespace_before_the_slash_is_ignored() -> None:
    assert parse_command(" \n\t/approve") == ApproveCommand()


# --- commands without arguments ------------------------------------------------------


@pytest.mark.parametrize(("word", "kind"), NO_ARGUMENT.items())
def test_each_command_without_arguments(word: str, kind: type[NoArgumentCommand]) -> None:
    assert parse_command(word) == kind()
    assert parse_command(f"{word} #RQ-123") == kind(request_ref="RQ-123")
    assert parse_command(f"{word}  #RQ-123 \n") == kind(request_ref="RQ-123")


@pytest.mark.parametrize("word", NO_ARGUMENT)
@pytest.mark.parametrize("arguments", ["please", "#RQ-1 now", "#RQ-1 #RQ-2", "#", '"x"'])
def test_extra_arguments_to_a_command_without_arguments_is_a_usage_error(
    word: str, arguments: str
) -> None:
    assert parse_command(f"{word} {arguments}") == usage(word)


@pytest.mark.parametrize(
    "text", ["/Approve", "/APPROVE", "/aPpRoVe", "/approve@reshipbot", "/APPROVE@ReshipBot"]
)
def test_command_words_are_case_insensitive_and_may_name_the_bot(text: str) -> None:
    assert parse_command(text) == ApproveCommand()


def test_a_command_for_another_bot_is_not_ours_when_the_bot_name_is_known() -> None:
    assert parse_command("/approve@otherbot", bot_username="reshipbot") is None
    assert parse_command("/approve@ReshipBot", bot_username="@reshipbot") == ApproveCommand()
    assert parse_command("/approve", bot_username="reshipbot") == ApproveCommand()


def test_the_request_ref_keeps_its_case() -> None:
    assert parse_command("/status #rq-AbC") == StatusCommand(request_ref="rq-AbC")


def test_a_huge_request_ref_is_a_usage_error() -> None:
    assert parse_command("/status #" + "R" * 129) == usage("/status")
    assert parse_command("/status #" + "R" * 128) == StatusCommand(request_ref="R" * 128)


# --- /reject -------------------------------------------------------------------------


def test_reject_with_code_and_comment() -> None:
    assert parse_command("/reject evidence_insufficient The photos show no damage.") == (
        RejectCommand(reason_code="evidence_insufficient", comment="The photos show no damage.")
    )


def test_reject_with_request_ref() -> None:
    result = parse_command("/reject #RQ-1 evidence_insufficient The photos show…")
    assert result == RejectCommand(
        reason_code="evidence_insufficient", comment="The photos show…", request_ref="RQ-1"
    )


def test_reject_code_is_lower_cased_but_not_checked() -> None:
    assert parse_command("/reject Other Because it is so.") == RejectCommand(
        reason_code="other", comment="Because it is so."
    )
    assert parse_command("/reject no_such_code Because it is so.") == RejectCommand(
        reason_code="no_such_code", comment="Because it is so."
    )


@pytest.mark.parametrize(
    "quoted",
    [
        '"The box was sealed."',
        "'The box was sealed.'",
        "“The box was sealed.”",
        "\u2018The box was sealed.\u2019",
        "«The box was sealed.»",
        '  "  The box was sealed.  "  ',
    ],
)
def test_reject_comment_loses_one_pair_of_quotes(quoted: str) -> None:
    result = parse_command(f"/reject other {quoted}")
    assert result == RejectCommand(reason_code="other", comment="The box was sealed.")


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        ('"a" and "b" differ', '"a" and "b" differ'),  # not one pair around the whole
        ('"a" and "b"', '"a" and "b"'),  # the quotes open and close inside too
        ('"unclosed comment', '"unclosed comment'),
        ('“mismatched"', '“mismatched"'),
        ("it's the buyer's", "it's the buyer's"),
    ],
)
def test_reject_comment_keeps_quotes_that_are_not_one_enclosing_pair(
    comment: str, kept: str
) -> None:
    assert parse_command(f"/reject other {comment}") == RejectCommand(
        reason_code="other", comment=kept
    )


def test_reject_comment_keeps_inner_whitespace_and_newlines() -> None:
    text = "/reject\nitem_received_complete\n  Line one.\n\n  Line  two.  \n"
    assert parse_command(text) == RejectCommand(
        reason_code="item_received_complete", comment="Line one.\n\n  Line  two."
    )


def test_reject_without_comment_has_an_empty_comment_for_the_rules_to_refuse() -> None:
    assert parse_command("/reject other") == RejectCommand(reason_code="other", comment="")
    assert parse_command("/reject other  ") == RejectCommand(reason_code="other", comment="")
    assert parse_command('/reject other ""') == RejectCommand(reason_code="other", comment="")


@pytest.mark.parametrize("text", ["/reject", "/reject   ", "/reject #RQ-1", "/reject # other x"])
def test_reject_without_code_is_a_usage_error(text: str) -> None:
    assert parse_command(text) == usage("/reject")


def test_reject_usage_lists_the_codes() -> None:
    for code in RejectCode:
        assert code.value in USAGE["/reject"]


# --- /offer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "percent"),
    [
        ("40%", Decimal("40")),
        ("12.5%", Decimal("12.5")),
        ("12,5%", Decimal("12.5")),
        ("100%", Decimal("100")),
        ("0%", Decimal("0")),
        ("-5%", Decimal("-5")),  # the rules answer "between 0% and 100%"
        ("40 %", Decimal("40")),
    ],
)
def test_offer_percent(argument: str, percent: Decimal) -> None:
    assert parse_command(f"/offer {argument}") == OfferCommand(percent=percent)


@pytest.mark.parametrize("argument", ["%", "abc%", "1,000%", "1.2.3%", "%40"])
def test_offer_malformed_percent_is_a_usage_error(argument: str) -> None:
    assert parse_command(f"/offer {argument}") == usage("/offer")


@pytest.mark.parametrize(
    ("argument", "amount", "symbol"),
    [
        ("12.50", "12.50", None),
        ("12.5", "12.5", None),
        ("1250", "1250", None),
        ("0.5", "0.5", None),
        ("12,50", "12.50", None),  # a decimal comma
        ("12,5", "12.5", None),
        ("$12.50", "12.50", "$"),
        ("US$12.50", "12.50", "US$"),
        ("€12,50", "12.50", "€"),
        ("฿250", "250", "฿"),
        ("250฿", "250", "฿"),
        ("100000₫", "100000", "₫"),
        ("100000đ", "100000", "đ"),
        ("Rp50000", "50000", "Rp"),
        ("Rp.50000", "50000", "Rp"),
        ("$ 12.50", "12.50", "$"),
        ("12 €", "12", "€"),
        ("1000", "1000", None),
        ("0.500", "0.500", None),  # the rules refuse the third digit for 2-digit currencies
    ],
)
def test_offer_amount_is_normalised_but_not_validated(
    argument: str, amount: str, symbol: str | None
) -> None:
    assert parse_command(f"/offer {argument}") == OfferCommand(
        amount=amount, currency_symbol=symbol
    )


@pytest.mark.parametrize("argument", ["abc", "1e3", "12.50.1", "-5", "USD12", "0"])
def test_offer_amount_the_parser_cannot_judge_goes_to_the_rules_as_typed(argument: str) -> None:
    assert parse_command(f"/offer {argument}") == OfferCommand(amount=argument)


@pytest.mark.parametrize(
    "argument", ["1,000", "1,000.50", "1.000,50", "12,345,678", "1.000", "100.000", "$1,000"]
)
def test_offer_with_thousand_separators_is_a_usage_error(argument: str) -> None:
    assert parse_command(f"/offer {argument}") == usage("/offer")


@pytest.mark.parametrize("text", ["/offer", "/offer #RQ-1", "/offer 1 2", "/offer 12.50 USD"])
def test_offer_needs_exactly_one_argument(text: str) -> None:
    assert parse_command(text) == usage("/offer")


def test_offer_with_request_ref() -> None:
    assert parse_command("/offer #RQ-9 40%") == OfferCommand(
        percent=Decimal(40), request_ref="RQ-9"
    )
    assert parse_command("/offer #RQ-9 $5") == OfferCommand(
        amount="5", currency_symbol="$", request_ref="RQ-9"
    )


@pytest.mark.parametrize(
    ("symbol", "currency", "fits"),
    [
        (None, "JPY", True),
        ("$", "USD", True),
        ("US$", "USD", True),
        ("฿", "THB", True),
        ("₫", "VND", True),
        ("đ", "VND", True),
        ("Rp", "IDR", True),
        ("€", "EUR", True),
        ("€", "THB", False),
        ("$", "VND", False),
        ("Rp", "USD", False),
    ],
)
def test_symbol_fits_currency(symbol: str | None, currency: str, fits: bool) -> None:
    assert symbol_fits_currency(symbol, currency) is fits


# --- /ship ---------------------------------------------------------------------------


def test_ship_without_arguments_is_platform_shipping() -> None:
    assert parse_command("/ship") == ShipCommand()
    assert parse_command("/ship #RQ-2") == ShipCommand(request_ref="RQ-2")


def test_ship_with_carrier_and_tracking_is_seller_shipping() -> None:
    assert parse_command("/ship Flash TH0123456789") == ShipCommand(
        carrier="Flash", tracking_number="TH0123456789"
    )
    assert parse_command("/ship #RQ-2 Flash TH01") == ShipCommand(
        carrier="Flash", tracking_number="TH01", request_ref="RQ-2"
    )


@pytest.mark.parametrize(
    "text",
    ['/ship "Kerry Express" TH123', "/ship “Kerry Express” TH123", "/ship 'Kerry Express' TH123"],
)
def test_ship_carrier_with_spaces_in_quotes(text: str) -> None:
    assert parse_command(text) == ShipCommand(carrier="Kerry Express", tracking_number="TH123")


@pytest.mark.parametrize(
    "text",
    [
        "/ship Flash",
        "/ship #RQ-1 Flash",
        "/ship Kerry Express TH123",
        "/ship a b c d",
        '/ship "Kerry Express TH123',
        '/ship "" TH123',
    ],
)
def test_ship_with_one_or_three_arguments_is_a_usage_error(text: str) -> None:
    assert parse_command(text) == usage("/ship")


# --- unknown and oversized -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("/start", "/start"),
        ("/Foo bar", "/Foo"),
        ("/approve, please", "/approve,"),
        ("/", "/"),
        ("/ approve", "/"),
        ("/home/user/file", "/home/user/file"),
        ("/approve@", "/approve@"),
        ("/foo@reshipbot", "/foo"),
        ("/" + "x" * 100, "/" + "x" * 30 + "…"),
    ],
)
def test_unknown_commands(text: str, word: str) -> None:
    assert parse_command(text) == UnknownCommand(word)


def test_a_command_text_over_the_limit_is_a_usage_error() -> None:
    at_limit = "/reject other " + "x" * (MAX_COMMAND_LENGTH - len("/reject other "))
    assert isinstance(parse_command(at_limit), RejectCommand)
    assert parse_command(at_limit + "x") == usage("/reject")
    assert parse_command("/nope " + "x" * MAX_COMMAND_LENGTH) == UnknownCommand("/nope")
    assert parse_command("x" * (MAX_COMMAND_LENGTH + 1)) is None


def test_usage_has_one_line_per_command() -> None:
    assert set(USAGE) == {*NO_ARGUMENT, "/reject", "/offer", "/ship"}
    for command, line in USAGE.items():
        assert line.startswith(command)
        assert "\n" not in line


# --- to the rules' commands ----------------------------------------------------------

SELLER = Actor(role=Role.seller, id="s-1")


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("/approve", Approve(actor=SELLER)),
        ("/reject other Not as described.", Reject(SELLER, "other", "Not as described.")),
        ("/offer 40%", OfferPartialRefund(SELLER, percent=Decimal(40))),
        ("/offer $12.50", OfferPartialRefund(SELLER, amount="12.50", currency_symbol="$")),
        ("/refund", RefundOnly(SELLER)),
        ("/ship", ArrangeShipment(SELLER)),
        ("/ship Flash TH1", ArrangeShipment(SELLER, "Flash", "TH1")),
        ("/accept", AcceptOffer(SELLER)),
        ("/decline", DeclineOffer(SELLER)),
        ("/cancel", CancelRequest(SELLER)),
        ("/track", Track(SELLER)),
        ("/status", ShowStatus(SELLER)),
        ("/help", Help(SELLER)),
    ],
)
def test_to_command(text: str, command: object) -> None:
    parsed = parse_command(text)
    assert parsed is not None and not isinstance(parsed, UsageError | UnknownCommand)
    assert parsed.to_command(SELLER) == command


# --- properties ----------------------------------------------------------------------

command_like = st.builds(
    lambda space, word, rest: f"{space}{word}{rest}",
    st.sampled_from(["", " ", "\n "]),
    st.sampled_from([*USAGE, "/APPROVE", "/offer@bot", "/x", "/", "/reject@"]),
    st.text(),
)
junk_arguments = st.builds(
    lambda word, parts: word + " " + " ".join(parts),
    st.sampled_from(list(USAGE)),
    st.lists(
        st.one_of(
            st.sampled_from(['"', "'", "“", "”", "«", "#", "%", ",", ".", "$", "Rp.", "#RQ"]),
            st.text(max_size=8),
        ),
        max_size=6,
    ),
)


@given(st.one_of(st.text(), command_like, junk_arguments))
def test_never_raises_and_answers_one_of_four_kinds(text: str) -> None:
    result = parse_command(text)
    assert result is None or isinstance(result, (*PARSED_KINDS, UsageError, UnknownCommand))
    if result is None:
        assert not text.lstrip().startswith("/")
    if isinstance(result, UsageError):
        assert result.usage == USAGE[result.command]


def _cased(word: str, how: int) -> str:
    return (word, word.upper(), word.title())[how]


refs = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,30}", fullmatch=True))
spaces = st.sampled_from([" ", "  ", "\t", "\n", " \n "])
prefixes = st.builds(
    lambda how, bot: (how, bot),
    st.integers(0, 2),
    st.sampled_from(["", "@reshipbot", "@Other_Bot"]),
)
OPENING_QUOTES = "\"'“\u2018«„"
CLOSING_QUOTES = "\"'”\u2019»“"
plain_tokens = st.from_regex(r"[^\s#" + OPENING_QUOTES + r"]\S{0,20}", fullmatch=True)


def _text(word: str, prefix: tuple[int, str], space: str, ref: str | None, *args: str) -> str:
    how, bot = prefix
    parts = [_cased(word, how) + bot, *([f"#{ref}"] if ref else []), *args]
    return space.join(parts)


@given(st.sampled_from(list(NO_ARGUMENT)), prefixes, spaces, refs)
def test_round_trip_without_arguments(
    word: str, prefix: tuple[int, str], space: str, ref: str | None
) -> None:
    assert parse_command(_text(word, prefix, space, ref)) == NO_ARGUMENT[word](request_ref=ref)


comments = (
    st.text(min_size=1)
    .map(str.strip)
    .filter(lambda c: c != "" and not (c[0] in OPENING_QUOTES and c[-1] in CLOSING_QUOTES))
)


@given(prefixes, spaces, refs, st.from_regex(r"[A-Za-z_]{1,25}", fullmatch=True), comments)
def test_round_trip_reject(
    prefix: tuple[int, str], space: str, ref: str | None, code: str, comment: str
) -> None:
    text = _text("/reject", prefix, space, ref, code, comment)
    assert parse_command(text) == RejectCommand(
        reason_code=code.lower(), comment=comment, request_ref=ref
    )


@given(prefixes, spaces, refs, comments.filter(lambda c: "”" not in c))
def test_round_trip_reject_quoted_comment(
    prefix: tuple[int, str], space: str, ref: str | None, comment: str
) -> None:
    text = _text("/reject", prefix, space, ref, "other", f"“{comment}”")
    assert parse_command(text) == RejectCommand(
        reason_code="other", comment=comment, request_ref=ref
    )


@given(
    prefixes,
    spaces,
    refs,
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
    st.booleans(),
)
def test_round_trip_offer_amount(
    prefix: tuple[int, str], space: str, ref: str | None, amount: Decimal, comma: bool
) -> None:
    typed = f"{amount:f}"
    text = _text("/offer", prefix, space, ref, typed.replace(".", ",") if comma else typed)
    assert parse_command(text) == OfferCommand(amount=typed, request_ref=ref)


@given(
    prefixes,
    spaces,
    refs,
    st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False),
)
def test_round_trip_offer_percent(
    prefix: tuple[int, str], space: str, ref: str | None, percent: Decimal
) -> None:
    text = _text("/offer", prefix, space, ref, f"{percent:f}%")
    assert parse_command(text) == OfferCommand(percent=percent, request_ref=ref)


@given(prefixes, spaces, refs, plain_tokens, plain_tokens, st.booleans())
def test_round_trip_ship(
    prefix: tuple[int, str],
    space: str,
    ref: str | None,
    carrier: str,
    tracking: str,
    two_words: bool,
) -> None:
    assume(not two_words or '"' not in carrier)
    typed_carrier = f'"{carrier} Express"' if two_words else carrier
    text = _text("/ship", prefix, space, ref, typed_carrier, tracking)
    expected_carrier = f"{carrier} Express" if two_words else carrier
    assert parse_command(text) == ShipCommand(
        carrier=expected_carrier, tracking_number=tracking, request_ref=ref
    )
