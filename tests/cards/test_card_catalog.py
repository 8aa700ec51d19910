"""The catalogs are current and complete: every text of the bot, in every language.

After changing a text, follow cards/README.md (extract, update, translate, compile).
The checks themselves live in tests/cards/catalogs.py; the second half of this file
proves each one fails on the problem it is meant to catch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo

from bot.core.chat_parser import USAGE
from bot.core.messages import LABELS, MESSAGES
from bot.core.registry import COMMAND_HELP
from cards.locales import LOCALES_DIR, SUPPORTED_LOCALES
from cards.usage import REF_NOTE, USAGE_TEXTS, usage_line
from tests.cards import catalogs
from tests.cards.catalogs import msgids, read

POT = LOCALES_DIR / "messages.pot"
TRANSLATED = [locale for locale in SUPPORTED_LOCALES if locale != "en"]


def po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return catalogs.extract(tmp_path_factory.mktemp("pot") / "messages.pot")


@pytest.fixture(scope="module", params=SUPPORTED_LOCALES)
def locale(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_template_has_every_extracted_text(extracted: Catalog) -> None:
    assert catalogs.missing(read(POT), msgids(extracted), "messages.pot") == []


def test_each_catalog_has_every_extracted_text(extracted: Catalog, locale: str) -> None:
    assert catalogs.missing(read(po_path(locale)), msgids(extracted), locale) == []


def test_bot_texts_and_template_texts_are_extracted(extracted: Catalog) -> None:
    ids = msgids(extracted)
    assert set(MESSAGES.values()) <= ids
    assert set(LABELS.values()) <= ids
    assert set(COMMAND_HELP.values()) <= ids
    assert {*USAGE_TEXTS.values(), REF_NOTE} <= ids
    assert {"Approve reshipment", "Reply %(commands)s", "Partial refund offer"} <= ids


def test_the_item_count_has_a_plural(extracted: Catalog) -> None:
    item = extracted.get("%(num)s item, worth %(amount)s:")
    assert item is not None
    assert item.id == ("%(num)s item, worth %(amount)s:", "%(num)s items, worth %(amount)s:")


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_text_is_translated(locale: str) -> None:
    assert catalogs.untranslated(read(po_path(locale)), locale) == []


def test_no_entry_is_fuzzy(locale: str) -> None:
    assert catalogs.fuzzy(read(po_path(locale)), locale) == []


def test_no_text_in_use_is_obsolete(extracted: Catalog, locale: str) -> None:
    used = msgids(extracted)
    assert catalogs.obsolete_but_used(read(po_path(locale)), used, locale) == []


def test_translations_keep_the_placeholders(locale: str) -> None:
    assert catalogs.placeholder_mismatches(read(po_path(locale)), locale) == []


def test_translations_keep_commands_arguments_and_codes_as_typed(locale: str) -> None:
    assert catalogs.typed_words_changed(read(po_path(locale)), locale) == []


def test_plural_forms_are_the_languages(locale: str) -> None:
    assert catalogs.plural_forms(read(po_path(locale)), locale) == []


def test_the_compiled_catalog_is_current(locale: str) -> None:
    po = po_path(locale)
    assert catalogs.stale_mo(po, po.with_suffix(".mo")) == []


def test_english_usage_lines_are_the_parsers() -> None:
    """cards/usage.py rebuilds the parser's usage lines; in English they must be equal."""
    assert {command: usage_line(command, str) for command in USAGE} == USAGE


# --- each check catches what it is meant to --------------------------------------------------


def spanish(*entries: tuple[str | tuple[str, str], str | tuple[str, str]]) -> Catalog:
    catalog = Catalog(locale="es", fuzzy=False)
    for msgid, msgstr in entries:
        catalog.add(msgid, msgstr)
    return catalog


