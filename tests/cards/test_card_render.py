"""Every card kind in every state it can be in: valid, versioned, with the right buttons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.core.availability import card_actions
from bot.core.commands import CreateRequest, DeclineOffer, RequestedItem
from bot.core.models import CardKind, CardState, CardStatus, ReshipmentRequest
from bot.core.tokens import TokenSigner
from cards.model import Card
from cards.render import Renderer, RenderError
from tests.cards.builders import (
    BUYER,
    POLICY,
    SCENARIO_BY_NAME,
    SCENARIOS,
    SELLER,
    Scenario,
    create_command,
    created,
    offered,
)

TIMES = "\u00d7"  # the multiplication sign between quantity and name
ALL_CARDS = [
    pytest.param(scenario, state, id=f"{scenario.name}-{state.kind.value}")
    for scenario in SCENARIOS
    for state in scenario.request().cards
]


def render(renderer: Renderer, name: str, kind: CardKind) -> tuple[ReshipmentRequest, Card]:
    request = SCENARIO_BY_NAME[name].request()
    return request, renderer.card(request, card_of(request, kind).card_id)


def card_of(request: ReshipmentRequest, kind: CardKind) -> CardState:
    (state,) = [card for card in request.cards if card.kind is kind]
    return state


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_each_scenario_has_the_card_it_is_about(scenario: Scenario) -> None:
    assert scenario.kind in {card.kind for card in scenario.request().cards}


@pytest.mark.parametrize(("scenario", "state"), ALL_CARDS)
def test_every_card_renders_at_its_current_state(
    renderer: Renderer, scenario: Scenario, state: CardState
) -> None:
    request = scenario.request()
    card = renderer.card(request, state.card_id)

    assert card.card_id == state.card_id == f"{request.request_id}.{state.kind}.{state.audience}"
    assert card.request_id == request.request_id
    assert (card.kind, card.audience.value) == (state.kind, state.audience.value)
    assert (card.version, card.status) == (state.version, state.status)
    assert card.locale == "en"
    assert [action.id.value for action in card.actions] == list(
        card_actions(request, state, POLICY)
    )
    if card.status is not CardStatus.open:
        assert card.actions == ()
    assert card.title in card.fallback_text
    assert all(line in card.fallback_text for line in card.lines)
    assert all(f"{field.label}: {field.value}" in card.fallback_text for field in card.fields)


@pytest.mark.parametrize(("scenario", "state"), ALL_CARDS)
def test_each_button_carries_a_token_for_this_card_version_action_and_reader(
    renderer: Renderer, signer: TokenSigner, scenario: Scenario, state: CardState
) -> None:
    request = scenario.request()
    card = renderer.card(request, state.card_id)
    reader = SELLER if state.audience.value == "seller" else BUYER
    for action in card.actions:
        claims = signer.verify(action.token)
        assert claims is not None
        assert claims.request_id == request.request_id
        assert claims.card_id == state.card_id
        assert claims.version == state.version
        assert claims.action == action.id.value
        assert (claims.role, claims.actor_id) == (reader.role.value, reader.id)
        assert TokenSigner("another secret").verify(action.token) is None


def test_a_card_is_stable_and_its_version_grows_with_each_update(renderer: Renderer) -> None:
    first = created()
    later = offered(first).then(DeclineOffer(BUYER), after=timedelta(hours=1))
    card_id = card_of(first.request, CardKind.request).card_id
    before, after = renderer.card(first.request, card_id), renderer.card(later.request, card_id)
    assert before.card_id == after.card_id
    assert after.version > before.version
    assert {a.token for a in before.actions}.isdisjoint({a.token for a in after.actions})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("request_awaiting_seller", ["approve", "reject", "offer_partial_refund", "refund_only"]),
        ("request_offer_pending", []),
        ("request_offer_declined", ["approve", "reject"]),
        ("request_offer_expired", ["approve", "reject"]),
        ("request_approved", ["arrange_shipment"]),
        ("request_overdue", ["arrange_shipment"]),
        ("request_shipment_arranging", []),
        ("request_shipped", []),
        ("request_delivered", []),
        ("request_rejected", []),
        ("offer_open", ["accept_offer", "decline_offer", "cancel_request"]),
        ("offer_accepted", []),
        ("shipment_in_transit", ["check_logistics"]),
        ("shipment_delivered", []),
        ("outcome_delivered", []),
    ],
)
def test_buttons_by_state(renderer: Renderer, name: str, expected: list[str]) -> None:
    _, card = render(renderer, name, SCENARIO_BY_NAME[name].kind)
    assert [action.id.value for action in card.actions] == expected


def test_button_labels_and_styles(renderer: Renderer) -> None:
    _, card = render(renderer, "request_awaiting_seller", CardKind.request)
    assert [(a.label, a.style.value) for a in card.actions] == [
        ("Approve reshipment", "primary"),
        ("Reject", "danger"),
        ("Offer partial refund", "secondary"),
        ("Refund in full", "secondary"),
    ]


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("offer_accepted", "accepted", "You accepted the seller's offer: $10.00"),
        ("offer_declined", "declined", "You declined the offer of $10.00."),
        ("offer_expired", "expired", "The offer of $10.00 expired without an answer."),
        ("offer_declined_by_cancelling", "declined", "You cancelled your request"),
        ("offer_expired_by_platform_cancel", "expired", "The platform cancelled your request"),
    ],
)
def test_a_decided_offer_card_says_how_it_ended_without_buttons(
    renderer: Renderer, name: str, status: str, words: str
) -> None:
    _, card = render(renderer, name, CardKind.offer)
    assert card.status.value == status
    assert card.actions == ()
    assert status in card.title.lower()
    assert any(words in line for line in card.lines)
    assert {"label": "Offer status", "value": status.capitalize()} in [
        f.model_dump() for f in card.fields
    ]
    assert "Reply" not in card.fallback_text


def test_the_open_offer_shows_amount_against_affected_value_and_expiry(renderer: Renderer) -> None:
    request, card = render(renderer, "offer_open", CardKind.offer)
    assert request.affected_value == Decimal("33.99")
    fields = {f.label: f.value for f in card.fields}
    assert fields["Offer"] == "$10.00"
    assert fields["Affected value"] == "$33.99"
    # offered at 14:00 UTC on Thursday; one day to answer; the buyer reads Bangkok time
    assert fields["Answer by"] == "Fri 27 Nov, 21:00 (Asia/Bangkok)"
    assert card.fallback_text.endswith("Reply /accept, /decline, or /cancel")


def test_the_request_card_shows_items_with_a_plural_evidence_and_deadline(
    renderer: Renderer,
) -> None:
    _, card = render(renderer, "request_awaiting_seller", CardKind.request)
    assert card.lines == (
        "The buyer asks for a reshipment because of missing items.",
        "Please answer by Sat 28 Nov, 16:00 (Asia/Bangkok); without an answer the "
        "reshipment is approved automatically.",
        "3 items, worth $33.99:",
        f"2 {TIMES} Ceramic mug, $12.50 each",
        f"1 {TIMES} Dinner plate, $8.99 each",
        "Buyer's note: The box arrived open and two mugs were missing.",
        "2 photos attached.",
    )
    assert card.fallback_text.endswith(
        "Reply /approve, /reject CODE COMMENT, /offer AMOUNT, or /refund"
    )


def test_one_item_is_singular(renderer: Renderer) -> None:
    command = create_command(items=(RequestedItem("L2", 1),), image_urls=("https://i/1",))
    request = created(command).request
    card = renderer.card(request, card_of(request, CardKind.request).card_id)
    assert "1 item, worth $8.99:" in card.lines
    assert "1 photo attached." in card.lines


def test_seller_shipping_hints_at_the_carrier_and_tracking(renderer: Renderer) -> None:
    _, card = render(renderer, "request_approved_seller_shipping", CardKind.request)
    assert card.fallback_text.endswith("Reply /ship CARRIER TRACKING")
    assert {"label": "Shipping", "value": "Seller shipping"} in [
        f.model_dump() for f in card.fields
    ]


def test_the_shipment_card_shows_the_latest_three_events_newest_first(
    renderer: Renderer,
) -> None:
    _, card = render(renderer, "shipment_in_transit", CardKind.shipment)
    assert card.lines[1] == "Latest status: out for delivery."
    events = card.lines[3:]
    assert len(events) == 3
    assert events[0].endswith("— out for delivery")
    assert events[1].endswith("— in transit: Arrived at the sorting hub")
    assert events[2].endswith("— picked up: Picked up in Bangkok")
    assert card.fallback_text.endswith("Reply /track")


@pytest.mark.parametrize(
    ("name", "title", "line"),
    [
        (
            "outcome_rejected",
            "Your reshipment request was rejected",
            "The seller rejected request RQ-1001: the damage happened after delivery.",
        ),
        (
            "outcome_refunded_full",
            "You will receive a refund",
            "Instead of a reshipment, the seller refunds the affected items in full: $33.99.",
        ),
        (
            "outcome_refunded_partial",
            "You will receive a refund",
            "You accepted the seller's partial refund of $10.00 instead of a reshipment.",
        ),
        (
            "outcome_cancelled_by_buyer",
            "Your reshipment request was cancelled",
            "You cancelled request RQ-1001.",
        ),
        (
            "outcome_cancelled_by_platform",
            "Your reshipment request was cancelled",
            "The platform cancelled request RQ-1001.",
        ),
        ("outcome_delivered", "Your replacement was delivered", None),
    ],
)
def test_the_outcome_card_says_how_it_ended(
    renderer: Renderer, name: str, title: str, line: str | None
) -> None:
    _, card = render(renderer, name, CardKind.outcome)
    assert card.status is CardStatus.closed
    assert card.title == title
    if line is not None:
        assert card.lines[0] == line


def test_the_rejected_outcome_shows_the_sellers_comment(renderer: Renderer) -> None:
    _, card = render(renderer, "outcome_rejected", CardKind.outcome)
    assert "Seller's comment: The mug was broken after it was used." in card.lines


def test_an_unknown_card_is_an_error(renderer: Renderer) -> None:
    request = created().request
    with pytest.raises(RenderError, match="no card"):
        renderer.card(request, "RQ-1001.offer.buyer")


# --- the reader's timezone and locale ------------------------------------------------------


def deadline_for(renderer: Renderer, command: CreateRequest) -> str:
    request = created(command).request
    card = renderer.card(request, card_of(request, CardKind.request).card_id)
    return card.lines[1]


def test_a_deadline_is_shown_on_the_sellers_clock(renderer: Renderer) -> None:
    bangkok = deadline_for(renderer, create_command(seller_timezone="Asia/Bangkok"))
    utc = deadline_for(renderer, create_command(seller_timezone="UTC"))
    assert "Sat 28 Nov, 16:00 (Asia/Bangkok)" in bangkok
    assert "Sat 28 Nov, 09:00 (UTC)" in utc


def test_the_buyer_reads_their_own_timezone_or_else_the_sellers(renderer: Renderer) -> None:
    def answer_by(command: CreateRequest) -> str:
        request = offered(created(command)).request
        card = renderer.card(request, card_of(request, CardKind.offer).card_id)
        return {f.label: f.value for f in card.fields}["Answer by"]

    assert answer_by(create_command()) == "Fri 27 Nov, 21:00 (Asia/Bangkok)"
    assert answer_by(create_command(buyer_timezone="America/Mexico_City")) == (
        "Fri 27 Nov, 08:00 (America/Mexico_City)"
    )
    assert answer_by(create_command(buyer_timezone="Not/A_Zone")) == (
        "Fri 27 Nov, 21:00 (Asia/Bangkok)"
    )


def test_each_card_speaks_its_readers_locale(renderer: Renderer) -> None:
    command = create_command(seller_locale="th-TH", buyer_locale="es-MX")
    request = offered(created(command)).request
    seller_card = renderer.card(request, card_of(request, CardKind.request).card_id)
    buyer_card = renderer.card(request, card_of(request, CardKind.offer).card_id)
    assert (seller_card.locale, buyer_card.locale) == ("th", "es")
    buyer_fields = {f.label: f.value for f in buyer_card.fields}
    # Spanish words, numbers and dates for the buyer; Thai for the seller.
    assert buyer_card.title == "Oferta de reembolso parcial"
    assert buyer_fields["Oferta"] == "10,00\xa0US$"
    assert buyer_fields["Plazo para responder"] == "vie, 27 nov, 21:00 (Asia/Bangkok)"
    assert seller_card.title == "คำขอส่งสินค้าใหม่ RQ-1001"
    assert [action.label for action in buyer_card.actions] == [
        "Aceptar oferta",
        "Rechazar oferta",
        "Cancelar solicitud",
    ]


def test_an_unknown_locale_reads_english(renderer: Renderer) -> None:
    request = created(create_command(seller_locale="fr-FR")).request
    card = renderer.card(request, card_of(request, CardKind.request).card_id)
    assert card.locale == "en"
    assert "$33.99" in card.fallback_text
