"""Cards: how long a validated card takes to render, against the bare template render.

For each card kind (request, offer, shipment, outcome) in `en` and `th` (each in its
market: currency and clock), `Renderer.card(request, card_id)` — the reader's context
(formatted money and moments, one signed token per button), the Jinja render, JSON
parsing and the `Card` model's validation — against the same template's `.render(...)`
with the very context the renderer built (captured on its way into the template), which
only renders a string. The note splits the card's time into context, render, and
parse + validate. Warm: the same request each time, as when a request's cards are
rendered again after each transition (see tests/cards/bench_render.py for cold ones).

    uv run python -m tests.bench.cards
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from bot.core.models import CardKind, ReshipmentRequest
from bot.core.tokens import TokenSigner
from cards.model import Card
from cards.render import TEMPLATE_NAMES, Renderer
from cards.samples import LOCALE_MARKETS, MARKETS, POLICY, SCENARIO_BY_NAME, market_command
from tests.bench.common import Figure, Report

LOCALES = ("en", "th")
KINDS = {  # a scenario whose request has the card open, as tests/cards/bench_render.py
    CardKind.request: "request_awaiting_seller",
    CardKind.offer: "offer_open",
    CardKind.shipment: "shipment_in_transit",
    CardKind.outcome: "outcome_rejected",
}
ROUNDS, REPEATS = 500, 5


def per_call(action: Callable[[], object]) -> float:
    """Seconds per call: the best of REPEATS runs of ROUNDS calls (the least disturbed)."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(ROUNDS):
            action()
        best = min(best, (time.perf_counter() - start) / ROUNDS)
    return best


def captured_context(
    renderer: Renderer, request: ReshipmentRequest, card_id: str, template: Any
) -> dict[str, Any]:
    """The context `renderer.card` passes to `template.render`, caught on the way in."""
    seen: list[dict[str, Any]] = []
    render = template.render

    def spy(*args: Any, **kwargs: Any) -> str:
        seen.append(dict(*args, **kwargs))
        return str(render(*args, **kwargs))

    template.render = spy
    try:
        renderer.card(request, card_id)
    finally:
        del template.render
    if len(seen) != 1:
        raise RuntimeError(
            "Renderer.card no longer calls the template's render() once with its context: "
            "the cards benchmark needs another way to reach that context (a hook in cards/)"
        )
    return seen[0]


def measure(renderer: Renderer, kind: CardKind, locale: str) -> dict[str, float]:
    """Microseconds per call of: the card, the bare render, parse + validate."""
    market = MARKETS[LOCALE_MARKETS[locale]]
    request = SCENARIO_BY_NAME[KINDS[kind]].request(market_command(market))
    (state,) = [card for card in request.cards if card.kind is kind]
    reader_locale, _ = renderer.reader(request, state.audience)
    template = renderer.environment(reader_locale).get_template(TEMPLATE_NAMES[kind])
    context = captured_context(renderer, request, state.card_id, template)
    rendered = template.render(context)
    if Card.model_validate(orjson.loads(rendered)) != renderer.card(request, state.card_id):
        raise RuntimeError(f"the bare render of {state.card_id} differs from the card")
    return {
        "card": per_call(lambda: renderer.card(request, state.card_id)) * 1e6,
        "render": per_call(lambda: template.render(context)) * 1e6,
        "validate": per_call(lambda: Card.model_validate(orjson.loads(rendered))) * 1e6,
    }


def bench(report: Report) -> None:
    renderer = Renderer(TokenSigner("bench-cards"), POLICY)
    renderer.preload()
    for locale in LOCALES:
        for kind in KINDS:
            times = measure(renderer, kind, locale)
            card, render, validate = times["card"], times["render"], times["validate"]
            context = card - render - validate
            note = (
                f"context and tokens {context:.0f} µs, template {render:.0f} µs, "
                f"JSON parse + Card validation {validate:.0f} µs"
            )
            report.add(
                Figure(
                    f"card render: {kind.value} ({locale})",
                    card,
                    "µs",
                    render,
                    "bare template.render",
                    note=note,
                )
            )


if __name__ == "__main__":
    bench(Report())