def test_a_text_missing_from_a_catalog_is_found() -> None:
    catalog = spanish(("Reject", "Rechazar"), ("Gone", "Ido"))
    assert catalogs.missing(catalog, {"Reject", "Accept offer"}, "es") == [
        "es lacks 'Accept offer'",
        "es has 'Gone', which nothing uses",
    ]


def test_an_untranslated_text_is_found() -> None:
    catalog = spanish(
        ("Reject", ""),
        ("Accept offer", "Accept offer"),  # copied, not translated
        (("%(num)s photo", "%(num)s photos"), ("%(num)s foto", "")),
        ("%(when)s — %(status)s", "%(when)s — %(status)s"),  # nothing to translate
    )
    assert catalogs.untranslated(catalog, "es") == [
        "es: untranslated 'Reject'",
        "es: English left in 'Accept offer'",
        "es: untranslated '%(num)s photo'",
    ]


def test_a_fuzzy_entry_is_found() -> None:
    catalog = spanish(("Reject", "Rechazar"))
    catalog.add("Accept offer", "Aceptar", flags=["fuzzy"])
    assert catalogs.fuzzy(catalog, "es") == ["es: fuzzy 'Accept offer'"]


def test_an_obsolete_entry_still_in_use_is_found() -> None:
    catalog = spanish(("Reject", "Rechazar"))
    catalog.obsolete["Accept offer"] = Message("Accept offer", "Aceptar")
    assert catalogs.obsolete_but_used(catalog, {"Reject", "Accept offer"}, "es") == [
        "es: 'Accept offer' is obsolete in the catalog but used in the code"
    ]


def test_changed_or_broken_placeholders_are_found() -> None:
    catalog = spanish(
        ("Request {request_id}.", "Solicitud {solicitud}."),
        ("Ship by %(deadline)s", "Enviar antes del %(fecha)s"),
        ("Offer %(amount)s", "Oferta %(amount)s al 10%"),  # a lone % breaks % formatting
        ("Usage: {usage}", "Uso: {usage"),
    )
    catalog["Request {request_id}."].flags.add("python-brace-format")
    catalog["Usage: {usage}"].flags.add("python-brace-format")
    problems = catalogs.placeholder_mismatches(catalog, "es")
    assert len(problems) == 4, problems
    assert "{request_id}" in problems[0] and "{solicitud}" in problems[0]


def test_a_translated_command_or_argument_is_found() -> None:
    catalog = spanish(
        ("/accept — accept the seller's offer", "/aceptar — aceptar la oferta"),
        ("send /ship CARRIER TRACKING_NUMBER.", "escribe /ship TRANSPORTISTA NÚMERO."),
    )
    assert catalogs.typed_words_changed(catalog, "es") == [
        "es: \"/accept — accept the seller's offer\" lost ['/accept']",
        "es: 'send /ship CARRIER TRACKING_NUMBER.' lost ['CARRIER', 'TRACKING_NUMBER']",
    ]


def test_wrong_plural_forms_are_found() -> None:
    catalog = Catalog(locale="id", fuzzy=False)  # Babel's default for id: two forms
    catalog.add(("%(num)s photo", "%(num)s photos"), ("%(num)s foto", "%(num)s foto"))
    problems = catalogs.plural_forms(catalog, "id")
    assert problems == ["id: Plural-Forms is 'nplurals=2; plural=(n != 1);'"]


def test_a_stale_compiled_catalog_is_found(tmp_path: Path) -> None:
    po, mo = tmp_path / "messages.po", tmp_path / "messages.mo"
    po.write_text('msgid "Reject"\nmsgstr "Rechazar"\n', encoding="utf-8")
    with mo.open("wb") as file:
        write_mo(file, spanish(("Reject", "Rechazo")))
    assert catalogs.stale_mo(po, mo) == [f"{mo} is older than messages.po: run pybabel compile"]
    with mo.open("wb") as file:
        write_mo(file, read(po))
    assert catalogs.stale_mo(po, mo) == []
