"""Money, moments and usage lines in every locale, as each reader should read them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.core.chat_parser import USAGE
from bot.core.effects import Money, ParamValue
from cards.render import Renderer

NBSP = "\u00a0"
# 1234.50 of the two-digit currencies, 1234500 of VND and JPY (ISO 4217: no minor unit).
MONEY = {
    "en": [
        "$1,234.50",
        "€1,234.50",
        f"THB{NBSP}1,234.50",
        f"IDR{NBSP}1,234.50",
        "₫1,234,500",
        "¥1,234,500",
    ],
    "es": [
        f"1.234,50{NBSP}US$",
        f"1.234,50{NBSP}€",
        f"1.234,50{NBSP}฿",
        f"1.234,50{NBSP}IDR",
        f"1.234.500{NBSP}₫",
        f"1.234.500{NBSP}JPY",
    ],
    "id": [
        "US$1.234,50",
        "€1.234,50",
        "฿1.234,50",
        f"Rp{NBSP}1.234,50",
        "₫1.234.500",
        "JP¥1.234.500",
    ],
    "th": [
        "US$1,234.50",
        "€1,234.50",
        "฿1,234.50",
        f"IDR{NBSP}1,234.50",
        "₫1,234,500",
        "¥1,234,500",
    ],
    "vi": [
        f"1.234,50{NBSP}US$",
        f"1.234,50{NBSP}€",
        f"1.234,50{NBSP}฿",
        f"1.234,50{NBSP}IDR",
        f"1.234.500{NBSP}₫",
        f"1.234.500{NBSP}¥",
    ],
}
CURRENCIES = ("USD", "EUR", "THB", "IDR", "VND", "JPY")


@pytest.mark.parametrize(
    ("locale", "currency", "expected"),
    [
        (locale, currency, expected)
        for locale, row in MONEY.items()
        for currency, expected in zip(CURRENCIES, row, strict=True)
    ],
)
def test_money_per_locale_and_currency(
    renderer: Renderer, locale: str, currency: str, expected: str
) -> None:
    amount = Decimal("1234500") if currency in ("VND", "JPY") else Decimal("1234.5")
    params: dict[str, ParamValue] = {"request_id": "RQ-1", "amount": Money(amount, currency)}
    text = renderer.text("refunded_seller", params, locale, "UTC")
    assert re.search(rf"(^|\s){re.escape(expected)}(\s|$)", text), text


MORNING = datetime(2026, 11, 27, 1, 5, tzinfo=UTC)  # Friday 08:05 in Bangkok


@pytest.mark.parametrize(
    ("locale", "timezone", "expected"),
    [
        ("en", "Asia/Bangkok", "Fri 27 Nov, 08:05 (Asia/Bangkok)"),
        ("es", "Europe/Madrid", "vie, 27 nov, 2:05 (Europe/Madrid)"),
        ("es", "America/Mexico_City", "jue, 26 nov, 19:05 (America/Mexico_City)"),
        ("id", "Asia/Jakarta", "Jum, 27 Nov, 08.05 (Asia/Jakarta)"),
        ("id", "Asia/Jayapura", "Jum, 27 Nov, 10.05 (Asia/Jayapura)"),
        ("th", "Asia/Bangkok", "ศ. 27 พ.ย. 08:05 น. (Asia/Bangkok)"),
        ("vi", "Asia/Ho_Chi_Minh", "8:05 Th 6, 27 thg 11 (Asia/Ho_Chi_Minh)"),
    ],
)
def test_moments_per_locale_on_the_readers_clock(
    renderer: Renderer, locale: str, timezone: str, expected: str
) -> None:
    text = renderer.text(
        "reminder_seller", {"request_id": "RQ-1", "seller_due_at": MORNING}, locale, timezone
    )
    assert expected in text


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "en",
            "Usage: /offer AMOUNT or /offer N%, e.g. /offer 12.50 or /offer 40% "
            "(no thousand separators) [#REQUEST_ID first if several requests]",
        ),
        (
            "es",
            "Uso: /offer AMOUNT o /offer N%, p. ej. /offer 12,50 o /offer 40% "
            "(sin separador de miles) [#REQUEST_ID al principio si hay varias solicitudes]",
        ),
        (
            "th",
            "วิธีใช้: /offer AMOUNT หรือ /offer N% เช่น /offer 12.50 หรือ /offer 40% "
            "(ไม่ต้องใส่เครื่องหมายคั่นหลักพัน) [ระบุ #REQUEST_ID ก่อน หากมีหลายคำขอ]",
        ),
    ],
)
def test_the_usage_of_a_command_is_explained_in_the_readers_language(
    renderer: Renderer, locale: str, expected: str
) -> None:
    assert renderer.text("refused_usage", {"usage": USAGE["/offer"]}, locale, "UTC") == expected


@pytest.mark.parametrize("locale", ["en", "es", "id", "th", "vi"])
@pytest.mark.parametrize("command", sorted(USAGE))
def test_every_usage_keeps_the_command_words(renderer: Renderer, locale: str, command: str) -> None:
    text = renderer.text("refused_usage", {"usage": USAGE[command]}, locale, "UTC")
    assert command in text and "#REQUEST_ID" in text
    if command == "/reject":
        assert "evidence_insufficient, item_received_complete" in text


def test_other_usage_text_is_shown_as_it_is(renderer: Renderer) -> None:
    assert renderer.text("refused_usage", {"usage": "/x Y"}, "es", "UTC") == "Uso: /x Y"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "nope is not a reject reason. Use one of: other (other reason)."),
        ("es", "nope no es un motivo de rechazo. Usa uno de estos: other (otro motivo)."),
        (
            "vi",
            "nope không phải là mã lý do từ chối. Hãy dùng một trong các mã: other (lý do khác).",
        ),
    ],
)
def test_reject_codes_stay_codes_with_their_meaning_translated(
    renderer: Renderer, locale: str, expected: str
) -> None:
    params: dict[str, ParamValue] = {"code": "nope", "codes": ("other",)}
    assert renderer.text("refused_unknown_reject_code", params, locale, "UTC") == expected


def test_a_typed_code_is_echoed_as_typed(renderer: Renderer) -> None:
    """An unknown code that happens to be a label's key is not turned into its label."""
    params: dict[str, ParamValue] = {"code": "missing_items", "codes": ()}
    assert renderer.text("refused_unknown_reject_code", params, "en", "UTC").startswith(
        "missing_items is not"
    )
