"""`reshipbot cards preview --out DIR`: every card kind in every state, one page per locale.

For reviewing templates and translations the way a buyer or a seller meets them: each
page shows every sample card of `cards.samples` (title, lines, fields, buttons, status,
version and the plain-text fallback) rendered in that locale, in the locale's market
(its currency, its readers' clocks). Everything shown is escaped: a card's text is data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path

from bot.core.models import CardKind
from bot.core.tokens import TokenSigner
from cards.locales import SUPPORTED_LOCALES
from cards.model import Card
from cards.render import Renderer
from cards.samples import LOCALE_MARKETS, MARKETS, POLICY, SCENARIOS, market_command

LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "id": "Bahasa Indonesia",
    "th": "ไทย",
    "vi": "Tiếng Việt",
}

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #1d1d1f; background: #f4f4f6; }
nav a { margin-right: 1rem; }
section { margin-top: 2.5rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr));
         gap: 1rem; }
article { background: #fff; border-radius: 10px; padding: 1rem 1.25rem;
          box-shadow: 0 1px 3px rgba(0, 0, 0, .15); border-top: 4px solid #8e8e93; }
article.open { border-top-color: #0a84ff; }
article.accepted { border-top-color: #30d158; }
article.declined, article.expired { border-top-color: #ff9f0a; }
.meta { font-size: 12px; color: #6e6e73; }
.meta code { background: #f0f0f3; padding: 0 .3em; border-radius: 3px; }
h3 { margin: .4rem 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dt { color: #6e6e73; }
dd { margin: 0; }
button { margin: .2rem .4rem .2rem 0; padding: .35rem .8rem; border-radius: 6px;
         border: 1px solid #c7c7cc; background: #fff; }
button.primary { background: #0a84ff; color: #fff; border-color: #0a84ff; }
button.danger { color: #ff3b30; border-color: #ff3b30; }
details pre { white-space: pre-wrap; background: #f6f6f8; padding: .5rem; }
"""


def sample_cards(renderer: Renderer, locale: str) -> list[tuple[str, Card]]:
    """`(scenario name, card)` for every sample scenario, in `locale`'s market."""
    market = MARKETS[LOCALE_MARKETS[locale]]
    cards = []
    for scenario in SCENARIOS:
        request = scenario.request(market_command(market))
        cards.append((scenario.name, renderer.card(request, scenario.card_id(request))))
    return cards


def card_html(name: str, card: Card) -> str:
    """One card as an HTML `<article>`; every text is escaped."""
    e = escape
    lines = "".join(f"<li>{e(line)}</li>" for line in card.lines)
    fields = "".join(f"<dt>{e(f.label)}</dt><dd>{e(f.value)}</dd>" for f in card.fields)
    buttons = "".join(
        f'<button class="{e(a.style.value)}" title="{e(a.id.value)}" disabled>{e(a.label)}</button>'
        for a in card.actions
    )
    return (
        f'<article class="{e(card.status.value)}" id="{e(name)}">'
        f'<div class="meta"><code>{e(name)}</code> · {e(card.kind.value)} · '
        f"for {e(card.audience.value)} · status {e(card.status.value)} · "
        f"version {card.version} · {e(card.locale)}</div>"
        f"<h3>{e(card.title)}</h3>"
        f"<ul>{lines}</ul>"
        f"<dl>{fields}</dl>"
        f"<div>{buttons}</div>"
        f"<details><summary>fallback text</summary><pre>{e(card.fallback_text)}</pre></details>"
        "</article>"
    )


def _nav(current: str | None, locales: Iterable[str]) -> str:
    links = [
        f"<strong>{escape(LANGUAGE_NAMES[code])}</strong>"
        if code == current
        else f'<a href="{code}.html">{escape(LANGUAGE_NAMES[code])}</a>'
        for code in locales
    ]
    return f'<nav><a href="index.html">index</a> {" ".join(links)}</nav>'


def page_html(locale: str, cards: Sequence[tuple[str, Card]], locales: Sequence[str]) -> str:
    """The page of one locale: its cards grouped by kind."""
    market = MARKETS[LOCALE_MARKETS.get(locale, "en")]
    sections = []
    for kind in CardKind:
        articles = "".join(card_html(name, card) for name, card in cards if card.kind is kind)
        sections.append(
            f'<section id="{kind.value}"><h2>{kind.value} cards</h2>'
            f'<div class="cards">{articles}</div></section>'
        )
    clocks = market.seller_timezone + (
        f", buyer {market.buyer_timezone}" if market.buyer_timezone else ""
    )
    return (
        f'<!doctype html>\n<html lang="{escape(locale)}"><head><meta charset="utf-8">'
        f"<title>reshipbot cards — {escape(locale)}</title><style>{STYLE}</style></head>"
        f"<body>{_nav(locale, locales)}"
        f"<h1>reshipbot cards — {escape(LANGUAGE_NAMES.get(locale, locale))}</h1>"
        f'<p class="meta">{len(cards)} cards · {escape(market.currency)} · '
        f"seller {escape(clocks)}</p>"
        f"{''.join(sections)}</body></html>\n"
    )


def index_html(locales: Sequence[str]) -> str:
    items = "".join(
        f'<li><a href="{code}.html">{escape(LANGUAGE_NAMES[code])}</a> ({code})</li>'
        for code in locales
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>reshipbot cards</title><style>{STYLE}</style></head>"
        f"<body><h1>reshipbot cards</h1><ul>{items}</ul></body></html>\n"
    )


def write_preview(
    out: Path, locales: Sequence[str] = SUPPORTED_LOCALES, renderer: Renderer | None = None
) -> list[Path]:
    """Write `out/<locale>.html` for each locale and `out/index.html`; the paths written."""
    renderer = renderer or Renderer(TokenSigner("cards-preview"), POLICY)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for locale in locales:
        path = out / f"{locale}.html"
        path.write_text(page_html(locale, sample_cards(renderer, locale), locales), "utf-8")
        written.append(path)
    index = out / "index.html"
    index.write_text(index_html(locales), "utf-8")
    return [*written, index]
