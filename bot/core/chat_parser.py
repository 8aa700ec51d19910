"""The chat command parser (SPEC §2.1): text in, a frozen value out. Pure, and total.

`parse_command` answers one of four kinds for any string and never raises:

- `None` — not a command (the text does not start with `/`); such text is not answered.
- a `ParsedCommand` — one frozen dataclass per command, each with `request_ref`, the
  optional first argument `#REQUEST_ID`.
- `UsageError(command, usage)` — a known command with wrong arguments.
- `UnknownCommand(word)` — a `/word` the bot does not know.

The parser checks syntax only. Whether a reject code exists, an amount fits the currency,
a percentage is in range or a request id is known is for the rules, which can answer
with the list of codes, the currency's digits or the open requests.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import ClassVar, TypeAlias

from babel.numbers import get_currency_symbol

from bot.core.commands import (
    AcceptOffer,
    ActorCommand,
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
from bot.core.models import Actor, RejectCode

MAX_COMMAND_LENGTH = 4000
"""Longer command texts get a `UsageError` (an unknown word stays `UnknownCommand`).

4000 characters hold any sensible rejection comment and stay under chat platforms'
message limits (Telegram: 4096); longer non-command text is still simply not answered.
"""

MAX_REF_LENGTH = 128
MAX_WORD_SHOWN = 32

_REF_NOTE = "[#REQUEST_ID first if several requests]"
_REJECT_CODES = ", ".join(code.value for code in RejectCode)

USAGE: dict[str, str] = {
    "/approve": f"/approve {_REF_NOTE}",
    "/reject": f"/reject CODE COMMENT, CODE one of {_REJECT_CODES} {_REF_NOTE}",
    "/offer": (
        "/offer AMOUNT or /offer N%, e.g. /offer 12.50 or /offer 40% "
        f"(no thousand separators) {_REF_NOTE}"
    ),
    "/refund": f"/refund {_REF_NOTE}",
    "/ship": (
        "/ship for platform shipping, or /ship CARRIER TRACKING for seller shipping "
        f'(quote a carrier with spaces: /ship "Kerry Express" TH123) {_REF_NOTE}'
    ),
    "/accept": f"/accept {_REF_NOTE}",
    "/decline": f"/decline {_REF_NOTE}",
    "/cancel": f"/cancel {_REF_NOTE}",
    "/track": f"/track {_REF_NOTE}",
    "/status": f"/status {_REF_NOTE}",
    "/help": f"/help {_REF_NOTE}",
}


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _NoArgumentCommand:
    """A command whose only argument is the optional `#REQUEST_ID`."""

    name: ClassVar[str]
    rule: ClassVar[Callable[[Actor], ActorCommand]]
    request_ref: str | None = None

    def to_command(self, actor: Actor) -> ActorCommand:
        return type(self).rule(actor)


@dataclass(frozen=True, kw_only=True)
class ApproveCommand(_NoArgumentCommand):
    name: ClassVar[str] = "/approve"
    rule: ClassVar[Callable[[Actor], ActorCommand]] = Approve


@dataclass(frozen=True, kw_only=True)
class RefundCommand(_NoArgumentCommand):
    name: ClassVar[str] = "/refund"
    rule: ClassVar[Callable[[Actor], ActorCommand]] = RefundOnly


@dataclass(frozen=True, kw_only=True)
class AcceptCommand(_NoArgumentCommand):
    name: ClassVar[str] = "/accept"
    rule: ClassVar[Callable[[Actor], ActorCommand]] = AcceptOffer


@dataclass(frozen=True, kw_only=True)
class DeclineCommand(_NoArgumentCommand):
    name: ClassVar[str] = "/decline"
    rule: ClassVar[Callable[[Actor], ActorCommand]] = DeclineOffer


@dataclass(frozen=True, kw_only=True)
class CancelCommand(_NoArgumentCommand):
    name: ClassVar[str] = "/cancel"
    rule: ClassVar[Callable[[Actor], ActorCommand]] = CancelRequest


@dataclass(frozen=True, kw_only=True)
class TrackCommand(_NoArgumentCommand):
    name: ClassVar[str] = "/track"
    rule: ClassVar[Callable[[Actor], ActorCommand]] = Track


@dataclass(frozen=True, kw_only=True)
class StatusCommand(_NoArgumentCommand):
    name: ClassVar[str] = "/status"
    rule: ClassVar[Callable[[Actor], ActorCommand]] = ShowStatus


@dataclass(frozen=True, kw_only=True)
class HelpCommand(_NoArgumentCommand):
    name: ClassVar[str] = "/help"
    rule: ClassVar[Callable[[Actor], ActorCommand]] = Help


@dataclass(frozen=True, kw_only=True)
class RejectCommand:
    """`reason_code` is lower-cased but not checked; `comment` may be empty."""

    name: ClassVar[str] = "/reject"
    reason_code: str
    comment: str
    request_ref: str | None = None

    def to_command(self, actor: Actor) -> ActorCommand:
        return Reject(actor=actor, reason_code=self.reason_code, comment=self.comment)


@dataclass(frozen=True, kw_only=True)
class OfferCommand:
    """Exactly one of `amount` (a plain decimal text, e.g. `12.50`) or `percent` is set.

    `currency_symbol` is the symbol typed with the amount (`$12.50` → `$`), if any; check
    it with `symbol_fits_currency` before using the amount, so `€12` on a THB order is
    refused instead of becoming 12 THB.
    """

    name: ClassVar[str] = "/offer"
    amount: str | None = None
    percent: Decimal | None = None
    currency_symbol: str | None = None
    request_ref: str | None = None

    def to_command(self, actor: Actor) -> ActorCommand:
        return OfferPartialRefund(
            actor=actor,
            amount=self.amount,
            percent=self.percent,
            currency_symbol=self.currency_symbol,
        )


@dataclass(frozen=True, kw_only=True)
class ShipCommand:
    """Platform shipping without carrier and tracking; seller shipping with both."""

    name: ClassVar[str] = "/ship"
    carrier: str | None = None
    tracking_number: str | None = None
    request_ref: str | None = None

    def to_command(self, actor: Actor) -> ActorCommand:
        return ArrangeShipment(
            actor=actor, carrier=self.carrier, tracking_number=self.tracking_number
        )


@dataclass(frozen=True)
class UsageError:
    """A known command with wrong arguments: answer with `usage` (see `USAGE`)."""

    command: str
    usage: str


@dataclass(frozen=True)
class UnknownCommand:
    """`word` as typed, with its slash, without an `@botname`, shortened to 32 characters."""

    word: str


NoArgumentCommand: TypeAlias = (
    ApproveCommand
    | RefundCommand
    | AcceptCommand
    | DeclineCommand
    | CancelCommand
    | TrackCommand
    | StatusCommand
    | HelpCommand
)
ParsedCommand: TypeAlias = NoArgumentCommand | RejectCommand | OfferCommand | ShipCommand
ParseResult: TypeAlias = ParsedCommand | UsageError | UnknownCommand | None

_NO_ARGUMENT_COMMANDS: dict[str, type[NoArgumentCommand]] = {
    cls.name: cls
    for cls in (
        ApproveCommand,
        RefundCommand,
        AcceptCommand,
        DeclineCommand,
        CancelCommand,
        TrackCommand,
        StatusCommand,
        HelpCommand,
    )
}


# --- parsing -----------------------------------------------------------------------------

_HEAD = re.compile(r"(\S*)(.*)", re.DOTALL)
_TOKEN = re.compile(r"\S+")
_COMMAND_WORD = re.compile(r"/(?P<word>[A-Za-z0-9_]+)(?:@(?P<bot>[A-Za-z0-9_]+))?", re.ASCII)
# Straight, curly double and single, guillemet and low-high quotes.
_QUOTES = {'"': '"', "'": "'", "“": "”", "\u2018": "\u2019", "«": "»", "„": "“"}


def parse_command(text: str, *, bot_username: str | None = None) -> ParseResult:
    """Parse one chat message; never raises.

    Text not starting with `/` (after leading whitespace) is not a command: `None`.
    The command word is case-insensitive and may carry an `@botname` suffix; with
    `bot_username` given, a command addressed to another bot is not ours: `None`.
    A command text longer than `MAX_COMMAND_LENGTH` is a `UsageError`.
    """
    stripped = text.lstrip()
    if not stripped.startswith("/"):
        return None
    head, rest = _split_head(stripped)
    match = _COMMAND_WORD.fullmatch(head)
    if match is None:
        return UnknownCommand(_shorten(head))
    bot = match["bot"]
    if bot_username is not None and bot is not None and not _same_bot(bot, bot_username):
        return None
    name = "/" + match["word"].lower()
    if name not in USAGE:
        return UnknownCommand(_shorten("/" + match["word"]))
    if len(text) > MAX_COMMAND_LENGTH:
        return _usage(name)
    return _parse_arguments(name, rest)


def _same_bot(addressed: str, bot_username: str) -> bool:
    return addressed.lower() == bot_username.lstrip("@").lower()


def _parse_arguments(name: str, rest: str) -> ParseResult:
    ref, rest, ok = _take_ref(rest)
    if not ok:
        return _usage(name)
    if name == "/reject":
        return _parse_reject(ref, rest)
    tokens = _tokens(rest)
    if tokens is None:
        return _usage(name)
    if name == "/offer":
        return _parse_offer(ref, tokens)
    if name == "/ship":
        return _parse_ship(ref, tokens)
    if tokens:
        return _usage(name)
    return _NO_ARGUMENT_COMMANDS[name](request_ref=ref)


def _split_head(text: str) -> tuple[str, str]:
    match = _HEAD.match(text)
    assert match is not None  # the pattern matches every string
    return match.group(1), match.group(2)


def _shorten(word: str) -> str:
    return word if len(word) <= MAX_WORD_SHOWN else word[: MAX_WORD_SHOWN - 1] + "…"


def _usage(name: str) -> UsageError:
    return UsageError(name, USAGE[name])


def _take_ref(text: str) -> tuple[str | None, str, bool]:
    """Split an optional leading `#REQUEST_ID` off; `ok` is False for a bare or huge `#`."""
    head, rest = _split_head(text.lstrip())
    if not head.startswith("#"):
        return None, text, True
    ref = head[1:]
    return ref, rest, 0 < len(ref) <= MAX_REF_LENGTH


def _tokens(text: str) -> list[str] | None:
    """Whitespace-separated arguments; a token opening with a quote runs to its closing
    quote (followed by whitespace or the end). None for an unclosed or empty quote."""
    tokens: list[str] = []
    position = len(text) - len(text.lstrip())
    while position < len(text):
        close = _QUOTES.get(text[position])
        if close is None:
            match = _TOKEN.match(text, position)
            assert match is not None  # position is at a non-space character
            tokens.append(match.group())
            position = match.end()
        else:
            end = _closing_quote(text, position + 1, close)
            inner = text[position + 1 : end].strip() if end >= 0 else ""
            if not inner:
                return None
            tokens.append(inner)
            position = end + 1
        while position < len(text) and text[position].isspace():
            position += 1
    return tokens


def _closing_quote(text: str, start: int, close: str) -> int:
    """Index of the first `close` at or after `start` that ends a token, or -1."""
    index = text.find(close, start)
    while index >= 0 and index + 1 < len(text) and not text[index + 1].isspace():
        index = text.find(close, index + 1)
    return index


def _unquote(text: str) -> str:
    """Strip one matching pair of quotes around the whole text, if the pair is unique."""
    if len(text) < 2:
        return text
    close = _QUOTES.get(text[0])
    if close is None or text[-1] != close or close in text[1:-1]:
        return text
    return text[1:-1]


def _parse_reject(ref: str | None, rest: str) -> RejectCommand | UsageError:
    code, comment = _split_head(rest.lstrip())
    if not code:
        return _usage("/reject")
    return RejectCommand(
        reason_code=code.lower(), comment=_unquote(comment.strip()).strip(), request_ref=ref
    )


def _parse_ship(ref: str | None, tokens: list[str]) -> ShipCommand | UsageError:
    if not tokens:
        return ShipCommand(request_ref=ref)
    if len(tokens) != 2:
        return _usage("/ship")
    carrier, tracking_number = tokens
    return ShipCommand(carrier=carrier, tracking_number=tracking_number, request_ref=ref)


# --- /offer ------------------------------------------------------------------------------

_PERCENT = re.compile(r"-?[0-9]+(?:\.[0-9]+|,[0-9]{1,2})?", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]{1,2}", re.ASCII)
_DOTTED_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}(?:\.[0-9]{3})+", re.ASCII)
_SYMBOL_AND_NUMBER = re.compile(
    r"(?P<before>Rp\.|[^0-9.,+-]*)(?P<number>[+-]?[0-9][0-9.,]*)(?P<after>[^0-9.,+-]*)",
    re.ASCII,
)
_LETTER_SYMBOLS = frozenset({"Rp", "RM", "đ", "Đ"})


def parse_offer_argument(text: str) -> OfferCommand | UsageError:
    """The amount of an offer as typed anywhere (after `/offer`, or in a card's form):
    `12.50`, `$12.50`, `12,50`, `40%`; one grammar for every way of offering."""
    tokens = _tokens(text)
    if tokens is None:
        return _usage("/offer")
    return _parse_offer(None, tokens)


def _parse_offer(ref: str | None, tokens: list[str]) -> OfferCommand | UsageError:
    if len(tokens) == 2 and (
        tokens[1] == "%" or _is_currency_symbol(tokens[0]) or _is_currency_symbol(tokens[1])
    ):
        tokens = [tokens[0] + tokens[1]]
    if len(tokens) != 1:
        return _usage("/offer")
    token = tokens[0]
    if "%" in token:
        number = token[:-1] if token.endswith("%") else ""
        if not _PERCENT.fullmatch(number):
            return _usage("/offer")
        return OfferCommand(percent=Decimal(number.replace(",", ".")), request_ref=ref)
    symbol, amount = _split_currency_symbol(token)
    if "," in amount:
        if not _DECIMAL_COMMA.fullmatch(amount):
            return _usage("/offer")  # thousand separators: 1,000 or 1.000,50
        amount = amount.replace(",", ".")
    elif _DOTTED_THOUSANDS.fullmatch(amount):
        return _usage("/offer")  # 1.000 is a thousand in id, vi and es
    return OfferCommand(amount=amount, currency_symbol=symbol, request_ref=ref)


def _split_currency_symbol(token: str) -> tuple[str | None, str]:
    """`$12.50` → (`$`, `12.50`); anything else comes back whole, as typed."""
    match = _SYMBOL_AND_NUMBER.fullmatch(token)
    if match is None:
        return None, token
    before, after = match["before"], match["after"]
    symbol = before or after
    if (before and after) or not symbol:
        return None, token
    symbol = symbol.removesuffix(".") if symbol == "Rp." else symbol
    if not _is_currency_symbol(symbol):
        return None, token
    return symbol, match["number"]


def _is_currency_symbol(text: str) -> bool:
    """`$`, `฿`, `₫`, `US$`, `S$`, `Rp`, `RM`, `đ`: a currency sign after 0-3 capitals."""
    if text in _LETTER_SYMBOLS:
        return True
    if not text or unicodedata.category(text[-1]) != "Sc":
        return False
    prefix = text[:-1]
    return len(prefix) <= 3 and all("A" <= char <= "Z" for char in prefix)


_EXTRA_SYMBOLS: dict[str, frozenset[str]] = {
    "VND": frozenset({"đ", "Đ"}),
    "IDR": frozenset({"Rp"}),
    "MYR": frozenset({"RM"}),
    "THB": frozenset({"฿"}),
    "USD": frozenset({"$"}),
    "SGD": frozenset({"$"}),
    "JPY": frozenset({"¥", "￥"}),
}
_SYMBOL_LOCALES = ("en", "es", "id", "th", "vi")


@lru_cache(maxsize=256)
def _symbols_of(currency: str) -> frozenset[str]:
    symbols = {currency, *_EXTRA_SYMBOLS.get(currency, frozenset())}
    for locale in _SYMBOL_LOCALES:
        symbols.add(get_currency_symbol(currency, locale))
    return frozenset(symbols)


def symbol_fits_currency(symbol: str | None, currency: str) -> bool:
    """Whether an amount typed with `symbol` may be read in `currency`; no symbol fits."""
    return symbol is None or symbol in _symbols_of(currency.upper())
