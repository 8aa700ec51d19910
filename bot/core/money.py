"""Money as `Decimal`, quantised to the currency's minor unit (ISO 4217 via Babel)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision, list_currencies


class MoneyError(ValueError):
    """An amount or currency that cannot be used; `code` names the problem."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@lru_cache(maxsize=256)
def minor_digits(currency: str) -> int:
    """Digits after the decimal point for `currency` (USD 2, JPY 0, VND 0)."""
    if currency not in _known_currencies():
        raise MoneyError("unknown_currency", f"{currency!r} is not an ISO 4217 currency code")
    return int(get_currency_precision(currency))


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


# ISO 4217 codes that are not money anyone is paid in: precious metals, bond-market units,
# special drawing rights, the testing code XTS and "no currency" XXX.
NOT_TENDER = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
)


def is_currency(code: str) -> bool:
    """An ISO 4217 code of a currency people pay in (not XTS, XXX, gold, …)."""
    return code in _known_currencies() and code not in NOT_TENDER


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_digits(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the minor unit of `currency`."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


_PLAIN_DECIMAL = re.compile(r"[+-]?(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))", re.ASCII)
MAX_WHOLE_DIGITS = 15
"""Digits before the decimal point an amount may have: a quadrillion is no order's value,
and every amount within it quantises exactly (Decimal keeps 28 significant digits)."""


def parse_amount(text: str, currency: str) -> Decimal:
    """Parse an amount a person typed; refuse more digits than the currency allows.

    Accepts `12.5`, `12.50`, `1250`; refuses `12.505` and `12.500` for USD and `10.5`
    and `100.000` for JPY (digits are counted as written: `100.000` is a hundred
    thousand in id, vi and es, so a trailing-zero reading would refund a thousandth).
    Only plain decimals: no exponents (`1e3`), separators (`1_000`) or non-ASCII digits.
    """
    cleaned = text.strip()
    match = _PLAIN_DECIMAL.fullmatch(cleaned)
    if match is None:
        raise MoneyError("invalid_amount", f"{text!r} is not an amount")
    if len((match.group(1) or "").lstrip("0")) > MAX_WHOLE_DIGITS:
        raise MoneyError("amount_too_large", f"{text!r} has more digits than any amount")
    amount = Decimal(cleaned)
    digits = minor_digits(currency)
    fraction = match.group(2) or match.group(3) or ""
    if len(fraction) > digits:
        raise MoneyError(
            "amount_too_precise",
            f"{currency} amounts have at most {digits} digits after the decimal point",
        )
    return quantize(amount, currency)


def percent_of(total: Decimal, percent: Decimal, currency: str) -> Decimal:
    """`percent` % of `total`, rounded half-up to the minor unit."""
    return quantize(total * percent / Decimal(100), currency)
