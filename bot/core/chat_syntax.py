"""How the arguments of a chat command are read (SPEC §2.1). Pure, and total.

The pieces every command's reader is built from (`bot.core.registry` declares which
command reads what): whitespace-separated tokens with quoting, the optional leading
`#REQUEST_ID`, and the one grammar of amounts, used after `/offer` and in the card's
`amount` field alike. Syntax only: whether an amount fits the request's currency is for
the rules, which call `symbol_fits_currency`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel.numbers import get_currency_symbol

MAX_REF_LENGTH = 128

_HEAD = re.compile(r"(\S*)(.*)", re.DOTALL)
_TOKEN = re.compile(r"\S+")
# Straight, curly double and single, guillemet and low-high quotes.
_QUOTES = {'"': '"', "'": "'", "“": "”", "\u2018": "\u2019", "«": "»", "„": "“"}


def split_head(text: str) -> tuple[str, str]:
    """The first word of `text` (up to whitespace) and the rest, as it is."""
    match = _HEAD.match(text)
    assert match is not None  # the pattern matches every string
    return match.group(1), match.group(2)


def take_ref(text: str) -> tuple[str | None, str, bool]:
    """Split an optional leading `#REQUEST_ID` off; `ok` is False for a bare or huge `#`."""
    head, rest = split_head(text.lstrip())
    if not head.startswith("#"):
        return None, text, True
    ref = head[1:]
    return ref, rest, 0 < len(ref) <= MAX_REF_LENGTH


def tokens(text: str) -> list[str] | None:
    """Whitespace-separated arguments; a token opening with a quote runs to its closing
    quote (followed by whitespace or the end). None for an unclosed or empty quote."""
    found: list[str] = []
    position = len(text) - len(text.lstrip())
    while position < len(text):
        close = _QUOTES.get(text[position])
        if close is None:
            match = _TOKEN.match(text, position)
            assert match is not None  # position is at a non-space character
            found.append(match.group())
            position = match.end()
        else:
            end = _closing_quote(text, position + 1, close)
            inner = text[position + 1 : end].strip() if end >= 0 else ""
            if not inner:
                return None
            found.append(inner)
            position = end + 1
        while position < len(text) and text[position].isspace():
            position += 1
    return found


def _closing_quote(text: str, start: int, close: str) -> int:
    """Index of the first `close` at or after `start` that ends a token, or -1."""
    index = text.find(close, start)
    while index >= 0 and index + 1 < len(text) and not text[index + 1].isspace():
        index = text.find(close, index + 1)
    return index


def unquote(text: str) -> str:
    """Strip one matching pair of quotes around the whole text, if the pair is unique."""
    if len(text) < 2:
        return text
    close = _QUOTES.get(text[0])
    if close is None or text[-1] != close or close in text[1:-1]:
        return text
    return text[1:-1]


# --- amounts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TypedAmount:
    """An amount as typed: exactly one of `amount` (a plain decimal text, e.g. `12.50`)
    or `percent` is set; `currency_symbol` is the symbol typed with the amount, if any."""

    amount: str | None = None
    percent: Decimal | None = None
    currency_symbol: str | None = None


_PERCENT = re.compile(r"-?[0-9]+(?:\.[0-9]+|,[0-9]{1,2})?", re.ASCII)
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]*,[0-9]{1,2}", re.ASCII)
_DOTTED_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}(?:\.[0-9]{3})+", re.ASCII)
_SYMBOL_AND_NUMBER = re.compile(
    r"(?P<before>Rp\.|[^0-9.,+-]*)(?P<number>[+-]?[0-9][0-9.,]*)(?P<after>[^0-9.,+-]*)",
    re.ASCII,
)
_LETTER_SYMBOLS = frozenset({"Rp", "RM", "đ", "Đ"})


def read_amount(words: list[str]) -> TypedAmount | None:
    """`12.50`, `$12.50`, `12,50`, `40%` (or the symbol or `%` as a word of its own);
    None when the words are not one amount."""
    if len(words) == 2 and (
        words[1] == "%" or _is_currency_symbol(words[0]) or _is_currency_symbol(words[1])
    ):
        words = [words[0] + words[1]]
    if len(words) != 1:
        return None
    token = words[0]
    if "%" in token:
        number = token[:-1] if token.endswith("%") else ""
        if not _PERCENT.fullmatch(number):
            return None
        return TypedAmount(percent=Decimal(number.replace(",", ".")))
    symbol, amount = _split_currency_symbol(token)
    if "," in amount:
        if not _DECIMAL_COMMA.fullmatch(amount):
            return None  # thousand separators: 1,000 or 1.000,50
        amount = amount.replace(",", ".")
    elif _DOTTED_THOUSANDS.fullmatch(amount):
        return None  # 1.000 is a thousand in id, vi and es
    return TypedAmount(amount=amount, currency_symbol=symbol)


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
