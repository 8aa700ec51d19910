"""Text a buyer, a seller or a carrier controls cannot break a card or inject into it.

Every `{{ expression }}` of a template is JSON-encoded, and texts are filled with
new-style gettext: the values below must come out valid, verbatim and unevaluated.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import orjson
import pytest

from bot.core.commands import (
    ArrangeShipment,
    LogisticsUpdate,
    Reject,
    ReplacementOrderCreated,
)
from bot.core.effects import Money, ParamValue
from bot.core.models import CardKind, LogisticsStatus, ReshipmentRequest, ShippingOption
from cards.context import card_context
from cards.formatting import ReaderFormat, ReaderLocale
from cards.locales import load_translations
from cards.model import Card
from cards.render import Renderer
from tests.cards.builders import (
    SELLER,
    approved,
    create_command,
    created,
    order_lines,
)

HOSTILE = [
    'a "quoted" word, a \\" escaped quote and a trailing backslash \\',
    "line one\nline two\r\n\ttabbed",
    "</script><script>alert(1)</script><!--",
    "{{ 7*7 }} {% if true %}yes{% endif %} {# comment #} ${7*7}",
    "%(x)s %s %% %(request_id)s {0} {request_id} {{}}",
    '", "actions": [{"id": "approve", "label": "x", "style": "primary", "token": "t"}], "x": "',
    "ünïcödé 日本語 ไทย Tiếng Việt 🙂 \u202eevil\u202c \u200bzero\u200d-width",
    "nul \x00 bell \x07 escape \x1b[31m",
]
IDS = ["quotes", "newlines", "script", "jinja", "percent", "json", "unicode", "control"]


def card(renderer: Renderer, request: ReshipmentRequest, kind: CardKind) -> Card:
    (state,) = [c for c in request.cards if c.kind is kind]
    return renderer.card(request, state.card_id)


def everything(card: Card) -> list[str]:
    return [card.title, *card.lines, *(f.value for f in card.fields), card.fallback_text]


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_an_evidence_note_appears_verbatim(renderer: Renderer, text: str) -> None:
    request = created(create_command(note=text)).request
    rendered = card(renderer, request, CardKind.request)
    assert f"Buyer's note: {text.strip()}" in rendered.lines
    assert [a.id.value for a in rendered.actions] == [
        "approve",
        "reject",
        "offer_partial_refund",
        "refund_only",
    ]
    assert not any("49" in part for part in everything(rendered))


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_an_item_name_appears_verbatim(renderer: Renderer, text: str) -> None:
    request = created(create_command(lines=order_lines(name=text))).request
    rendered = card(renderer, request, CardKind.request)
    assert f"2 \u00d7 {text}, $12.50 each" in rendered.lines


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_a_reject_comment_appears_verbatim_to_both(renderer: Renderer, text: str) -> None:
    comment = f"Rejected: {text}"
    request = created().then(Reject(SELLER, "other", comment)).request
    assert f"Your comment: {comment.strip()}" in card(renderer, request, CardKind.request).lines
    outcome = card(renderer, request, CardKind.outcome)
    assert f"Seller's comment: {comment.strip()}" in outcome.lines


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_a_carrier_tracking_number_and_event_appear_verbatim(renderer: Renderer, text: str) -> None:
    command = create_command()
    command = replace(
        command,
        order=command.order.model_copy(update={"shipping_option": ShippingOption.seller}),
    )
    flow = approved(created(command)).then(ReplacementOrderCreated("RO-1"))
    flow = flow.then(ArrangeShipment(SELLER, carrier=text, tracking_number=text))
    flow = flow.then(
        LogisticsUpdate(text, text, LogisticsStatus.in_transit, text, flow.now),
        after=timedelta(hours=1),
    )
    shipment = card(renderer, flow.request, CardKind.shipment)
    fields = {f.label: f.value for f in shipment.fields}
    assert fields["Carrier"] == fields["Tracking number"] == text
    assert shipment.lines[-1].endswith(f"— in transit: {text.strip()}")
    assert [a.id.value for a in shipment.actions] == ["check_logistics"]
    seller = card(renderer, flow.request, CardKind.request)
    assert {"Carrier": text, "Tracking number": text}.items() <= {
        f.label: f.value for f in seller.fields
    }.items()


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_platform_ids_cannot_inject_either(renderer: Renderer, text: str) -> None:
    command = create_command(request_id=text)
    command = replace(command, order=command.order.model_copy(update={"order_id": text}))
    request = created(command).request
    rendered = card(renderer, request, CardKind.request)
    assert rendered.request_id == text
    assert rendered.card_id == f"{text}.request.seller"
    assert rendered.title == f"Reshipment request {text}"


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_the_raw_template_output_is_one_json_object_with_the_spec_keys(
    renderer: Renderer, text: str
) -> None:
    request = created(create_command(note=text, lines=order_lines(name=text))).request
    (state,) = request.cards
    fmt = ReaderFormat(ReaderLocale("en", load_translations("en")), "UTC")
    context = card_context(request, state, fmt, [("approve", text)])
    raw = renderer.environment("en").get_template("request.json.j2").render(context)
    data = orjson.loads(raw)
    assert list(data) == list(Card.model_fields)
    assert data["actions"] == [
        {"id": "approve", "label": "Approve reshipment", "style": "primary", "token": text}
    ]


@pytest.mark.parametrize("text", HOSTILE, ids=IDS)
def test_chat_text_parameters_are_not_interpreted(renderer: Renderer, text: str) -> None:
    shipped = {"request_id": "RQ-1", "carrier": text, "tracking_number": text}
    rendered = renderer.text("shipped_buyer", shipped, "en", "UTC")
    assert rendered == (
        f"Your replacement for request RQ-1 is on its way with {text}, tracking number {text}."
    )
    refunded: dict[str, ParamValue] = {"request_id": text, "amount": Money(Decimal("1.00"), "USD")}
    assert renderer.text("refunded_seller", refunded, "en", "UTC") == (
        f"Request {text} is settled with a full refund of $1.00 to the buyer."
    )


def test_blank_carrier_and_tracking_leave_their_fields_out(renderer: Renderer) -> None:
    command = create_command()
    command = replace(
        command,
        order=command.order.model_copy(update={"shipping_option": ShippingOption.seller}),
    )
    flow = approved(created(command)).then(ReplacementOrderCreated("RO-1"))
    flow = flow.then(ArrangeShipment(SELLER, carrier="   ", tracking_number="\t"))
    shipment = card(renderer, flow.request, CardKind.shipment)
    assert {f.label for f in shipment.fields} == {"Request", "Status"}
    assert "Carrier" not in {f.label for f in card(renderer, flow.request, CardKind.request).fields}
