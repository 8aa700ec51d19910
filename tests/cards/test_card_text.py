"""Chat texts for one reader: the message translated, its parameters in their locale."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from bot.core.chat_parser import USAGE
from bot.core.effects import Money, ParamValue
from bot.core.messages import MESSAGES
from bot.core.models import Audience, CardKind, LogisticsStatus, RejectCode, TrackingEvent
from bot.core.tokens import TokenSigner
from cards.render import Renderer, RenderError
from tests.cards.builders import POLICY, create_command, created, offered

AT = datetime(2026, 11, 27, 7, 5, tzinfo=UTC)  # a Friday
EVENTS = (
    TrackingEvent(status=LogisticsStatus.picked_up, description="Picked up", occurred_at=AT),
    TrackingEvent(status=LogisticsStatus.in_transit, description="", occurred_at=AT),
)
PLAUSIBLE: dict[str, ParamValue] = {
    "request_id": "RQ-1001",
    "seller_due_at": AT,
    "offer_expires_at": AT,
    "ship_by": AT,
    "amount": Money(Decimal("10.00"), "USD"),
    "affected_value": Money(Decimal("33.99"), "USD"),
    "shipping_option": "platform",
    "carrier": "Kerry Express",
    "tracking_number": "KEX123",
    "shipment_status": "in_transit",
    "status": "shipped",
    "events": EVENTS,
    "commands": ("/approve", "/reject", "/help"),
    "command": "/approve",
    "currency": "JPY",
    "digits": 0,
    "example": "1250",
    "reason": "missing_items",
    "code": "wrong",
    "codes": tuple(code.value for code in RejectCode),
    "min_length": 10,
    "requests": ("#RQ-1", "#RQ-2"),
    "usage": USAGE["/offer"],
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_every_message_renders_without_leftover_placeholders(
    renderer: Renderer, message: str
) -> None:
    names = placeholders(MESSAGES[message])
    assert names <= PLAUSIBLE.keys(), f"add plausible values for {names - PLAUSIBLE.keys()}"
    params = {name: PLAUSIBLE[name] for name in names}
    for locale in ("en", "es", "id", "th", "vi"):
        text = renderer.text(message, params, locale, "Asia/Bangkok")
        assert "{" not in text and "}" not in text, text
        assert text.strip()


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("1234.50", "USD", "$1,234.50"),
        ("1234.50", "EUR", "€1,234.50"),
        ("1234.50", "THB", "THB\u00a01,234.50"),
        ("1234.50", "IDR", "IDR\u00a01,234.50"),
        ("25000", "VND", "₫25,000"),
        ("2500", "JPY", "¥2,500"),
        ("12.5", "USD", "$12.50"),
        ("0.05", "USD", "$0.05"),
    ],
)
def test_money_in_english(renderer: Renderer, amount: str, currency: str, expected: str) -> None:
    params: dict[str, ParamValue] = {
        "request_id": "RQ-1",
        "amount": Money(Decimal(amount), currency),
    }
    text = renderer.text("refunded_seller", params, "en", "UTC")
    assert text == f"Request RQ-1 is settled with a full refund of {expected} to the buyer."


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("es", "1.234,50\u00a0US$"),
        ("id", "US$1.234,50"),
        ("th", "US$1,234.50"),
        ("vi", "1.234,50\u00a0US$"),
    ],
)
def test_money_in_the_readers_locale(renderer: Renderer, locale: str, expected: str) -> None:
    params: dict[str, ParamValue] = {
        "request_id": "RQ-1",
        "amount": Money(Decimal("1234.50"), "USD"),
    }
    assert expected in renderer.text("refunded_seller", params, locale, "UTC")


@pytest.mark.parametrize(
    ("locale", "timezone", "expected"),
    [
        ("en", "Asia/Bangkok", "Fri 27 Nov, 14:05 (Asia/Bangkok)"),
        ("en", "UTC", "Fri 27 Nov, 07:05 (UTC)"),
        ("en", "America/Mexico_City", "Fri 27 Nov, 01:05 (America/Mexico_City)"),
        ("en", "Not/A_Zone", "Fri 27 Nov, 07:05 (UTC)"),
        ("es", "America/Mexico_City", "vie, 27 nov, 1:05 (America/Mexico_City)"),
        ("id", "Asia/Jakarta", "Jum, 27 Nov, 14.05 (Asia/Jakarta)"),
        ("th", "Asia/Bangkok", "ศ. 27 พ.ย. 14:05 น. (Asia/Bangkok)"),
        ("vi", "Asia/Ho_Chi_Minh", "14:05 Th 6, 27 thg 11 (Asia/Ho_Chi_Minh)"),
    ],
)
def test_moments_on_the_readers_clock(
    renderer: Renderer, locale: str, timezone: str, expected: str
) -> None:
    params: dict[str, ParamValue] = {"request_id": "RQ-1", "seller_due_at": AT}
    assert expected in renderer.text("reminder_seller", params, locale, timezone)


@pytest.mark.parametrize(
    ("message", "params", "expected"),
    [
        ("status_closed", {"status": "refunded"}, "Request RQ-1: refunded."),
        (
            "refused_not_now",
            {"command": "/ship", "status": "awaiting_seller"},
            "/ship is not possible now: request RQ-1 is waiting for the seller.",
        ),
        (
            "refused_not_now",
            {"command": "/ship", "status": "something_new"},
            "/ship is not possible now: request RQ-1 is something_new.",
        ),
        (
            "refused_proposal_not_allowed",
            {"reason": "broken_or_unusable"},
            "That proposal is not available for requests about broken or unusable items.",
        ),
        (
            "refused_unknown_reject_code",
            {"code": "nope", "codes": ("other", "duplicate_request")},
            "nope is not a reject reason. Use one of: other (other reason), "
            "duplicate_request (this is a duplicate request).",
        ),
        (
            "approved_seller",
            {"ship_by": AT, "shipping_option": "seller"},
            "You approved reshipment RQ-1. Ship the replacement by Fri 27 Nov, 07:05 (UTC) "
            "with the order's seller shipping, at your cost. Send /ship when it is ready.",
        ),
        (
            "refused_comment_too_short",
            {"min_length": 10},
            "Please explain the rejection in at least 10 characters.",
        ),
        (
            "status_shipped",
            {"carrier": "DHL", "tracking_number": "T1", "shipment_status": "requested"},
            "Request RQ-1: shipped with DHL, tracking number T1; "
            "latest status: shipment requested.",
        ),
    ],
)
def test_labels_and_lists(
    renderer: Renderer, message: str, params: dict[str, ParamValue], expected: str
) -> None:
    assert renderer.text(message, {"request_id": "RQ-1", **params}, "en", "UTC") == expected


def test_help_lists_one_command_per_line(renderer: Renderer) -> None:
    params: dict[str, ParamValue] = {"commands": ("/accept", "/decline", "/someday")}
    assert renderer.text("help", params, "en", "UTC") == (
        "What you can do now:\n"
        "/accept — accept the seller's offer\n"
        "/decline — decline the offer and keep asking for a reshipment\n"
        "/someday"
    )


def test_tracking_lists_one_event_per_line(renderer: Renderer) -> None:
    params: dict[str, ParamValue] = {
        "request_id": "RQ-1",
        "carrier": "DHL",
        "tracking_number": "T1",
        "shipment_status": "in_transit",
        "events": EVENTS,
    }
    assert renderer.text("tracking", params, "en", "Asia/Bangkok") == (
        "Request RQ-1 ships with DHL, tracking number T1. Latest status: in transit.\n"
        "Fri 27 Nov, 14:05 (Asia/Bangkok) — picked up: Picked up\n"
        "Fri 27 Nov, 14:05 (Asia/Bangkok) — in transit"
    )
    no_events = renderer.text("tracking", {**params, "events": ()}, "en", "UTC")
    assert no_events.endswith("Latest status: in transit.\nNo tracking events yet.")


def test_a_missing_parameter_stays_visible_instead_of_failing(renderer: Renderer) -> None:
    text = renderer.text("reminder_seller", {"request_id": "RQ-1"}, "en", "UTC")
    assert "by {seller_due_at}," in text


def test_an_unknown_message_is_an_error(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="no message"):
        renderer.text("no_such_message", {}, "en", "UTC")


def test_reader_is_the_renderers_too(renderer: Renderer) -> None:
    assert renderer.reader(None, Audience.buyer) == ("en", "UTC")


# --- a catalog for another locale -----------------------------------------------------------


@pytest.fixture
def spanish(tmp_path: Path, signer: TokenSigner) -> Renderer:
    catalog = Catalog(locale="es")
    catalog.add(MESSAGES["help"], "Lo que puedes hacer ahora:\n{commands}")
    catalog.add(MESSAGES["rejected_seller"], "Rechazaste la solicitud {request_id")  # broken
    catalog.add("/help — what you can do now", "/help — lo que puedes hacer ahora")
    catalog.add("Partial refund offer", "Oferta de reembolso parcial")
    target = tmp_path / "es" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as mo:
        write_mo(mo, catalog)
    return Renderer(signer, POLICY, locales_dir=tmp_path)


def test_a_locale_with_a_catalog_is_translated(spanish: Renderer) -> None:
    text = spanish.text("help", {"commands": ("/help",)}, "es-MX", "UTC")
    assert text == "Lo que puedes hacer ahora:\n/help — lo que puedes hacer ahora"
    assert spanish.text("help", {"commands": ("/help",)}, "en", "UTC").startswith("What you")


def test_a_broken_translation_falls_back_to_english(
    spanish: Renderer, caplog: pytest.LogCaptureFixture
) -> None:
    text = spanish.text("rejected_seller", {"request_id": "RQ-1"}, "es", "UTC")
    assert text == "You rejected request RQ-1. The buyer was told why."
    assert "broken translation of rejected_seller in es" in caplog.text


def test_cards_use_the_catalog_of_their_reader(spanish: Renderer) -> None:
    request = offered(created(create_command(buyer_locale="es_MX"))).request
    (state,) = [card for card in request.cards if card.kind is CardKind.offer]
    card = spanish.card(request, state.card_id)
    assert (card.locale, card.title) == ("es", "Oferta de reembolso parcial")
