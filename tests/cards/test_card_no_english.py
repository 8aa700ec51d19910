"""No English left in a non-English card or chat text.

Every card kind in every state, and every chat text, is rendered in each translated
locale; what people typed or the platform named (item names, notes, comments, carriers,
tracking numbers, ids, timezone names), what people type back (commands, argument names,
reject codes) and currency codes are taken out, and none of the words left may be an
English word of the msgids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import pytest

from bot.core.messages import MESSAGES
from bot.core.models import RejectCode, ReshipmentRequest
from cards.locales import LOCALES_DIR
from cards.model import Card
from cards.render import Renderer
from tests.cards.builders import MARKETS, SCENARIOS, market_command
from tests.cards.catalogs import read
from tests.cards.test_card_text import PLAUSIBLE, placeholders

TRANSLATED = ("es", "id", "th", "vi")

# Words that are English and also the usual word in that language.
SAME_WORD = {"id": frozenset({"status", "platform", "label", "valid"})}

_PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w*\}")
_TYPED = re.compile(
    r"/[a-z]+|#?\b[A-Z][A-Z_]{2,}\b|\(\w+/[\w/+-]+\)|" + "|".join(code.value for code in RejectCode)
)
_WORD = re.compile(r"[^\W\d_]{3,}")


@cache
def english_words() -> frozenset[str]:
    """The words of every English msgid, without placeholders and typed words."""
    words: set[str] = set()
    for message in read(LOCALES_DIR / "messages.pot"):
        for text in [message.id] if isinstance(message.id, str) else message.id:
            words.update(
                w.lower() for w in _WORD.findall(_TYPED.sub(" ", _PLACEHOLDER.sub(" ", text)))
            )
    return frozenset(words)


def english_in(texts: Iterable[str], allowed: Iterable[str], locale: str) -> set[str]:
    """English msgid words in `texts`, once the `allowed` strings are taken out."""
    found: set[str] = set()
    for text in texts:
        for value in sorted(allowed, key=len, reverse=True):
            text = text.replace(value, " ")
        words = {w.lower() for w in _WORD.findall(_TYPED.sub(" ", text))}
        found |= words & english_words()
    return found - SAME_WORD.get(locale, frozenset())


def provided(request: ReshipmentRequest) -> set[str]:
    """What the buyer, the seller, the platform and the carrier wrote, verbatim."""
    values = {request.request_id, request.order.order_id, request.evidence.note.strip()}
    values |= {item.name for item in request.items}
    values |= {
        request.replacement_order_id or "",
        request.rejection.comment.strip() if request.rejection else "",
    }
    if request.shipment is not None:
        values |= {request.shipment.carrier or "", request.shipment.tracking_number or ""}
        values |= {event.description.strip() for event in request.shipment.events}
    return {value for value in values if value}


def card_texts(card: Card) -> list[str]:
    return [
        card.title,
        *card.lines,
        *(text for field in card.fields for text in (field.label, field.value)),
        *(action.label for action in card.actions),
        card.fallback_text,
    ]


def test_the_english_vocabulary_is_the_msgids() -> None:
    assert {"reshipment", "seller", "buyer", "refund", "tracking"} <= english_words()
    assert english_in(["The seller refunds."], (), "es") == {"the", "seller", "refunds"}
    assert english_in(["Ceramic mug, /accept CODE (Asia/Bangkok)"], {"Ceramic mug"}, "es") == set()


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_card_has_english_left(renderer: Renderer, locale: str) -> None:
    market = MARKETS[locale]
    left: dict[str, set[str]] = {}
    for scenario in SCENARIOS:
        request = scenario.request(market_command(market))
        for state in request.cards:
            card = renderer.card(request, state.card_id)
            assert card.locale == locale
            words = english_in(card_texts(card), provided(request), locale)
            if words:
                left[f"{scenario.name}/{state.kind.value}"] = words
    assert left == {}


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_chat_text_has_english_left(renderer: Renderer, locale: str) -> None:
    allowed = {"Kerry Express", "KEX123", "Picked up", "RQ-1001", "#RQ-1", "#RQ-2", "wrong"}
    left: dict[str, set[str]] = {}
    for message, english in MESSAGES.items():
        params = {name: PLAUSIBLE[name] for name in placeholders(english)}
        text = renderer.text(message, params, locale, "Asia/Bangkok")
        words = english_in([text], allowed, locale)
        if words:
            left[message] = words
    assert left == {}
