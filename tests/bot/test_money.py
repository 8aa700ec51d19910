"""Money (SPEC §1): Decimal amounts quantised to the currency's minor unit, half-up."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.money import (
    MoneyError,
    is_currency,
    minor_digits,
    parse_amount,
    percent_of,
    quantize,
    quantum,
)


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("USD", 2), ("EUR", 2), ("THB", 2), ("IDR", 2), ("VND", 0), ("JPY", 0)],
)
def test_minor_digits(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits
    assert quantum(currency) == Decimal(1).scaleb(-digits)


@pytest.mark.parametrize("currency", ["XYZ", "usd", "", "US"])
def test_unknown_currency(currency: str) -> None:
    assert not is_currency(currency)
    with pytest.raises(MoneyError) as caught:
        minor_digits(currency)
    assert caught.value.code == "unknown_currency"
    with pytest.raises(MoneyError):
        parse_amount("12.50", currency)


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [
        ("12.5", "USD", "12.50"),
        ("12.50", "USD", "12.50"),
        ("1250", "USD", "1250.00"),
        (" 7 ", "THB", "7.00"),
        ("0.01", "EUR", "0.01"),
        (".5", "USD", "0.50"),
        ("12.", "USD", "12.00"),
        ("150000.25", "IDR", "150000.25"),
        ("100000", "VND", "100000"),
        ("1005", "JPY", "1005"),
        ("-3", "USD", "-3.00"),  # the sign is the rules' business: "more than zero"
    ],
)
def test_parse_amount_accepts(text: str, currency: str, amount: str) -> None:
    parsed = parse_amount(text, currency)
    assert parsed == Decimal(amount)
    assert str(parsed) == amount  # quantised to the minor unit


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("12.505", "USD"),
        ("12.500", "USD"),  # digits are counted as written
        ("10.5", "JPY"),
        ("10.0", "JPY"),
        ("100.000", "VND"),  # a hundred thousand dong in vi, never a hundred
        ("0.001", "THB"),
    ],
)
def test_parse_amount_refuses_more_digits_than_the_currency_allows(
    text: str, currency: str
) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_amount(text, currency)
    assert caught.value.code == "amount_too_precise"
    assert f"at most {minor_digits(currency)} digits" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "abc",
        "12,50",
        "1,000",
        "1e3",
        "1E-2",
        "1_000",
        "NaN",
        "Infinity",
        "-",
        ".",
        "12.50.1",
        "$12",
        "\u0661\u0662",  # Arabic-Indic digits
        "\uff11\uff12",  # full-width digits
        "0x10",
    ],
)
def test_parse_amount_refuses_what_is_not_a_plain_decimal(text: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_amount(text, "USD")
    assert caught.value.code == "invalid_amount"


@pytest.mark.parametrize(
    ("total", "percent", "currency", "expected"),
    [
        ("25.00", "33", "USD", "8.25"),
        ("0.10", "12.5", "USD", "0.01"),  # 0.0125 → 0.01
        ("0.30", "5", "USD", "0.02"),  # 0.015 → 0.02: half-up, not half-even
        ("1005", "50", "JPY", "503"),  # 502.5 → 503
        ("1001", "50", "VND", "501"),  # 500.5 → 501
        ("100.00", "100", "THB", "100.00"),
        ("99.99", "0", "EUR", "0.00"),
        ("150000", "33.3333", "IDR", "49999.95"),
    ],
)
def test_percent_of_rounds_half_up_to_the_minor_unit(
    total: str, percent: str, currency: str, expected: str
) -> None:
    result = percent_of(Decimal(total), Decimal(percent), currency)
    assert result == Decimal(expected)
    assert str(result) == expected


def test_quantize_rounds_half_up() -> None:
    assert quantize(Decimal("2.345"), "USD") == Decimal("2.35")
    assert quantize(Decimal("2.5"), "JPY") == Decimal("3")
    assert quantize(Decimal("-2.5"), "JPY") == Decimal("-3")


@given(
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["USD", "EUR", "THB", "IDR"]),
)
def test_a_written_amount_parses_to_itself(amount: Decimal, currency: str) -> None:
    assert parse_amount(f"{amount:f}", currency) == amount


@given(
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["USD", "JPY", "VND", "THB"]),
)
def test_percent_of_is_within_half_a_minor_unit_and_never_above_the_total(
    total: Decimal, percent: Decimal, currency: str
) -> None:
    total = quantize(total, currency)
    result = percent_of(total, percent, currency)
    assert abs(result - total * percent / 100) <= quantum(currency) / 2
    assert Decimal(0) <= result <= total
    assert result == quantize(result, currency)
