"""The catalogs are current: every text of the bot and the templates is in them.

After changing a text, follow cards/README.md (extract, update, compile).
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.messages import COMMAND_HELP, LABELS, MESSAGES
from cards.locales import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
EN_PO = LOCALES_DIR / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = LOCALES_DIR / "en" / "LC_MESSAGES" / "messages.mo"


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def msgids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What `pybabel extract` (as cards/README.md runs it) finds in the code today."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    config = str(ROOT / "babel.cfg")
    CommandLineInterface().run(  # type: ignore[no-untyped-call]
        ["pybabel", "-q", "extract", "-F", config, "-k", "N_", "-o", str(pot), str(ROOT)]
    )
    return read(pot)


def test_the_english_catalog_has_every_extracted_text(extracted: Catalog) -> None:
    assert msgids(extracted) == msgids(read(EN_PO))


def test_bot_texts_and_template_texts_are_extracted(extracted: Catalog) -> None:
    ids = msgids(extracted)
    assert set(MESSAGES.values()) <= ids
    assert set(LABELS.values()) <= ids
    assert set(COMMAND_HELP.values()) <= ids
    assert {"Approve reshipment", "Reply %(commands)s", "Partial refund offer"} <= ids


def test_the_item_count_has_a_plural(extracted: Catalog) -> None:
    item = extracted.get("%(num)s item, worth %(amount)s:")
    assert item is not None
    assert item.id == ("%(num)s item, worth %(amount)s:", "%(num)s items, worth %(amount)s:")


def test_the_compiled_catalog_is_current() -> None:
    compiled = BytesIO()
    write_mo(compiled, read(EN_PO))
    assert compiled.getvalue() == EN_MO.read_bytes()
