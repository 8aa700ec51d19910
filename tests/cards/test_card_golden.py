"""Golden files: every card kind in every state, in every locale, exactly as it is sent.

`golden/<market>/<kind>.json` maps each scenario of that kind to its card, rendered for
a market of `cards.samples.MARKETS`: the readers' locale and clocks, and the money
(`en` USD on Bangkok time, `en_jpy` JPY on Tokyo time, `es` EUR with a seller in Madrid
and a buyer in the Canaries, `id` IDR with a seller in Jakarta and a buyer in Makassar,
`th` THB, `vi` VND). The request card scenarios include 1, 2 and 3 items for the plurals.
Tokens are replaced by `<token>` (test_card_render.py checks them). After an intended
change to a template, a text or a translation, regenerate and review the diff:

    RESHIPBOT_UPDATE_GOLDEN=1 uv run pytest tests/cards/test_card_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.core.models import CardKind
from cards.render import Renderer
from tests.cards.builders import MARKETS, SCENARIOS, Market, market_command

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RESHIPBOT_UPDATE_GOLDEN") == "1"


def golden_cards(renderer: Renderer, market: Market, kind: CardKind) -> dict[str, Any]:
    """Each scenario's `kind` card in `market`, tokens blanked out."""
    cards = {}
    for scenario in (s for s in SCENARIOS if s.kind is kind):
        request = scenario.request(market_command(market))
        card = renderer.card(request, scenario.card_id(request)).model_dump(mode="json")
        for action in card["actions"]:
            action["token"] = "<token>"
        cards[scenario.name] = card
    return cards


@pytest.mark.parametrize("kind", list(CardKind), ids=lambda k: k.value)
@pytest.mark.parametrize("market", list(MARKETS.values()), ids=lambda m: m.name)
def test_cards_match_their_golden_file(renderer: Renderer, market: Market, kind: CardKind) -> None:
    rendered = json.dumps(golden_cards(renderer, market, kind), indent=2, ensure_ascii=False)
    path = GOLDEN_DIR / market.name / f"{kind.value}.json"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(rendered + "\n", encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path} is missing: run with RESHIPBOT_UPDATE_GOLDEN=1 to write it")
    assert rendered + "\n" == path.read_text(encoding="utf-8")


def test_no_golden_file_is_left_over() -> None:
    expected = {f"{market}/{kind.value}.json" for market in MARKETS for kind in CardKind}
    found = {str(path.relative_to(GOLDEN_DIR)) for path in GOLDEN_DIR.rglob("*.json")}
    assert found <= expected


@pytest.mark.parametrize(
    ("market", "texts"),
    [
        (
            "en",
            [
                "Please answer by Sat 28 Nov, 16:00 (Asia/Bangkok); without an answer the "
                "reshipment is approved automatically.",
                "3 items, worth $33.99:",
                "2 \u00d7 Ceramic mug, $12.50 each",
            ],
        ),
        ("en_jpy", ["3 items, worth ¥3,399:", "2 \u00d7 Ceramic mug, ¥1,250 each"]),
        (
            "es",
            [
                "Responde a más tardar el sáb, 28 nov, 10:00 (Europe/Madrid); si no respondes, "
                "el reenvío se aprobará automáticamente.",
                "3 artículos, por un valor de 31,30\xa0€:",
                "2 \u00d7 Ceramic mug, 11,90\xa0€ cada uno",
            ],
        ),
        (
            "id",
            [
                "Tanggapi paling lambat Sab, 28 Nov, 16.00 (Asia/Jakarta); jika tidak ada "
                "tanggapan, pengiriman ulang akan disetujui secara otomatis.",
                "3 barang senilai Rp\xa0499.000,00:",
            ],
        ),
        ("th", ["สินค้า 3 ชิ้น มูลค่า ฿1,220.00:", "2 \u00d7 Ceramic mug ชิ้นละ ฿450.00"]),
        ("vi", ["3 sản phẩm, trị giá 765.000\xa0₫:", "2 \u00d7 Ceramic mug, đơn giá 290.000\xa0₫"]),
    ],
)
def test_the_seller_reads_amounts_and_deadline_in_their_market(
    renderer: Renderer, market: str, texts: list[str]
) -> None:
    """A spot check of the golden files' content, readable without opening them."""
    lines = golden_cards(renderer, MARKETS[market], CardKind.request)["request_awaiting_seller"]
    for text in texts:
        assert text in lines["lines"]


@pytest.mark.parametrize(
    ("market", "one", "two"),
    [
        ("en", "1 item, worth $8.99:", "2 items, worth $25.00:"),
        (
            "es",
            "1 artículo, por un valor de 7,50\xa0€:",
            "2 artículos, por un valor de 23,80\xa0€:",
        ),
        ("id", "1 barang senilai Rp\xa0129.000,00:", "2 barang senilai Rp\xa0370.000,00:"),
        ("th", "สินค้า 1 ชิ้น มูลค่า ฿320.00:", "สินค้า 2 ชิ้น มูลค่า ฿900.00:"),
        ("vi", "1 sản phẩm, trị giá 185.000\xa0₫:", "2 sản phẩm, trị giá 580.000\xa0₫:"),
    ],
)
def test_item_counts_take_the_languages_plural(
    renderer: Renderer, market: str, one: str, two: str
) -> None:
    cards = golden_cards(renderer, MARKETS[market], CardKind.request)
    assert one in cards["request_one_item"]["lines"]
    assert two in cards["request_two_items"]["lines"]


def test_the_buyer_reads_their_own_clock(renderer: Renderer) -> None:
    """The Spanish buyer is in the Canaries (an hour behind Madrid), the seller in Madrid."""
    offer = golden_cards(renderer, MARKETS["es"], CardKind.offer)["offer_open"]
    fields = {field["label"]: field["value"] for field in offer["fields"]}
    assert fields["Plazo para responder"] == "vie, 27 nov, 14:00 (Atlantic/Canary)"
