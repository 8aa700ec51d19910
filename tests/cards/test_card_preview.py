"""`reshipbot cards preview --out DIR`: one HTML page per locale with every card on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.models import CardKind, CardStatus
from cards.locales import SUPPORTED_LOCALES
from cards.model import Card
from cards.preview import card_html, page_html
from tests.cards.builders import SCENARIOS

HOSTILE = "</dd><script>alert(\"x\")</script><img src=x onerror=alert(1)> & 'quoted'"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("preview") / "cards"  # not there yet: the command makes it
    assert main(["cards", "preview", "--out", str(out)]) == 0
    return {path.stem: path.read_text(encoding="utf-8") for path in out.glob("*.html")}


def test_the_command_writes_one_page_per_locale_and_an_index(pages: dict[str, str]) -> None:
    assert set(pages) == {*SUPPORTED_LOCALES, "index"}
    for locale in SUPPORTED_LOCALES:
        assert f'href="{locale}.html"' in pages["index"]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_each_page_shows_every_card_kind_and_state(pages: dict[str, str], locale: str) -> None:
    page = pages[locale]
    assert f'<html lang="{locale}">' in page
    for kind in CardKind:
        assert f'<section id="{kind.value}">' in page
    articles = re.findall(r'<article class="(\w+)" id="(\w+)">', page)
    assert [name for _, name in articles] == [scenario.name for scenario in SCENARIOS]
    assert {status for status, _ in articles} == {status.value for status in CardStatus}
    assert page.count("<details><summary>fallback text</summary>") == len(SCENARIOS)


def test_pages_are_in_their_language(pages: dict[str, str]) -> None:
    assert "Aprobar reenvío" in pages["es"] and "Approve reshipment" not in pages["es"]
    assert "Setujui pengiriman ulang" in pages["id"]
    assert "อนุมัติการส่งสินค้าใหม่" in pages["th"]
    assert "Chấp thuận gửi lại hàng" in pages["vi"]
    assert "Approve reshipment" in pages["en"]


def hostile_card() -> Card:
    return Card.model_validate(
        {
            "card_id": HOSTILE,
            "request_id": "RQ-1",
            "kind": "request",
            "version": 3,
            "locale": "en",
            "audience": "seller",
            "status": "open",
            "title": HOSTILE,
            "lines": [HOSTILE],
            "fields": [{"label": HOSTILE, "value": HOSTILE}],
            "actions": [{"id": "approve", "label": HOSTILE, "style": "primary", "token": "t"}],
            "fallback_text": HOSTILE,
        }
    )


def test_card_text_is_escaped() -> None:
    html = page_html("en", [(HOSTILE, hostile_card())], SUPPORTED_LOCALES)
    assert "<script>" not in html and "<img" not in html and "</dd><script" not in html
    escaped = "&lt;/dd&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    # title, line, field label and value, button label, fallback text; the name twice
    assert html.count(escaped) == 8
    assert HOSTILE not in html


def test_a_card_shows_its_buttons_status_and_version() -> None:
    html = card_html("request_awaiting_seller", hostile_card())
    assert '<article class="open" id="request_awaiting_seller">' in html
    assert '<button class="primary" title="approve" disabled>' in html
    assert "status open · version 3" in html


def test_the_command_needs_an_output_directory(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["cards", "preview"])
    assert "--out" in capsys.readouterr().err


def test_the_pages_can_be_written_again(pages: dict[str, str], tmp_path: Path) -> None:
    """Running it twice over the same directory is fine (the pages are replaced)."""
    assert main(["cards", "preview", "--out", str(tmp_path)]) == 0
    assert main(["cards", "preview", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "th.html").read_text(encoding="utf-8") == pages["th"]
