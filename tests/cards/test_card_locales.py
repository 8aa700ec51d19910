"""Locale normalisation and who reads what, on which clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.support import Translations

from bot.core.models import Audience, Buyer, Seller
from cards.locales import SUPPORTED_LOCALES, load_translations, normalise_locale, reader
from tests.cards.builders import created


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("es-MX", "es"),
        ("es_MX", "es"),
        ("ES-mx", "es"),
        ("id-ID", "id"),
        ("in_ID", "id"),
        ("th_TH.UTF-8", "th"),
        ("vi-VN", "vi"),
        ("th-TH-u-nu-thai", "th"),
        (" vi ", "vi"),
        ("fr-FR", "en"),
        ("zh-Hant-TW", "en"),
        ("", "en"),
        (None, "en"),
        ("x", "en"),
        ("../../etc/passwd", "en"),
    ],
)
def test_normalise_locale(tag: str | None, expected: str) -> None:
    assert normalise_locale(tag) == expected


def test_supported_locales_are_the_specs() -> None:
    assert SUPPORTED_LOCALES == ("en", "es", "id", "th", "vi")


@pytest.mark.parametrize(
    ("locale", "reject"),
    [("en", "Reject"), ("es", "Rechazar"), ("id", "Tolak"), ("th", "ปฏิเสธ"), ("vi", "Từ chối")],
)
def test_every_locale_has_a_compiled_catalog(locale: str, reject: str) -> None:
    translations = load_translations(locale)
    assert isinstance(translations, Translations)
    assert translations.gettext("Reject") == reject


def test_a_locale_without_a_catalog_reads_the_english_msgids(tmp_path: Path) -> None:
    assert load_translations("es", tmp_path).gettext("Reject") == "Reject"


def test_the_seller_reads_their_locale_and_timezone() -> None:
    request = created().request.model_copy(
        update={"seller": Seller(id="s", locale="th-TH", timezone="Asia/Bangkok", region="TH")}
    )
    assert reader(request, Audience.seller) == ("th", "Asia/Bangkok")


@pytest.mark.parametrize(
    ("buyer", "expected"),
    [
        (
            Buyer(id="b", locale="es-MX", timezone="America/Mexico_City"),
            ("es", "America/Mexico_City"),
        ),
        (Buyer(id="b", locale="id-ID"), ("id", "Asia/Bangkok")),
        (Buyer(id="b", locale="vi", timezone="Nowhere/Special"), ("vi", "Asia/Bangkok")),
        (Buyer(id="b", locale="klingon"), ("en", "Asia/Bangkok")),
    ],
)
def test_the_buyer_reads_their_locale_on_their_clock_or_the_sellers(
    buyer: Buyer, expected: tuple[str, str]
) -> None:
    request = created().request.model_copy(update={"buyer": buyer})
    assert reader(request, Audience.buyer) == expected


def test_without_a_request_it_is_english_on_utc() -> None:
    assert reader(None, Audience.seller) == ("en", "UTC")
