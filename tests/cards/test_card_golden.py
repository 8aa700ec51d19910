"""Golden files: each scenario's card in English, exactly as it is sent.

Tokens are replaced by `<token>` (they are checked in test_card_render.py and would
change with the token format). After an intended change to a template or a text,
regenerate and review the diff:

    RESHIPBOT_UPDATE_GOLDEN=1 uv run pytest tests/cards/test_card_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cards.render import Renderer
from tests.cards.builders import SCENARIOS, Scenario

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RESHIPBOT_UPDATE_GOLDEN") == "1"


def as_golden(card: dict[str, Any]) -> str:
    for action in card["actions"]:
        action["token"] = "<token>"
    return json.dumps(card, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_card_matches_its_golden_file(renderer: Renderer, scenario: Scenario) -> None:
    request = scenario.request()
    (state,) = [card for card in request.cards if card.kind is scenario.kind]
    rendered = as_golden(renderer.card(request, state.card_id).model_dump(mode="json"))
    path = GOLDEN_DIR / f"{scenario.name}.json"
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path.name} is missing: run with RESHIPBOT_UPDATE_GOLDEN=1 to write it")
    assert rendered == path.read_text(encoding="utf-8")


def test_no_golden_file_is_left_over() -> None:
    expected = {f"{scenario.name}.json" for scenario in SCENARIOS}
    assert {path.name for path in GOLDEN_DIR.glob("*.json")} <= expected
