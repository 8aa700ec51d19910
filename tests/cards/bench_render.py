"""How long one card takes to render, per kind (not a test; not collected by pytest).

    uv run python -m tests.cards.bench_render

Each kind is measured in every locale (in that locale's market: its currency and clocks).
"warm": the same request again (its amounts and deadlines are already formatted, as
when a request's cards are re-rendered after each transition); "cold": a request whose
amounts and deadlines were never formatted before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from bot.core.models import CardKind, ReshipmentRequest
from bot.core.tokens import TokenSigner
from cards.locales import SUPPORTED_LOCALES
from cards.render import Renderer
from tests.cards.builders import LOCALE_MARKETS, MARKETS, POLICY, SCENARIO_BY_NAME, market_command

KINDS = {
    CardKind.request: "request_awaiting_seller",
    CardKind.offer: "offer_open",
    CardKind.shipment: "shipment_in_transit",
    CardKind.outcome: "outcome_rejected",
}


def per_call(action: Callable[[], object], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - start) / rounds


def shifted(request: ReshipmentRequest, minutes: int) -> ReshipmentRequest:
    """The same request with deadlines and amounts nobody has formatted yet."""
    deadlines = request.deadlines.model_copy(
        update={
            name: value + timedelta(minutes=minutes)
            for name, value in request.deadlines.model_dump().items()
            if value is not None
        }
    )
    value = request.affected_value + minutes
    return request.model_copy(update={"deadlines": deadlines, "affected_value": value})


def bench(
    renderer: Renderer, kind: CardKind, scenario: str, locale: str, rounds: int
) -> tuple[float, float]:
    """Seconds per render of the `kind` card of `scenario` in `locale`: warm, then cold."""
    market = MARKETS[LOCALE_MARKETS[locale]]
    request = SCENARIO_BY_NAME[scenario].request(market_command(market))
    (state,) = [card for card in request.cards if card.kind is kind]
    renderer.card(request, state.card_id)
    warm = per_call(lambda: renderer.card(request, state.card_id), rounds)
    fresh = iter([shifted(request, i + 1) for i in range(rounds)])
    cold = per_call(lambda: renderer.card(next(fresh), state.card_id), rounds)
    return warm, cold


def main() -> None:
    renderer = Renderer(TokenSigner("bench"), POLICY)
    renderer.preload()
    for locale in SUPPORTED_LOCALES:
        for kind, scenario in KINDS.items():
            warm, cold = bench(renderer, kind, scenario, locale, rounds=1000)
            print(
                f"{locale}  {kind.value:<9} warm {warm * 1e6:6.0f} µs   cold {cold * 1e6:6.0f} µs"
            )


if __name__ == "__main__":
    main()
