"""The chat command parser (SPEC §2.1): text in, a frozen value out. Pure, and total.

`parse_command` answers one of four kinds for any string and never raises:

- `None` — not a command (the text does not start with `/`); such text is not answered.
- a `ParsedCommand` — one frozen dataclass per command, each with `request_ref`, the
  optional first argument `#REQUEST_ID`. The words and how each reads its arguments
  are declared in `bot.core.registry`; the grammar is `bot.core.chat_syntax`.
- `UsageError(command, usage)` — a known command with wrong arguments.
- `UnknownCommand(word)` — a `/word` the bot does not know.

The parser checks syntax only. Whether a reject code exists, an amount fits the currency,
a percentage is in range or a request id is known is for the rules, which can answer
with the list of codes, the currency's digits or the open requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

from bot.core.chat_syntax import MAX_REF_LENGTH, split_head, symbol_fits_currency, take_ref
from bot.core.declaration import ChatCommand, NoArgumentCommand, ParsedCommand
from bot.core.registry import (
    REGISTRY,
    AcceptCommand,
    ApproveCommand,
    CancelCommand,
    DeclineCommand,
    HelpCommand,
    OfferCommand,
    RefundCommand,
    RejectCommand,
    ShipCommand,
    StatusCommand,
    TrackCommand,
)

__all__ = [
    "MAX_COMMAND_LENGTH",
    "MAX_REF_LENGTH",
    "MAX_WORD_SHOWN",
    "USAGE",
    "AcceptCommand",
    "ApproveCommand",
    "CancelCommand",
    "DeclineCommand",
    "HelpCommand",
    "NoArgumentCommand",
    "OfferCommand",
    "ParseResult",
    "ParsedCommand",
    "RefundCommand",
    "RejectCommand",
    "ShipCommand",
    "StatusCommand",
    "TrackCommand",
    "UnknownCommand",
    "UsageError",
    "parse_command",
    "parse_offer_argument",
    "symbol_fits_currency",
]

MAX_COMMAND_LENGTH = 4000
"""Longer command texts get a `UsageError` (an unknown word stays `UnknownCommand`).

4000 characters hold any sensible rejection comment and stay under chat platforms'
message limits (Telegram: 4096); longer non-command text is still simply not answered.
"""

MAX_WORD_SHOWN = 32

USAGE: dict[str, str] = {command.word: command.usage_line() for command in REGISTRY}
"""Each command's usage line in English, as a `UsageError` carries it."""


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UsageError:
    """A known command with wrong arguments: answer with `usage` (see `USAGE`)."""

    command: str
    usage: str


@dataclass(frozen=True)
class UnknownCommand:
    """`word` as typed, with its slash, without an `@botname`, shortened to 32 characters."""

    word: str


ParseResult: TypeAlias = ParsedCommand | UsageError | UnknownCommand | None


# --- parsing -----------------------------------------------------------------------------

_COMMAND_WORD = re.compile(r"/(?P<word>[A-Za-z0-9_]+)(?:@(?P<bot>[A-Za-z0-9_]+))?", re.ASCII)


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
    head, rest = split_head(stripped)
    match = _COMMAND_WORD.fullmatch(head)
    if match is None:
        return UnknownCommand(_shorten(head))
    bot = match["bot"]
    if bot_username is not None and bot is not None and not _same_bot(bot, bot_username):
        return None
    command = REGISTRY.by_word("/" + match["word"].lower())
    if command is None:
        return UnknownCommand(_shorten("/" + match["word"]))
    if len(text) > MAX_COMMAND_LENGTH:
        return _usage(command)
    return _parse_arguments(command, rest)


def _same_bot(addressed: str, bot_username: str) -> bool:
    return addressed.lower() == bot_username.lstrip("@").lower()


def _parse_arguments(command: ChatCommand, rest: str) -> ParsedCommand | UsageError:
    ref, rest, ok = take_ref(rest)
    parsed = command.parsed.parse(ref, rest) if ok else None
    return _usage(command) if parsed is None else parsed


def _shorten(word: str) -> str:
    return word if len(word) <= MAX_WORD_SHOWN else word[: MAX_WORD_SHOWN - 1] + "…"


def _usage(command: ChatCommand) -> UsageError:
    return UsageError(command.word, USAGE[command.word])


def parse_offer_argument(text: str) -> OfferCommand | UsageError:
    """The amount of an offer as typed anywhere (after `/offer`, or in a card's form):
    `12.50`, `$12.50`, `12,50`, `40%`; one grammar for every way of offering."""
    parsed = OfferCommand.parse(None, text)
    if parsed is None:
        return UsageError(OfferCommand.name, USAGE[OfferCommand.name])
    return parsed
