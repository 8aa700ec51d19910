"""Checks of the gettext catalogs, as functions that list what is wrong.

Each check takes Babel `Catalog`s and returns problems as readable strings (empty when
all is well), so test_card_catalog.py can run them on the shipped catalogs and also
prove, on deliberately broken catalogs, that each one catches what it is meant to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from string import Formatter

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]

# gettext's Plural-Forms for each locale: one form where CLDR has no plural rules
# (Indonesian, Thai, Vietnamese), two for English and Spanish. Babel's own table lacks
# Indonesian, so `pybabel init -l id` writes two forms: the header was fixed by hand.
PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "id": "nplurals=1; plural=0;",
    "th": "nplurals=1; plural=0;",
    "vi": "nplurals=1; plural=0;",
}

# A translation may equal its msgid when the word is the same in that language.
SAME_IN = {"id": frozenset({"Status", "Status: %(status)s."})}

_PERCENT = re.compile(r"%\((\w+)\)[sdif]")
# What people type stays as it is in every language: commands, argument names, codes.
_TYPED = re.compile(r"/[a-z]+|#?\b[A-Z][A-Z_]{2,}\b|\bN%|\d+%")


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def msgid_of(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def msgids(catalog: Catalog) -> set[str]:
    return {msgid_of(m) for m in catalog if m.id}


def extract(pot: Path) -> Catalog:
    """What `pybabel extract` (as cards/README.md runs it) finds in the code today."""
    config = str(ROOT / "babel.cfg")
    CommandLineInterface().run(  # type: ignore[no-untyped-call]
        ["pybabel", "-q", "extract", "-F", config, "-k", "N_", "-o", str(pot), str(ROOT)]
    )
    return read(pot)


def _forms(message: Message) -> list[str]:
    if isinstance(message.string, tuple | list):
        return [str(form) for form in message.string]
    return [str(message.string or "")]


def _pairs(message: Message) -> Iterable[tuple[str, str]]:
    """(msgid form, msgstr form) pairs; a one-form language answers the plural msgid."""
    if isinstance(message.id, str):
        yield message.id, str(message.string)
        return
    forms = _forms(message)
    for index, text in enumerate(forms):
        yield message.id[min(index, 1) if len(forms) > 1 else 1], text


def missing(catalog: Catalog, expected: set[str], name: str) -> list[str]:
    """Texts the code uses that the catalog lacks, and texts it has that nothing uses."""
    ids = msgids(catalog)
    return [f"{name} lacks {text!r}" for text in sorted(expected - ids)] + [
        f"{name} has {text!r}, which nothing uses" for text in sorted(ids - expected)
    ]


def untranslated(catalog: Catalog, locale: str) -> list[str]:
    """Empty translations, and translations that are only the English copied over."""
    same_ok = SAME_IN.get(locale, frozenset())
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if any(not form.strip() for form in _forms(message)):
            problems.append(f"{locale}: untranslated {msgid_of(message)!r}")
        elif any(
            source == text and re.search(r"[A-Za-z]{2}", _PERCENT.sub("", source))
            for source, text in _pairs(message)
            if source not in same_ok
        ):
            problems.append(f"{locale}: English left in {msgid_of(message)!r}")
    return problems


def fuzzy(catalog: Catalog, locale: str) -> list[str]:
    problems = [f"{locale}: fuzzy {msgid_of(m)!r}" for m in catalog if m.id and m.fuzzy]
    return problems + ([f"{locale}: the header is fuzzy"] if catalog.fuzzy else [])


def obsolete_but_used(catalog: Catalog, used: set[str], locale: str) -> list[str]:
    """Entries `pybabel update` marked obsolete (`#~`) although the code uses them."""
    return [
        f"{locale}: {msgid_of(m)!r} is obsolete in the catalog but used in the code"
        for m in catalog.obsolete.values()
        if msgid_of(m) in used
    ]


def placeholders(text: str) -> set[str]:
    """`%(name)s` and `{name}` placeholders (positional `{}` counts as `{}`)."""
    names = {f"%({name})" for name in _PERCENT.findall(text)}
    try:
        names |= {
            "{" + (field or "") + "}"
            for _, field, _, _ in Formatter().parse(text)
            if field is not None
        }
    except ValueError:
        names.add("{unbalanced")
    return names


def _formats(text: str, brace: bool) -> bool:
    """Whether `text` can be filled the way the bot fills it."""
    values = {name: "x" for name in _PERCENT.findall(text)}
    try:
        if brace:
            text.format_map({name: "x" for name in _brace_names(text)})
        elif values:
            _ = text % values
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    return True


def _brace_names(text: str) -> set[str]:
    try:
        return {field for _, field, _, _ in Formatter().parse(text) if field}
    except ValueError:
        return set()


def placeholder_mismatches(catalog: Catalog, locale: str) -> list[str]:
    """Translations whose placeholders differ from the msgid's, or that do not format."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        brace = "python-brace-format" in message.flags
        for source, text in _pairs(message):
            if not text:
                continue
            if placeholders(source) != placeholders(text):
                problems.append(
                    f"{locale}: {msgid_of(message)!r} has {sorted(placeholders(source))}, "
                    f"its translation {sorted(placeholders(text))}"
                )
            elif not _formats(text, brace):
                problems.append(f"{locale}: the translation of {msgid_of(message)!r} is broken")
    return problems


def typed_words_changed(catalog: Catalog, locale: str) -> list[str]:
    """Commands, argument names and codes must stay as typed (`/accept`, `CODE`, `N%`)."""
    problems = []
    for message in catalog:
        if not message.id:
            continue
        for source, text in _pairs(message):
            lost = set(_TYPED.findall(source)) - set(_TYPED.findall(text))
            if text and lost:
                problems.append(f"{locale}: {msgid_of(message)!r} lost {sorted(lost)}")
    return problems


def plural_forms(catalog: Catalog, locale: str) -> list[str]:
    problems = []
    if catalog.plural_forms != PLURAL_FORMS[locale]:
        problems.append(f"{locale}: Plural-Forms is {catalog.plural_forms!r}")
    for message in catalog:
        if message.pluralizable and len(_forms(message)) != catalog.num_plurals:
            problems.append(f"{locale}: {msgid_of(message)!r} needs {catalog.num_plurals} forms")
    return problems


def stale_mo(po: Path, mo: Path) -> list[str]:
    """The compiled catalog must be what `pybabel compile` makes of the .po today."""
    compiled = BytesIO()
    write_mo(compiled, read(po))
    if not mo.exists():
        return [f"{mo} is missing: run pybabel compile"]
    if compiled.getvalue() != mo.read_bytes():
        return [f"{mo} is older than {po.name}: run pybabel compile"]
    return []
