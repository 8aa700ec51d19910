"""The timeline is the record support agents read (SPEC §3.3): each transition adds one
entry saying who did what, with the values it decided, ready for JSON — moments as ISO
8601 UTC with `Z`, money as decimal strings, durations in seconds, no empty values.

Each case drives a request with real commands (`tests.bot.builders`) and checks the entry
the last step added, worked out from the SPEC: the default policy (48 h to answer, 24 h
for an offer, the reminder 12 h before, ship by the end of the 2nd working day) and the
default request (USD, affected value 25.00, requested Monday 2 March 2026 09:00 UTC).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest

from bot.core.commands import (
    AcceptOffer,
    Approve,
    ArrangeShipment,
    CancelRequest,
    CardAction,
    DeclineOffer,
    DeliveryFailed,
    OfferPartialRefund,
    PlatformCancel,
    RefundIssued,
    RefundOnly,
    Reject,
    ReplacementOrderCreated,
    ShipmentCreated,
    TimerFired,
    TimerKind,
)
from bot.core.models import Actor, LogisticsStatus, ShippingOption, Status, TimelineEntry
from tests.bot.builders import (
    BUYER,
    CARRIER,
    HOUR,
    REPLACEMENT_ORDER_ID,
    REQUEST_CARD,
    SELLER,
    SELLER_CARRIER,
    SELLER_TRACKING,
    T0,
    TRACKING,
    Flow,
    card_version,
    create_command,
    created,
    logistics,
    request_in,
)


def last_entry(flow: Flow) -> TimelineEntry:
    entry = flow.request.timeline[-1]
    assert entry.at == flow.now
    json.dumps(entry.detail)  # what the agent API and the console show
    return entry


def assert_entry(flow: Flow, kind: str, actor: Actor | None, **detail: object) -> None:
    entry = last_entry(flow)
    assert (entry.type, entry.actor, entry.detail) == (kind, actor, detail)


# --- the seller decides (T2, T3, T4, T5, T5b) and the platform decides for them (T9) --------


def test_an_approval_records_the_ship_by_it_set() -> None:
    flow = created()
    flow.do(Approve(SELLER), after=HOUR)
    # approved on Monday 2 March: Tuesday and Wednesday are the two working days
    assert_entry(flow, "approved", SELLER, ship_by="2026-03-04T23:59:59Z")


def test_an_automatic_approval_records_the_ship_by_and_no_person() -> None:
    flow = created()
    flow.do(TimerFired(TimerKind.seller_deadline), after=48 * HOUR)
    # approved on Wednesday 4 March: Thursday and Friday
    assert_entry(flow, "auto_approved", None, ship_by="2026-03-06T23:59:59Z")


def test_a_rejection_records_the_code_and_the_comment() -> None:
    flow = created()
    flow.do(Reject(SELLER, " Evidence_Insufficient ", "  The photos show all items.  "), after=HOUR)
    assert_entry(
        flow,
        "rejected",
        SELLER,
        reason_code="evidence_insufficient",
        comment="The photos show all items.",
    )


def test_a_refund_in_full_records_the_amount_and_the_seller_who_proposed_it() -> None:
    flow = created()
    flow.do(RefundOnly(SELLER), after=HOUR)
    assert_entry(flow, "refunded_in_full", SELLER, amount="25.00", currency="USD")


def test_an_offer_of_the_whole_value_is_a_refund_in_full_proposed_by_the_seller() -> None:
    flow = created()
    flow.do(OfferPartialRefund(SELLER, amount="25.00"), after=HOUR)
    assert flow.request.status is Status.refunded
    assert_entry(flow, "refunded_in_full", SELLER, amount="25.00", currency="USD")


def test_an_offer_records_amount_expiry_and_the_seller_time_left() -> None:
    flow = created()
    flow.do(OfferPartialRefund(SELLER, amount="10"), after=HOUR)
    assert_entry(
        flow,
        "offer_made",
        SELLER,
        amount="10.00",
        currency="USD",
        expires_at="2026-03-03T10:00:00Z",
        seller_remaining=47 * 3600,
    )


def test_an_offer_in_a_currency_without_minor_units_records_whole_amounts() -> None:
    flow = created(create_command(currency="JPY"))
    flow.do(OfferPartialRefund(SELLER, percent=Decimal(40)), after=HOUR)
    entry = last_entry(flow)
    assert entry.detail["amount"] == "1000"
    assert entry.detail["currency"] == "JPY"


# --- the buyer answers, or the offer lapses (T6, T7, T8) ---------------------------------------


def test_an_accepted_offer_records_the_amount() -> None:
    flow = request_in(Status.offer_pending)
    flow.do(AcceptOffer(BUYER), after=HOUR)
    assert_entry(flow, "offer_accepted", BUYER, amount="10.00", currency="USD")


def test_a_declined_offer_records_the_new_seller_deadline() -> None:
    flow = request_in(Status.offer_pending)  # offered at 10:00 with 47 h left
    flow.do(DeclineOffer(BUYER), after=HOUR)  # 11:00 + 47 h
    assert_entry(flow, "offer_declined", BUYER, seller_due_at="2026-03-04T10:00:00Z")


def test_an_expired_offer_records_the_new_seller_deadline_and_no_person() -> None:
    flow = request_in(Status.offer_pending)  # expires Tuesday 10:00
    flow.do(TimerFired(TimerKind.offer_expiry), after=24 * HOUR)
    assert_entry(flow, "offer_expired", None, seller_due_at="2026-03-05T09:00:00Z")


# --- reminders and shipping deadlines (§1.1, T11) ---------------------------------------------


def test_a_reminder_records_the_deadline_it_reminded_of() -> None:
    flow = created()
    flow.do(TimerFired(TimerKind.seller_reminder), after=36 * HOUR)
    assert_entry(flow, "seller_reminded", None, seller_due_at="2026-03-04T09:00:00Z")


def test_an_overdue_shipment_records_the_ship_by_it_missed() -> None:
    flow = request_in(Status.awaiting_shipment)
    ship_by = flow.request.deadlines.ship_by
    assert ship_by == datetime.fromisoformat("2026-03-04T23:59:59+00:00")
    flow.do(TimerFired(TimerKind.ship_by), after=ship_by - flow.now)
    assert_entry(flow, "overdue", None, ship_by="2026-03-04T23:59:59Z")


# --- shipping (T10, T12) -----------------------------------------------------------------------


def test_platform_shipping_records_only_the_option_until_the_platform_answers() -> None:
    flow = request_in(Status.awaiting_shipment)
    flow.do(ArrangeShipment(SELLER), after=HOUR)
    assert_entry(flow, "shipment_arranged", SELLER, shipping_option="platform")
    flow.do(ShipmentCreated(CARRIER, TRACKING), after=HOUR)
    assert_entry(flow, "shipment_created", None, carrier=CARRIER, tracking_number=TRACKING)


def test_seller_shipping_records_carrier_and_tracking_number() -> None:
    flow = request_in(Status.awaiting_shipment, shipping_option=ShippingOption.seller)
    flow.do(ArrangeShipment(SELLER, SELLER_CARRIER, SELLER_TRACKING), after=HOUR)
    assert_entry(
        flow,
        "shipment_arranged",
        SELLER,
        shipping_option="seller",
        carrier=SELLER_CARRIER,
        tracking_number=SELLER_TRACKING,
    )


def test_a_carrier_event_records_status_moment_and_description() -> None:
    flow = request_in(Status.shipped)
    occurred = flow.now - HOUR
    flow.do(logistics(LogisticsStatus.in_transit, occurred, flow, description="Bangkok hub"))
    assert_entry(
        flow,
        "logistics_updated",
        None,
        status="in_transit",
        occurred_at=occurred.isoformat().replace("+00:00", "Z"),
        description="Bangkok hub",
    )
    assert flow.request.timeline[-1].detail["occurred_at"].endswith("Z")


# --- cancellation (T13) -------------------------------------------------------------------------


def test_a_cancellation_by_the_buyer_says_so() -> None:
    flow = created()
    flow.do(CancelRequest(BUYER), after=HOUR)
    assert_entry(flow, "cancelled", BUYER, by="buyer")


def test_a_cancellation_by_the_platform_says_so() -> None:
    flow = created()
    flow.do(PlatformCancel(cancelled_at=T0 + HOUR), after=HOUR)
    assert_entry(flow, "cancelled", None, by="platform")


# --- the platform's answers and failed deliveries ------------------------------------------------


def test_the_replacement_order_id_is_recorded() -> None:
    flow = request_in(Status.awaiting_shipment, replacement_order=False)
    flow.do(ReplacementOrderCreated(REPLACEMENT_ORDER_ID), after=HOUR)
    assert flow.request.replacement_order_id == REPLACEMENT_ORDER_ID
    assert_entry(flow, "replacement_order_created", None, replacement_order_id=REPLACEMENT_ORDER_ID)


def test_the_refund_id_is_recorded() -> None:
    flow = request_in(Status.refunded)
    flow.do(RefundIssued("RF-7"), after=HOUR)
    assert flow.request.refund is not None and flow.request.refund.refund_id == "RF-7"
    assert_entry(flow, "refund_issued", None, refund_id="RF-7")


def test_a_failed_delivery_records_the_effect_and_the_error() -> None:
    flow = created()
    flow.do(DeliveryFailed("SendCard", "400 card too long"), after=HOUR)
    assert_entry(flow, "delivery_failed", None, effect="SendCard", error="400 card too long")


@pytest.mark.parametrize("status", [Status.awaiting_seller, Status.rejected])
def test_every_change_moves_updated_at_to_its_moment(status: Status) -> None:
    flow = request_in(status)
    flow.do(DeliveryFailed("SendCard", "400"), after=HOUR)
    assert flow.request.updated_at == flow.now


@pytest.mark.parametrize("typed", ["10", "40%"])
def test_an_offer_made_on_the_card_names_the_seller(typed: str) -> None:
    flow = created()
    version = card_version(flow, REQUEST_CARD)
    click = CardAction(SELLER, REQUEST_CARD, version, "offer_partial_refund", {"amount": typed})
    flow.do(click, after=HOUR)
    entry = last_entry(flow)
    assert (entry.type, entry.actor, entry.detail["amount"]) == ("offer_made", SELLER, "10.00")
