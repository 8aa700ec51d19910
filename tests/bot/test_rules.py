"""The rules core, row by row (SPEC §1, T1-T14): `decide(request, command, now, policy)`.

Every expected value here is written from SPEC, not computed the way the code does it:
amounts, deadlines, card ids and versions are literals.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.availability import card_actions
from bot.core.commands import (
    AcceptOffer,
    Approve,
    ArrangeShipment,
    CancelRequest,
    CardAction,
    Command,
    DeclineOffer,
    DeliveryFailed,
    Help,
    OfferPartialRefund,
    PlatformCancel,
    RefundIssued,
    RefundOnly,
    Reject,
    ReplacementOrderCreated,
    RequestedItem,
    ShipmentCreated,
    ShowStatus,
    TimerFired,
    TimerKind,
    Track,
)
from bot.core.effects import (
    CreateReplacementOrder,
    CreateShipment,
    IssueRefund,
    Money,
    Notify,
    ParamValue,
    SendCard,
    UpdateCard,
)
from bot.core.models import (
    Actor,
    Audience,
    CardKind,
    CardState,
    CardStatus,
    Deadlines,
    DecidedBy,
    LogisticsStatus,
    OfferStatus,
    OrderLine,
    Reason,
    Refund,
    RefundKind,
    RejectCode,
    Rejection,
    Resolution,
    Role,
    ShippingOption,
    Status,
    TrackingEvent,
)
from bot.core.outcome import NOTHING
from bot.core.policy import Policy, Proposal
from bot.core.rules import decide
from bot.core.schedule import timers_for

from .builders import (
    AFFECTED_USD,
    AGENT,
    BUYER,
    BUYER_AS_SELLER,
    CARRIER,
    HOUR,
    MINUTE,
    OFFER_CARD,
    OTHER_BUYER,
    OTHER_SELLER,
    OUTCOME_CARD,
    POLICY,
    REPLACEMENT_ORDER_ID,
    REQUEST_CARD,
    SELLER,
    SELLER_AS_BUYER,
    SELLER_CARRIER,
    SELLER_TRACKING,
    SHIPMENT_CARD,
    T0,
    TRACKING,
    Flow,
    assert_refused,
    card_version,
    create_command,
    created,
    logistics,
    request_in,
    same_effects,
    unchanged_fields,
)

SECOND = timedelta(seconds=1)


def card(flow: Flow, card_id: str) -> CardState:
    found = flow.request.card(card_id)
    assert found is not None, f"no card {card_id}"
    return found


def last_entry_type(flow: Flow) -> str:
    return flow.request.timeline[-1].type


# ======================================================================================
# T1 — reshipment.requested
# ======================================================================================


class TestT1Create:
    def test_creates_awaiting_seller_with_deadline_card_and_buyer_text(self) -> None:
        outcome = decide(None, create_command(), T0, POLICY)

        request = outcome.request
        assert outcome.refusal is None and request is not None
        assert request.status is Status.awaiting_seller
        assert request.resolution is None and request.decided_by is None
        assert request.affected_value == Decimal("25.00")
        assert request.currency == "USD"
        assert [(i.line_id, i.name, i.quantity, i.unit_price) for i in request.items] == [
            ("L1", "Mug", 2, Decimal("10.00")),
            ("L2", "Plate", 2, Decimal("2.50")),
        ]
        assert request.deadlines == Deadlines(seller_due_at=datetime(2026, 3, 4, 9, tzinfo=UTC))
        assert request.seller_reminder_at == datetime(2026, 3, 3, 21, tzinfo=UTC)
        assert request.offer is None and request.offers_made == 0
        assert request.refund is None and request.rejection is None and request.shipment is None
        assert request.cards == (
            CardState(
                card_id="R1.request.seller",
                kind=CardKind.request,
                audience=Audience.seller,
                version=1,
                status=CardStatus.open,
            ),
        )
        assert card_actions(request, request.cards[0], POLICY) == (
            "approve",
            "reject",
            "offer_partial_refund",
            "refund_only",
        )
        assert same_effects(
            outcome.effects,
            SendCard("R1.request.seller"),
            Notify(
                Audience.buyer,
                "request_received",
                {"request_id": "R1", "seller_due_at": datetime(2026, 3, 4, 9, tzinfo=UTC)},
            ),
        )
        assert request.version == 1
        assert [(e.type, e.actor) for e in request.timeline] == [("requested", BUYER)]
        assert timers_for(request) == {
            TimerKind.seller_deadline: datetime(2026, 3, 4, 9, tzinfo=UTC),
            TimerKind.seller_reminder: datetime(2026, 3, 3, 21, tzinfo=UTC),
        }

    def test_seller_window_counts_from_requested_at_not_from_arrival(self) -> None:
        flow = created(now=T0 + 2 * HOUR)
        assert flow.request.deadlines.seller_due_at == T0 + 48 * HOUR

    def test_no_reminder_when_its_moment_already_passed_at_creation(self) -> None:
        flow = created(now=T0 + 37 * HOUR)
        assert flow.request.seller_reminder_at is None
        assert timers_for(flow.request) == {TimerKind.seller_deadline: T0 + 48 * HOUR}

    def test_configured_windows_are_used(self) -> None:
        policy = Policy(
            seller_response_window=timedelta(hours=24), seller_reminder_before=timedelta(hours=2)
        )
        flow = created(policy=policy)
        assert flow.request.deadlines.seller_due_at == T0 + 24 * HOUR
        assert flow.request.seller_reminder_at == T0 + 22 * HOUR

    def test_zero_reminder_means_no_reminder(self) -> None:
        flow = created(policy=Policy(seller_reminder_before=timedelta(0)))
        assert TimerKind.seller_reminder not in timers_for(flow.request)

    def test_jpy_affected_value_has_no_minor_digits(self) -> None:
        flow = created(create_command(currency="JPY"))
        assert flow.request.affected_value == Decimal("2500")
        assert flow.request.currency == "JPY"

    def test_requested_at_a_little_ahead_of_our_clock_is_tolerated(self) -> None:
        outcome = decide(None, create_command(requested_at=T0 + 2 * MINUTE), T0, POLICY)
        assert outcome.request is not None

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            pytest.param({"items": (RequestedItem("L9", 1),)}, "items[0].line_id", id="not-a-line"),
            pytest.param({"items": (RequestedItem("L1", 0),)}, "items[0].quantity", id="qty-0"),
            pytest.param({"items": (RequestedItem("L1", -1),)}, "items[0].quantity", id="qty-neg"),
            pytest.param(
                {"items": (RequestedItem("L1", 1), RequestedItem("L2", 5))},
                "items[1].quantity",
                id="qty-above-ordered",
            ),
            pytest.param(
                {"items": (RequestedItem("L1", 1), RequestedItem("L1", 1))},
                "items[1].line_id",
                id="duplicate-item",
            ),
            pytest.param({"items": ()}, "items", id="no-items"),
            pytest.param({"currency": "ABC"}, "order.currency", id="unknown-currency"),
            pytest.param({"timezone": "Mars/Olympus_Mons"}, "seller.timezone", id="bad-timezone"),
            pytest.param({"requested_at": T0 + HOUR}, "requested_at", id="in-the-future"),
        ],
    )
    def test_invalid_payload_is_refused_naming_the_field(
        self, payload: dict[str, object], field: str
    ) -> None:
        outcome = decide(None, create_command(**payload), T0, POLICY)  # type: ignore[arg-type]
        assert outcome.request is None
        assert outcome.effects == ()
        assert outcome.refusal is not None
        assert outcome.refusal.code == "invalid_request"
        assert outcome.refusal.params["field"] == field
        assert outcome.refusal.params["problem"]

    @pytest.mark.parametrize(
        ("currency", "price", "field"),
        [
            ("USD", "12.505", "order.lines[0].unit_price"),
            ("JPY", "10.5", "order.lines[0].unit_price"),
        ],
    )
    def test_unit_price_with_too_many_digits(self, currency: str, price: str, field: str) -> None:
        line = OrderLine(line_id="L1", sku="S", name="Mug", quantity=2, unit_price=Decimal(price))
        command = create_command(currency=currency, lines=(line,), items=(RequestedItem("L1", 1),))
        outcome = decide(None, command, T0, POLICY)
        assert outcome.request is None
        assert outcome.refusal is not None and outcome.refusal.code == "invalid_request"
        assert outcome.refusal.params["field"] == field

    def test_duplicate_order_lines(self) -> None:
        line = OrderLine(line_id="L1", sku="S", name="Mug", quantity=2, unit_price=Decimal("1"))
        command = create_command(lines=(line, line), items=(RequestedItem("L1", 1),))
        outcome = decide(None, command, T0, POLICY)
        assert outcome.refusal is not None and outcome.refusal.code == "invalid_request"
        assert outcome.refusal.params["field"] == "order.lines[1].line_id"

    def test_regression_naive_requested_at_is_refused_not_raised(self) -> None:
        command = create_command(requested_at=datetime(2026, 3, 2, 9))
        outcome = decide(None, command, T0, POLICY)
        assert outcome.refusal is not None and outcome.refusal.code == "invalid_request"
        assert outcome.refusal.params["field"] == "requested_at"

    def test_regression_absurd_unit_price_is_refused_not_raised(self) -> None:
        line = OrderLine(line_id="L1", sku="S", name="Mug", quantity=2, unit_price=Decimal("1e40"))
        command = create_command(lines=(line,), items=(RequestedItem("L1", 1),))
        outcome = decide(None, command, T0, POLICY)
        assert outcome.refusal is not None and outcome.refusal.code == "invalid_request"
        assert outcome.refusal.params["field"] == "order.lines[0].unit_price"

    def test_regression_affected_value_beyond_decimal_precision_is_refused(self) -> None:
        line = OrderLine(
            line_id="L1", sku="S", name="Gold", quantity=20, unit_price=Decimal("1e25")
        )
        command = create_command(lines=(line,), items=(RequestedItem("L1", 20),))
        outcome = decide(None, command, T0, POLICY)
        assert outcome.refusal is not None and outcome.refusal.code == "invalid_request"
        assert outcome.refusal.params["field"] == "items"

    def test_second_event_for_a_known_request_creates_nothing(self) -> None:
        flow = created()
        outcome = flow.decide(create_command(), after=HOUR)
        assert outcome.request is None
        assert outcome.effects == ()
        assert outcome.refusal is not None and outcome.refusal.code == "request_exists"


# ======================================================================================
# T2 / T9 — approve, by the seller or by the platform when the seller's window ends
# ======================================================================================


class TestT2Approve:
    def test_seller_approves(self) -> None:
        flow = created()
        outcome = flow.do(Approve(SELLER), after=HOUR)  # Monday 10:00 UTC

        request = flow.request
        ship_by = datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC)  # 2nd working day: Wednesday
        assert request.status is Status.awaiting_shipment
        assert request.resolution is Resolution.reship
        assert request.decided_by is DecidedBy.seller
        assert request.deadlines == Deadlines(ship_by=ship_by)
        assert request.seller_reminder_at is None
        assert timers_for(request) == {TimerKind.ship_by: ship_by}
        assert same_effects(
            outcome.effects,
            CreateReplacementOrder(
                lines=(("L1", 2), ("L2", 2)),
                shipping_option=ShippingOption.platform,
                ship_by=ship_by,
            ),
            UpdateCard(REQUEST_CARD),
            Notify(Audience.buyer, "approved_buyer", {"request_id": "R1", "ship_by": ship_by}),
            Notify(
                Audience.seller,
                "approved_seller",
                {"request_id": "R1", "ship_by": ship_by, "shipping_option": "platform"},
            ),
        )
        assert card(flow, REQUEST_CARD).version == 2
        assert card(flow, REQUEST_CARD).status is CardStatus.open
        assert card_actions(request, card(flow, REQUEST_CARD), POLICY) == ("arrange_shipment",)
        assert request.version == 2
        assert (request.timeline[-1].type, request.timeline[-1].actor) == ("approved", SELLER)

    def test_seller_shipping_is_kept_on_the_replacement_order(self) -> None:
        flow = created(create_command(shipping_option=ShippingOption.seller))
        outcome = flow.do(Approve(SELLER), after=HOUR)
        orders = [e for e in outcome.effects if isinstance(e, CreateReplacementOrder)]
        assert [o.shipping_option for o in orders] == [ShippingOption.seller]

    def test_ship_by_is_end_of_nth_working_day_in_the_sellers_zone_and_week(self) -> None:
        # Thursday 20:00 UTC is Friday 03:00 in Ho Chi Minh City (UTC+7); VN works
        # Monday-Saturday: 1st working day Saturday 7th, 2nd Monday 9th, 23:59:59 local.
        command = create_command(
            timezone="Asia/Ho_Chi_Minh",
            region="VN",
            requested_at=datetime(2026, 3, 5, 19, tzinfo=UTC),
        )
        flow = created(command)
        flow.do(Approve(SELLER), after=HOUR)
        assert flow.request.deadlines.ship_by == datetime(2026, 3, 9, 16, 59, 59, tzinfo=UTC)

    def test_ship_by_skips_the_weekend_for_us(self) -> None:
        flow = created(create_command(requested_at=datetime(2026, 3, 5, 14, tzinfo=UTC)))
        flow.do(Approve(SELLER), after=HOUR)  # Thursday 15:00
        # Friday 6th is the 1st working day, Monday 9th the 2nd.
        assert flow.request.deadlines.ship_by == datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC)

    def test_approve_via_the_request_card(self) -> None:
        flow = created()
        flow.do(CardAction(SELLER, REQUEST_CARD, 1, "approve"), after=HOUR)
        assert flow.request.status is Status.awaiting_shipment
        assert flow.request.decided_by is DecidedBy.seller


class TestT9AutoApprove:
    def test_seller_deadline_approves_on_behalf_of_the_platform(self) -> None:
        flow = created()
        outcome = flow.do(TimerFired(TimerKind.seller_deadline), after=48 * HOUR)  # Wednesday

        request = flow.request
        ship_by = datetime(2026, 3, 6, 23, 59, 59, tzinfo=UTC)  # Friday
        assert request.status is Status.awaiting_shipment
        assert request.resolution is Resolution.reship
        assert request.decided_by is DecidedBy.platform
        assert request.deadlines == Deadlines(ship_by=ship_by)
        assert same_effects(
            outcome.effects,
            CreateReplacementOrder(
                lines=(("L1", 2), ("L2", 2)),
                shipping_option=ShippingOption.platform,
                ship_by=ship_by,
            ),
            UpdateCard(REQUEST_CARD),
            Notify(Audience.buyer, "auto_approved_buyer", {"request_id": "R1", "ship_by": ship_by}),
            Notify(
                Audience.seller,
                "auto_approved_seller",
                {"request_id": "R1", "ship_by": ship_by, "shipping_option": "platform"},
            ),
        )
        assert (request.timeline[-1].type, request.timeline[-1].actor) == ("auto_approved", None)
        assert request.version == 2

    def test_deadline_fired_early_does_nothing(self) -> None:
        flow = created()
        assert flow.decide(TimerFired(TimerKind.seller_deadline), after=48 * HOUR - SECOND) == (
            NOTHING
        )

    def test_deadline_fires_once(self) -> None:
        flow = created()
        flow.do(TimerFired(TimerKind.seller_deadline), after=48 * HOUR)
        assert flow.decide(TimerFired(TimerKind.seller_deadline), after=SECOND) == NOTHING


# ======================================================================================
# T3 — reject
# ======================================================================================


class TestT3Reject:
    def test_reject_with_code_and_comment(self) -> None:
        flow = created()
        outcome = flow.do(
            Reject(SELLER, "item_received_complete", "  The parcel weighed 2.1 kg as shipped. "),
            after=HOUR,
        )

        request = flow.request
        assert request.status is Status.rejected
        assert request.resolution is Resolution.rejected
        assert request.decided_by is DecidedBy.seller
        assert request.rejection == Rejection(
            reason_code=RejectCode.item_received_complete,
            comment="The parcel weighed 2.1 kg as shipped.",
        )
        assert request.deadlines == Deadlines()
        assert timers_for(request) == {}
        assert card(flow, REQUEST_CARD).status is CardStatus.closed
        assert card(flow, REQUEST_CARD).version == 2
        assert card(flow, OUTCOME_CARD) == CardState(
            card_id=OUTCOME_CARD,
            kind=CardKind.outcome,
            audience=Audience.buyer,
            version=1,
            status=CardStatus.closed,
        )
        # The buyer learns the reason and the comment from the outcome card.
        assert same_effects(
            outcome.effects,
            UpdateCard(REQUEST_CARD),
            SendCard(OUTCOME_CARD),
            Notify(Audience.seller, "rejected_seller", {"request_id": "R1"}),
        )
        entry = request.timeline[-1]
        assert (entry.type, entry.actor) == ("rejected", SELLER)
        assert entry.detail["reason_code"] == "item_received_complete"

    @pytest.mark.parametrize("code", [c.value for c in RejectCode])
    def test_every_reject_code_of_the_spec_is_accepted(self, code: str) -> None:
        flow = created()
        flow.do(Reject(SELLER, code, "Explained at length."), after=HOUR)
        assert flow.request.rejection is not None
        assert flow.request.rejection.reason_code.value == code

    def test_unknown_reason_code_is_refused(self) -> None:
        flow = created()
        before = flow.request
        outcome = flow.attempt(Reject(SELLER, "too_expensive", "Explained at length."), after=HOUR)
        assert_refused(before, outcome, "unknown_reject_code", SELLER)
        assert outcome.refusal is not None
        assert outcome.refusal.params["code"] == "too_expensive"
        assert "evidence_insufficient" in outcome.refusal.message

    @pytest.mark.parametrize("comment", ["", "Too short", "  123456789  "])
    def test_comment_shorter_than_ten_characters_is_refused(self, comment: str) -> None:
        flow = created()
        before = flow.request
        outcome = flow.attempt(Reject(SELLER, "other", comment), after=HOUR)
        assert_refused(before, outcome, "comment_too_short", SELLER)
        assert outcome.refusal is not None
        assert outcome.refusal.params["min_length"] == 10

    def test_comment_of_exactly_ten_characters_is_enough(self) -> None:
        flow = created()
        flow.do(Reject(SELLER, "other", "1234567890"), after=HOUR)
        assert flow.request.status is Status.rejected

    def test_reject_via_the_card_form(self) -> None:
        flow = created()
        form = {"reason_code": "duplicate_request", "comment": "Same as request R0 last week."}
        flow.do(CardAction(SELLER, REQUEST_CARD, 1, "reject", form), after=HOUR)
        assert flow.request.rejection is not None
        assert flow.request.rejection.reason_code is RejectCode.duplicate_request


# ======================================================================================
# T4 / T5b — refund only, approved at once by the platform
# ======================================================================================


class TestT4RefundOnly:
    def test_refund_only_refunds_the_affected_value_in_full(self) -> None:
        flow = created()
        outcome = flow.do(RefundOnly(SELLER), after=HOUR)
        assert_full_refund(flow, outcome.effects, Decimal("25.00"), "USD")
        assert (flow.request.timeline[-1].type, flow.request.timeline[-1].actor) == (
            "refunded_in_full",
            SELLER,
        )

    def test_refund_only_in_jpy(self) -> None:
        flow = created(create_command(currency="JPY"))
        outcome = flow.do(RefundOnly(SELLER), after=HOUR)
        assert_full_refund(flow, outcome.effects, Decimal("2500"), "JPY")

    @pytest.mark.parametrize("amount", ["25.00", "25", "25.0"])
    def test_t5b_offer_of_the_whole_affected_value_is_a_refund_in_full(self, amount: str) -> None:
        flow = created()
        outcome = flow.do(OfferPartialRefund(SELLER, amount=amount), after=HOUR)
        assert_full_refund(flow, outcome.effects, Decimal("25.00"), "USD")
        assert flow.request.offers_made == 0 and flow.request.offer is None

    def test_t5b_hundred_percent_is_a_refund_in_full(self) -> None:
        flow = created()
        outcome = flow.do(OfferPartialRefund(SELLER, percent=Decimal(100)), after=HOUR)
        assert_full_refund(flow, outcome.effects, Decimal("25.00"), "USD")

    def test_refund_only_via_the_card(self) -> None:
        flow = created()
        outcome = flow.do(CardAction(SELLER, REQUEST_CARD, 1, "refund_only"), after=HOUR)
        assert_full_refund(flow, outcome.effects, Decimal("25.00"), "USD")

    def test_per_reason_policy_can_forbid_refund_only(self) -> None:
        policy = Policy(
            proposals={
                Reason.missing_items: frozenset({Proposal.partial_refund}),
                Reason.broken_or_unusable: frozenset(Proposal),
            }
        )
        flow = created(policy=policy)
        before = flow.request
        outcome = flow.attempt(RefundOnly(SELLER), after=HOUR)
        assert_refused(before, outcome, "proposal_not_allowed", SELLER)
        assert "refund_only" not in card_actions(flow.request, card(flow, REQUEST_CARD), policy)
        # the same policy lets a broken item be refunded
        other = created(create_command(reason=Reason.broken_or_unusable), policy=policy)
        other.do(RefundOnly(SELLER), after=HOUR)
        assert other.request.status is Status.refunded


def assert_full_refund(
    flow: Flow, effects: tuple[object, ...], amount: Decimal, currency: str
) -> None:
    request = flow.request
    assert request.status is Status.refunded
    assert request.resolution is Resolution.refund_full
    assert request.decided_by is DecidedBy.platform
    assert request.refund == Refund(amount=amount, currency=currency, kind=RefundKind.full)
    assert request.deadlines == Deadlines()
    assert timers_for(request) == {}
    assert card(flow, REQUEST_CARD).status is CardStatus.closed
    assert card(flow, OUTCOME_CARD).status is CardStatus.closed
    assert same_effects(
        effects,  # type: ignore[arg-type]
        IssueRefund(amount, currency, RefundKind.full),
        UpdateCard(REQUEST_CARD),
        SendCard(OUTCOME_CARD),
        Notify(
            Audience.seller,
            "refunded_seller",
            {"request_id": "R1", "amount": Money(amount, currency)},
        ),
    )


# ======================================================================================
# T5 — partial refund offer
# ======================================================================================


class TestT5Offer:
    def test_offer_pauses_the_seller_and_sends_the_negotiation_card(self) -> None:
        flow = created()
        outcome = flow.do(OfferPartialRefund(SELLER, amount="10.00"), after=2 * HOUR)

        request = flow.request
        offered_at = T0 + 2 * HOUR
        expires = T0 + 26 * HOUR
        assert request.status is Status.offer_pending
        assert request.resolution is None and request.decided_by is None
        assert request.offer is not None
        assert request.offer.amount == Decimal("10.00")
        assert request.offer.currency == "USD"
        assert request.offer.status is OfferStatus.pending
        assert request.offer.offered_at == offered_at
        assert request.offer.expires_at == expires
        assert request.offer.seller_remaining == timedelta(hours=46)
        assert request.offers_made == 1
        assert request.deadlines == Deadlines(offer_expires_at=expires)
        assert timers_for(request) == {TimerKind.offer_expiry: expires}
        assert card(flow, OFFER_CARD) == CardState(
            card_id=OFFER_CARD,
            kind=CardKind.offer,
            audience=Audience.buyer,
            version=1,
            status=CardStatus.open,
        )
        assert card_actions(request, card(flow, OFFER_CARD), POLICY) == (
            "accept_offer",
            "decline_offer",
            "cancel_request",
        )
        assert card(flow, REQUEST_CARD).version == 2
        assert card_actions(request, card(flow, REQUEST_CARD), POLICY) == ()
        assert same_effects(
            outcome.effects,
            SendCard(OFFER_CARD),
            UpdateCard(REQUEST_CARD),
            Notify(
                Audience.seller,
                "offer_sent_seller",
                {
                    "request_id": "R1",
                    "amount": Money(Decimal("10.00"), "USD"),
                    "offer_expires_at": expires,
                },
            ),
        )
        assert (request.timeline[-1].type, request.timeline[-1].actor) == ("offer_made", SELLER)
        assert request.version == 2

    @pytest.mark.parametrize(
        ("amount", "code"),
        [
            ("0", "amount_not_positive"),
            ("0.00", "amount_not_positive"),
            ("-5", "amount_not_positive"),
            ("25.01", "amount_above_affected_value"),
            ("1000", "amount_above_affected_value"),
            ("12.345", "amount_too_precise"),
            ("ten dollars", "invalid_amount"),
            ("12,50", "invalid_amount"),
            ("", "invalid_amount"),
            ("NaN", "invalid_amount"),
            ("Infinity", "invalid_amount"),
        ],
    )
    def test_bad_amounts_are_refused(self, amount: str, code: str) -> None:
        flow = created()
        before = flow.request
        outcome = flow.attempt(OfferPartialRefund(SELLER, amount=amount), after=HOUR)
        assert_refused(before, outcome, code, SELLER)

    def test_amount_above_affected_value_names_both_amounts(self) -> None:
        flow = created()
        outcome = flow.attempt(OfferPartialRefund(SELLER, amount="30"), after=HOUR)
        assert outcome.refusal is not None
        assert outcome.refusal.params["amount"] == Money(Decimal("30.00"), "USD")
        assert outcome.refusal.params["affected_value"] == Money(Decimal("25.00"), "USD")
        assert "30.00 USD" in outcome.refusal.message
        assert "25.00 USD" in outcome.refusal.message

    @pytest.mark.parametrize("amount", ["9" * 40, "-" + "9" * 40, "1" + "0" * 30 + ".5"])
    def test_regression_absurdly_large_amounts_are_refused_not_raised(self, amount: str) -> None:
        flow = created()
        before = flow.request
        outcome = flow.attempt(OfferPartialRefund(SELLER, amount=amount), after=HOUR)
        code = "amount_not_positive" if amount.startswith("-") else "amount_above_affected_value"
        assert_refused(before, outcome, code, SELLER)

    def test_too_precise_message_names_the_currency_digits(self) -> None:
        flow = created()
        outcome = flow.attempt(OfferPartialRefund(SELLER, amount="12.345"), after=HOUR)
        assert outcome.refusal is not None
        assert outcome.refusal.params == {"currency": "USD", "digits": 2}

    def test_jpy_amount_with_decimals_is_too_precise(self) -> None:
        flow = created(create_command(currency="JPY"))
        before = flow.request
        outcome = flow.attempt(OfferPartialRefund(SELLER, amount="10.5"), after=HOUR)
        assert_refused(before, outcome, "amount_too_precise", SELLER)
        assert outcome.refusal is not None
        assert outcome.refusal.params == {"currency": "JPY", "digits": 0}

    @pytest.mark.parametrize("amount", ["12.30", "12.3", "12"])
    def test_amounts_within_the_minor_unit_are_accepted(self, amount: str) -> None:
        flow = created()
        flow.do(OfferPartialRefund(SELLER, amount=amount), after=HOUR)
        assert flow.request.offer is not None
        assert flow.request.offer.amount == Decimal(amount)

    @pytest.mark.parametrize(
        ("currency", "items", "percent", "expected"),
        [
            ("USD", None, "33", Decimal("8.25")),  # 33 % of 25.00 = 8.25
            ("USD", None, "33.3", Decimal("8.33")),  # 8.325 → 8.33 half-up (not 8.32)
            ("USD", None, "0.02", Decimal("0.01")),  # 0.005 → 0.01
            ("JPY", None, "33", Decimal("825")),
            # 1 x 1000 + 1 x 250 = 1250 JPY; 1 % = 12.5 → 13 half-up (half-even gives 12)
            ("JPY", (RequestedItem("L1", 1), RequestedItem("L2", 1)), "1", Decimal("13")),
        ],
    )
    def test_percent_offer_rounds_half_up_to_the_minor_unit(
        self,
        currency: str,
        items: tuple[RequestedItem, ...] | None,
        percent: str,
        expected: Decimal,
    ) -> None:
        command = create_command(currency=currency)
        if items is not None:
            command = create_command(currency=currency, items=items)
        flow = created(command)
        flow.do(OfferPartialRefund(SELLER, percent=Decimal(percent)), after=HOUR)
        assert flow.request.offer is not None
        assert flow.request.offer.amount == expected

    @pytest.mark.parametrize("percent", ["0", "-5", "100.01", "250", "NaN", "sNaN", "Infinity"])
    def test_percent_outside_0_to_100_is_refused(self, percent: str) -> None:
        flow = created()
        before = flow.request
        outcome = flow.attempt(OfferPartialRefund(SELLER, percent=Decimal(percent)), after=HOUR)
        assert_refused(before, outcome, "invalid_percent", SELLER)

    def test_percent_that_rounds_to_zero_is_not_positive(self) -> None:
        flow = created()
        before = flow.request
        outcome = flow.attempt(OfferPartialRefund(SELLER, percent=Decimal("0.01")), after=HOUR)
        assert_refused(before, outcome, "amount_not_positive", SELLER)

    @pytest.mark.parametrize(("form", "expected"), [("40%", "10.00"), ("7.5", "7.50")])
    def test_offer_via_the_card_form(self, form: str, expected: str) -> None:
        flow = created()
        click = CardAction(SELLER, REQUEST_CARD, 1, "offer_partial_refund", {"amount": form})
        flow.do(click, after=HOUR)
        assert flow.request.offer is not None
        assert flow.request.offer.amount == Decimal(expected)

    def test_regression_nan_percent_on_the_card_form_is_refused(self) -> None:
        flow = created()
        before = flow.request
        click = CardAction(SELLER, REQUEST_CARD, 1, "offer_partial_refund", {"amount": "nan%"})
        assert_refused(before, flow.attempt(click, after=HOUR), "invalid_amount", SELLER)

    def test_one_offer_by_default_then_only_approve_or_reject(self) -> None:
        flow = request_in(Status.awaiting_seller, via_offer=True)
        assert flow.request.offers_made == 1
        assert card_actions(flow.request, card(flow, REQUEST_CARD), POLICY) == ("approve", "reject")
        for command in (
            OfferPartialRefund(SELLER, amount="5.00"),
            OfferPartialRefund(SELLER, amount="25.00"),  # T5b is a refund only: closed too
            RefundOnly(SELLER),
        ):
            before = flow.request
            assert_refused(before, flow.attempt(command, after=MINUTE), "proposals_closed", SELLER)
        assert flow.decide(Approve(SELLER), after=MINUTE).request is not None
        rejected = flow.decide(Reject(SELLER, "other", "We cannot reship this."), after=MINUTE)
        assert rejected.request is not None and rejected.request.status is Status.rejected

    def test_with_two_offers_allowed_a_second_offer_reopens_the_offer_card(self) -> None:
        policy = Policy(max_partial_offers=2)
        flow = request_in(Status.awaiting_seller, via_offer=True, policy=policy)
        assert "offer_partial_refund" in card_actions(
            flow.request, card(flow, REQUEST_CARD), policy
        )
        outcome = flow.do(OfferPartialRefund(SELLER, amount="15.00"), after=HOUR)
        assert flow.request.status is Status.offer_pending
        assert flow.request.offers_made == 2
        assert flow.request.offer is not None
        assert flow.request.offer.amount == Decimal("15.00")
        assert flow.request.offer.status is OfferStatus.pending
        # sent (1), declined (2), open again (3): same card id
        assert card(flow, OFFER_CARD).version == 3
        assert card(flow, OFFER_CARD).status is CardStatus.open
        assert UpdateCard(OFFER_CARD) in outcome.effects
        assert SendCard(OFFER_CARD) not in outcome.effects
        # after the second decline no third offer
        flow.do(DeclineOffer(BUYER), after=HOUR)
        before = flow.request
        outcome = flow.attempt(OfferPartialRefund(SELLER, amount="1.00"), after=MINUTE)
        assert_refused(before, outcome, "proposals_closed", SELLER)

    def test_no_offer_at_all_when_the_limit_is_zero(self) -> None:
        policy = Policy(max_partial_offers=0)
        flow = created(policy=policy)
        assert "offer_partial_refund" not in card_actions(
            flow.request, card(flow, REQUEST_CARD), policy
        )
        before = flow.request
        outcome = flow.attempt(OfferPartialRefund(SELLER, amount="5.00"), after=HOUR)
        assert_refused(before, outcome, "offer_limit_reached", SELLER)
        flow.do(RefundOnly(SELLER), after=MINUTE)  # refund only is still open
        assert flow.request.status is Status.refunded

    def test_per_reason_policy_can_forbid_the_partial_refund(self) -> None:
        policy = Policy(
            proposals={
                Reason.missing_items: frozenset(Proposal),
                Reason.broken_or_unusable: frozenset({Proposal.refund_only}),
            }
        )
        flow = created(create_command(reason=Reason.broken_or_unusable), policy=policy)
        assert card_actions(flow.request, card(flow, REQUEST_CARD), policy) == (
            "approve",
            "reject",
            "refund_only",
        )
        before = flow.request
        outcome = flow.attempt(OfferPartialRefund(SELLER, amount="5.00"), after=HOUR)
        assert_refused(before, outcome, "proposal_not_allowed", SELLER)
        assert outcome.refusal is not None
        assert outcome.refusal.params["reason"] == "broken_or_unusable"
        allowed = created(create_command(reason=Reason.missing_items), policy=policy)
        allowed.do(OfferPartialRefund(SELLER, amount="5.00"), after=HOUR)
        assert allowed.request.status is Status.offer_pending


# ======================================================================================
# T6 — the buyer accepts
# ======================================================================================


class TestT6Accept:
    def test_buyer_accepts_the_offer(self) -> None:
        flow = request_in(Status.offer_pending)  # offered 10.00 at T0 + 1 h
        outcome = flow.do(AcceptOffer(BUYER), after=3 * HOUR)

        request = flow.request
        assert request.status is Status.refunded
        assert request.resolution is Resolution.refund_partial
        assert request.decided_by is DecidedBy.buyer
        assert request.refund == Refund(
            amount=Decimal("10.00"), currency="USD", kind=RefundKind.partial
        )
        assert request.offer is not None
        assert request.offer.status is OfferStatus.accepted
        assert request.offer.decided_at == T0 + 4 * HOUR
        assert request.deadlines == Deadlines()
        assert timers_for(request) == {}
        assert card(flow, OFFER_CARD).status is CardStatus.accepted
        assert card(flow, OFFER_CARD).version == 2
        assert card(flow, REQUEST_CARD).status is CardStatus.closed
        assert card(flow, OUTCOME_CARD).status is CardStatus.closed
        assert same_effects(
            outcome.effects,
            IssueRefund(Decimal("10.00"), "USD", RefundKind.partial),
            UpdateCard(OFFER_CARD),
            UpdateCard(REQUEST_CARD),
            SendCard(OUTCOME_CARD),
            Notify(
                Audience.seller,
                "offer_accepted_seller",
                {"request_id": "R1", "amount": Money(Decimal("10.00"), "USD")},
            ),
        )
        assert (request.timeline[-1].type, request.timeline[-1].actor) == (
            "offer_accepted",
            BUYER,
        )

    def test_accept_via_the_offer_card(self) -> None:
        flow = request_in(Status.offer_pending)
        flow.do(CardAction(BUYER, OFFER_CARD, 1, "accept_offer"), after=HOUR)
        assert flow.request.resolution is Resolution.refund_partial

    @pytest.mark.parametrize("late", [timedelta(0), SECOND, HOUR])
    def test_accept_at_or_after_expiry_is_refused(self, late: timedelta) -> None:
        flow = request_in(Status.offer_pending)  # expires at T0 + 25 h
        before = flow.request
        outcome = flow.attempt(AcceptOffer(BUYER), after=24 * HOUR + late)
        assert_refused(before, outcome, "offer_expired", BUYER)
        assert outcome.refusal is not None
        assert outcome.refusal.params["offer_expires_at"] == T0 + 25 * HOUR
        # the expiry timer still takes it back to the seller (T8)
        flow.do(TimerFired(TimerKind.offer_expiry))
        assert flow.request.status is Status.awaiting_seller

    def test_accept_one_second_before_expiry_works(self) -> None:
        flow = request_in(Status.offer_pending)
        flow.do(AcceptOffer(BUYER), after=24 * HOUR - SECOND)
        assert flow.request.status is Status.refunded


# ======================================================================================
# T7 / T8 — the offer is declined or lapses: the seller's paused clock resumes
# ======================================================================================


class TestT7T8PausedClock:
    def _offer_with_ten_hours_left(self) -> Flow:
        flow = created()
        flow.do(OfferPartialRefund(SELLER, amount="10.00"), after=38 * HOUR)
        assert flow.request.offer is not None
        assert flow.request.offer.seller_remaining == timedelta(hours=10)
        assert flow.request.deadlines.seller_due_at is None
        assert TimerKind.seller_deadline not in timers_for(flow.request)
        return flow

    def test_decline_gives_back_the_remaining_ten_hours(self) -> None:
        flow = self._offer_with_ten_hours_left()
        outcome = flow.do(DeclineOffer(BUYER), after=3 * HOUR)  # at T0 + 41 h

        request = flow.request
        due = T0 + 51 * HOUR
        assert request.status is Status.awaiting_seller
        assert request.resolution is None and request.decided_by is None
        assert request.deadlines == Deadlines(seller_due_at=due)
        assert request.offer is not None
        assert request.offer.status is OfferStatus.declined
        assert request.offer.decided_at == T0 + 41 * HOUR
        # 12 h before the new due time is already past: no reminder
        assert request.seller_reminder_at is None
        assert timers_for(request) == {TimerKind.seller_deadline: due}
        assert card(flow, OFFER_CARD).status is CardStatus.declined
        assert card(flow, OFFER_CARD).version == 2
        assert card(flow, REQUEST_CARD).version == 3
        assert card(flow, REQUEST_CARD).status is CardStatus.open
        assert same_effects(
            outcome.effects,
            UpdateCard(OFFER_CARD),
            UpdateCard(REQUEST_CARD),
            Notify(
                Audience.seller,
                "offer_declined_seller",
                {
                    "request_id": "R1",
                    "amount": Money(Decimal("10.00"), "USD"),
                    "seller_due_at": due,
                },
            ),
        )
        assert (request.timeline[-1].type, request.timeline[-1].actor) == (
            "offer_declined",
            BUYER,
        )
        # and the platform approves when the resumed window ends (T9)
        assert flow.decide(TimerFired(TimerKind.seller_deadline), after=10 * HOUR - SECOND) == (
            NOTHING
        )
        flow.do(TimerFired(TimerKind.seller_deadline), after=10 * HOUR)
        assert flow.request.decided_by is DecidedBy.platform

    def test_expiry_gives_back_the_remaining_ten_hours(self) -> None:
        flow = self._offer_with_ten_hours_left()  # expires at T0 + 62 h
        assert flow.decide(TimerFired(TimerKind.offer_expiry), after=24 * HOUR - SECOND) == (
            NOTHING
        )
        outcome = flow.do(TimerFired(TimerKind.offer_expiry), after=24 * HOUR)

        request = flow.request
        due = T0 + 72 * HOUR
        assert request.status is Status.awaiting_seller
        assert request.deadlines == Deadlines(seller_due_at=due)
        assert request.offer is not None
        assert request.offer.status is OfferStatus.expired
        assert timers_for(request) == {TimerKind.seller_deadline: due}
        assert card(flow, OFFER_CARD).status is CardStatus.expired
        assert same_effects(
            outcome.effects,
            UpdateCard(OFFER_CARD),
            UpdateCard(REQUEST_CARD),
            Notify(
                Audience.seller,
                "offer_expired_seller",
                {
                    "request_id": "R1",
                    "amount": Money(Decimal("10.00"), "USD"),
                    "seller_due_at": due,
                },
            ),
        )
        assert (request.timeline[-1].type, request.timeline[-1].actor) == ("offer_expired", None)

    def test_decline_via_the_card(self) -> None:
        flow = request_in(Status.offer_pending)
        flow.do(CardAction(BUYER, OFFER_CARD, 1, "decline_offer"), after=HOUR)
        assert flow.request.status is Status.awaiting_seller

    def test_seller_actions_after_the_resumed_deadline_are_refused(self) -> None:
        flow = self._offer_with_ten_hours_left()
        flow.do(DeclineOffer(BUYER), after=HOUR)  # due at T0 + 49 h
        flow.now = T0 + 49 * HOUR
        for command in (Approve(SELLER), Reject(SELLER, "other", "Long enough comment.")):
            before = flow.request
            outcome = flow.attempt(command)
            assert_refused(before, outcome, "seller_window_closed", SELLER)


class TestSellerWindowAndReminder:
    @pytest.mark.parametrize(
        "command",
        [
            Approve(SELLER),
            Reject(SELLER, "other", "Explained at length."),
            OfferPartialRefund(SELLER, amount="5.00"),
            RefundOnly(SELLER),
            CardAction(SELLER, REQUEST_CARD, 1, "approve"),
        ],
        ids=["approve", "reject", "offer", "refund", "card-approve"],
    )
    @pytest.mark.parametrize("late", [timedelta(0), HOUR])
    def test_seller_actions_after_seller_due_at_are_refused(
        self, command: Command, late: timedelta
    ) -> None:
        flow = created()
        before = flow.request
        outcome = flow.attempt(command, after=48 * HOUR + late)
        assert_refused(before, outcome, "seller_window_closed", SELLER)
        assert outcome.refusal is not None
        assert outcome.refusal.params["seller_due_at"] == T0 + 48 * HOUR

    def test_seller_can_still_act_one_second_before(self) -> None:
        flow = created()
        flow.do(Approve(SELLER), after=48 * HOUR - SECOND)
        assert flow.request.decided_by is DecidedBy.seller

    def test_reminder_twelve_hours_before_the_deadline_once(self) -> None:
        flow = created()
        assert flow.decide(TimerFired(TimerKind.seller_reminder), after=36 * HOUR - SECOND) == (
            NOTHING
        )
        outcome = flow.do(TimerFired(TimerKind.seller_reminder), after=36 * HOUR)
        assert outcome.effects == (
            Notify(
                Audience.seller,
                "reminder_seller",
                {"request_id": "R1", "seller_due_at": T0 + 48 * HOUR},
            ),
        )
        assert flow.request.seller_reminded is True
        assert flow.request.status is Status.awaiting_seller
        assert last_entry_type(flow) == "seller_reminded"
        assert timers_for(flow.request) == {TimerKind.seller_deadline: T0 + 48 * HOUR}
        assert flow.decide(TimerFired(TimerKind.seller_reminder), after=SECOND) == NOTHING

    def test_reminder_is_rescheduled_after_the_clock_resumes(self) -> None:
        flow = created()
        flow.do(OfferPartialRefund(SELLER, amount="10.00"), after=2 * HOUR)  # 46 h left
        assert TimerKind.seller_reminder not in timers_for(flow.request)
        flow.do(DeclineOffer(BUYER), after=HOUR)  # at T0 + 3 h: due T0 + 49 h
        assert flow.request.seller_reminder_at == T0 + 37 * HOUR
        assert timers_for(flow.request) == {
            TimerKind.seller_deadline: T0 + 49 * HOUR,
            TimerKind.seller_reminder: T0 + 37 * HOUR,
        }
        outcome = flow.do(TimerFired(TimerKind.seller_reminder), after=34 * HOUR)
        assert outcome.effects == (
            Notify(
                Audience.seller,
                "reminder_seller",
                {"request_id": "R1", "seller_due_at": T0 + 49 * HOUR},
            ),
        )

    def test_reminder_is_not_sent_twice_even_if_the_resumed_clock_leaves_room(self) -> None:
        flow = created()
        flow.do(TimerFired(TimerKind.seller_reminder), after=36 * HOUR)
        flow.do(OfferPartialRefund(SELLER, amount="10.00"), after=HOUR)  # 11 h left
        flow.policy = Policy(seller_reminder_before=HOUR)  # reconfigured meanwhile
        flow.do(DeclineOffer(BUYER), after=HOUR)  # due T0 + 49 h; T0 + 48 h is ahead
        assert flow.request.seller_reminder_at is None
        assert TimerKind.seller_reminder not in timers_for(flow.request)

    def test_late_reminder_after_the_deadline_is_skipped_without_a_message(self) -> None:
        flow = created()
        outcome = flow.do(TimerFired(TimerKind.seller_reminder), after=48 * HOUR + MINUTE)
        assert outcome.effects == ()
        assert flow.request.seller_reminded is True
        assert flow.request.status is Status.awaiting_seller
        assert last_entry_type(flow) == "seller_reminder_skipped"
        assert TimerKind.seller_reminder not in timers_for(flow.request)
        approved = flow.do(TimerFired(TimerKind.seller_deadline)).request
        assert approved is not None and approved.status is Status.awaiting_shipment


# ======================================================================================
# T10 — arrange shipment
# ======================================================================================


class TestT10Ship:
    def test_platform_shipping_then_the_platform_answers_with_tracking(self) -> None:
        flow = request_in(Status.awaiting_shipment)
        outcome = flow.do(ArrangeShipment(SELLER), after=HOUR)
        request = flow.request
        assert request.status is Status.shipped
        assert request.resolution is Resolution.reship
        assert request.shipment is not None
        assert request.shipment.shipping_option is ShippingOption.platform
        assert (request.shipment.carrier, request.shipment.tracking_number) == (None, None)
        assert request.shipment.arranged_at == flow.now
        assert request.deadlines == Deadlines()
        assert timers_for(request) == {}
        assert same_effects(
            outcome.effects,
            CreateShipment(ShippingOption.platform, None, None),
            UpdateCard(REQUEST_CARD),
            Notify(Audience.seller, "shipment_requested_seller", {"request_id": "R1"}),
        )
        assert request.card(SHIPMENT_CARD) is None
        assert (request.timeline[-1].type, request.timeline[-1].actor) == (
            "shipment_arranged",
            SELLER,
        )

        outcome = flow.do(ShipmentCreated(CARRIER, TRACKING), after=MINUTE)
        shipment = flow.request.shipment
        assert shipment is not None
        assert (shipment.carrier, shipment.tracking_number) == (CARRIER, TRACKING)
        assert flow.request.status is Status.shipped
        assert card(flow, SHIPMENT_CARD).version == 1
        assert card(flow, SHIPMENT_CARD).audience is Audience.buyer
        tracking: dict[str, ParamValue] = {
            "request_id": "R1",
            "carrier": CARRIER,
            "tracking_number": TRACKING,
        }
        assert same_effects(
            outcome.effects,
            UpdateCard(REQUEST_CARD),
            SendCard(SHIPMENT_CARD),
            Notify(Audience.buyer, "shipped_buyer", tracking),
            Notify(Audience.seller, "shipped_seller", tracking),
        )
        assert flow.decide(ShipmentCreated("FedEx", "999"), after=MINUTE) == NOTHING

    def test_seller_shipping_with_carrier_and_tracking(self) -> None:
        flow = request_in(Status.awaiting_shipment, shipping_option=ShippingOption.seller)
        outcome = flow.do(ArrangeShipment(SELLER, SELLER_CARRIER, SELLER_TRACKING), after=HOUR)
        shipment = flow.request.shipment
        assert flow.request.status is Status.shipped
        assert shipment is not None
        assert shipment.shipping_option is ShippingOption.seller
        assert (shipment.carrier, shipment.tracking_number) == (SELLER_CARRIER, SELLER_TRACKING)
        tracking: dict[str, ParamValue] = {
            "request_id": "R1",
            "carrier": SELLER_CARRIER,
            "tracking_number": SELLER_TRACKING,
        }
        assert same_effects(
            outcome.effects,
            CreateShipment(ShippingOption.seller, SELLER_CARRIER, SELLER_TRACKING),
            UpdateCard(REQUEST_CARD),
            SendCard(SHIPMENT_CARD),
            Notify(Audience.buyer, "shipped_buyer", tracking),
            Notify(Audience.seller, "shipped_seller", tracking),
        )
        # the platform's echo of the seller's tracking changes nothing
        echo = ShipmentCreated(SELLER_CARRIER, SELLER_TRACKING)
        assert flow.decide(echo, after=MINUTE) == NOTHING

    @pytest.mark.parametrize(
        ("option", "carrier", "tracking", "code"),
        [
            (ShippingOption.platform, "DHL", "123", "platform_shipping"),
            (ShippingOption.platform, None, "123", "platform_shipping"),
            (ShippingOption.platform, "DHL", None, "platform_shipping"),
            (ShippingOption.seller, None, None, "tracking_required"),
            (ShippingOption.seller, "DHL", None, "tracking_required"),
            (ShippingOption.seller, None, "123", "tracking_required"),
        ],
    )
    def test_wrong_form_for_the_orders_shipping_option(
        self, option: ShippingOption, carrier: str | None, tracking: str | None, code: str
    ) -> None:
        flow = request_in(Status.awaiting_shipment, shipping_option=option)
        before = flow.request
        outcome = flow.attempt(ArrangeShipment(SELLER, carrier, tracking), after=HOUR)
        assert_refused(before, outcome, code, SELLER)

    def test_refused_until_the_replacement_order_exists(self) -> None:
        flow = request_in(Status.awaiting_shipment, replacement_order=False)
        before = flow.request
        outcome = flow.attempt(ArrangeShipment(SELLER), after=HOUR)
        assert_refused(before, outcome, "replacement_order_pending", SELLER)
        outcome = flow.do(ReplacementOrderCreated(REPLACEMENT_ORDER_ID), after=MINUTE)
        assert outcome.effects == ()
        assert flow.request.replacement_order_id == REPLACEMENT_ORDER_ID
        assert last_entry_type(flow) == "replacement_order_created"
        assert flow.decide(ReplacementOrderCreated("RO-2"), after=MINUTE) == NOTHING
        flow.do(ArrangeShipment(SELLER), after=MINUTE)
        assert flow.request.status is Status.shipped

    def test_ship_via_the_card_form(self) -> None:
        flow = request_in(Status.awaiting_shipment, shipping_option=ShippingOption.seller)
        form = {"carrier": SELLER_CARRIER, "tracking_number": SELLER_TRACKING}
        version = card_version(flow, REQUEST_CARD)
        flow.do(CardAction(SELLER, REQUEST_CARD, version, "arrange_shipment", form), after=HOUR)
        assert flow.request.shipment is not None
        assert flow.request.shipment.tracking_number == SELLER_TRACKING

    def test_overdue_shipment_can_still_ship_and_stays_marked(self) -> None:
        flow = request_in(Status.awaiting_shipment)
        flow.now = datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC)
        flow.do(TimerFired(TimerKind.ship_by))
        flow.do(ArrangeShipment(SELLER), after=HOUR)
        assert flow.request.status is Status.shipped
        assert flow.request.overdue is True


# ======================================================================================
# T11 — ship_by passes
# ======================================================================================


class TestT11Overdue:
    def test_ship_by_passing_marks_overdue_once_and_warns_the_seller(self) -> None:
        flow = request_in(Status.awaiting_shipment)  # approved Monday → Wednesday 23:59:59
        ship_by = datetime(2026, 3, 4, 23, 59, 59, tzinfo=UTC)
        assert flow.request.deadlines.ship_by == ship_by
        assert flow.decide(TimerFired(TimerKind.ship_by), after=ship_by - flow.now - SECOND) == (
            NOTHING
        )
        version = card_version(flow, REQUEST_CARD)
        flow.now = ship_by
        outcome = flow.do(TimerFired(TimerKind.ship_by))
        assert flow.request.overdue is True
        assert flow.request.status is Status.awaiting_shipment
        assert flow.request.deadlines.ship_by == ship_by
        assert timers_for(flow.request) == {}
        assert card_version(flow, REQUEST_CARD) == version + 1
        assert same_effects(
            outcome.effects,
            UpdateCard(REQUEST_CARD),
            Notify(Audience.seller, "overdue_seller", {"request_id": "R1", "ship_by": ship_by}),
        )
        assert last_entry_type(flow) == "overdue"
        assert flow.decide(TimerFired(TimerKind.ship_by), after=HOUR) == NOTHING


# ======================================================================================
# T12 — logistics.updated
# ======================================================================================


class TestT12Logistics:
    def test_events_are_kept_sorted_and_the_latest_is_shown(self) -> None:
        flow = request_in(Status.shipped)
        t = flow.now
        flow.do(logistics(LogisticsStatus.in_transit, t + 2 * HOUR, flow), after=3 * HOUR)
        outcome = flow.do(logistics(LogisticsStatus.picked_up, t + HOUR, flow), after=MINUTE)
        shipment = flow.request.shipment
        assert shipment is not None
        assert [e.status for e in shipment.events] == [
            LogisticsStatus.picked_up,
            LogisticsStatus.in_transit,
        ]
        assert shipment.status == "in_transit"  # the latest by occurred_at, not by arrival
        assert flow.request.status is Status.shipped
        assert same_effects(outcome.effects, UpdateCard(REQUEST_CARD), UpdateCard(SHIPMENT_CARD))
        assert last_entry_type(flow) == "logistics_updated"

    def test_a_duplicate_event_is_ignored(self) -> None:
        flow = request_in(Status.shipped)
        event = logistics(LogisticsStatus.in_transit, flow.now + HOUR, flow)
        flow.do(event, after=HOUR)
        assert flow.decide(event, after=HOUR) == NOTHING

    def test_delivered_closes_the_request(self) -> None:
        flow = request_in(Status.shipped)
        versions = {c.card_id: c.version for c in flow.request.cards}
        outcome = flow.do(logistics(LogisticsStatus.delivered, flow.now + HOUR, flow), after=HOUR)
        request = flow.request
        assert request.status is Status.delivered
        assert request.resolution is Resolution.reship
        assert request.shipment is not None and request.shipment.status == "delivered"
        assert timers_for(request) == {}
        assert card(flow, REQUEST_CARD).status is CardStatus.closed
        assert card(flow, SHIPMENT_CARD).status is CardStatus.closed
        assert card(flow, REQUEST_CARD).version == versions[REQUEST_CARD] + 1
        assert card(flow, SHIPMENT_CARD).version == versions[SHIPMENT_CARD] + 1
        assert card(flow, OUTCOME_CARD).status is CardStatus.closed
        assert same_effects(
            outcome.effects,
            UpdateCard(REQUEST_CARD),
            UpdateCard(SHIPMENT_CARD),
            SendCard(OUTCOME_CARD),
        )

    def test_events_after_delivered_are_recorded_without_new_cards(self) -> None:
        flow = request_in(Status.delivered)
        before = flow.request
        late = logistics(
            LogisticsStatus.returned_to_sender, flow.now + HOUR, flow, description="back"
        )
        outcome = flow.do(late, after=HOUR)
        request = flow.request
        assert outcome.effects == ()
        assert request.status is Status.delivered
        assert request.cards == before.cards
        assert request.shipment is not None and request.shipment.status == "delivered"
        assert request.shipment.events[-1] == TrackingEvent(
            status=LogisticsStatus.returned_to_sender,
            description="back",
            occurred_at=late.occurred_at,
        )
        assert len(request.shipment.events) == 3
        assert request.version == before.version + 1

    def test_unknown_tracking_number_is_refused(self) -> None:
        flow = request_in(Status.shipped)
        event = logistics(LogisticsStatus.in_transit, flow.now, tracking_number="NOPE")
        outcome = flow.decide(event, after=HOUR)
        assert outcome.request is None and outcome.effects == ()
        assert outcome.refusal is not None and outcome.refusal.code == "unknown_tracking"

    def test_events_before_the_tracking_number_is_known_are_refused(self) -> None:
        flow = request_in(Status.shipped, tracking_known=False)
        outcome = flow.decide(logistics(LogisticsStatus.picked_up, flow.now), after=HOUR)
        assert outcome.refusal is not None and outcome.refusal.code == "unknown_tracking"

    def test_events_for_a_request_not_shipped_are_refused(self) -> None:
        flow = request_in(Status.awaiting_shipment)
        outcome = flow.decide(logistics(LogisticsStatus.picked_up, flow.now), after=HOUR)
        assert outcome.request is None
        assert outcome.refusal is not None and outcome.refusal.code == "unknown_tracking"


# ======================================================================================
# T13 — cancel
# ======================================================================================

CANCELLABLE = [Status.awaiting_seller, Status.offer_pending, Status.awaiting_shipment]


class TestT13Cancel:
    @pytest.mark.parametrize("status", CANCELLABLE)
    def test_buyer_cancels(self, status: Status) -> None:
        flow = request_in(status)
        outcome = flow.do(CancelRequest(BUYER), after=HOUR)
        self._assert_cancelled(flow, status, DecidedBy.buyer)
        assert (flow.request.timeline[-1].type, flow.request.timeline[-1].actor) == (
            "cancelled",
            BUYER,
        )
        assert (
            Notify(Audience.seller, "cancelled_by_buyer_seller", {"request_id": "R1"})
            in outcome.effects
        )
        assert not any(
            isinstance(e, Notify) and e.audience is Audience.buyer for e in outcome.effects
        )
        if status is Status.offer_pending:
            assert flow.request.offer is not None
            assert flow.request.offer.status is OfferStatus.declined
            assert card(flow, OFFER_CARD).status is CardStatus.declined

    @pytest.mark.parametrize("status", CANCELLABLE)
    def test_platform_cancels(self, status: Status) -> None:
        flow = request_in(status)
        outcome = flow.do(PlatformCancel(cancelled_at=flow.now), after=HOUR)
        self._assert_cancelled(flow, status, DecidedBy.platform)
        assert (flow.request.timeline[-1].type, flow.request.timeline[-1].actor) == (
            "cancelled",
            None,
        )
        assert (
            Notify(Audience.seller, "cancelled_by_platform_seller", {"request_id": "R1"})
            in outcome.effects
        )
        assert (
            Notify(Audience.buyer, "cancelled_by_platform_buyer", {"request_id": "R1"})
            in outcome.effects
        )

    def _assert_cancelled(self, flow: Flow, status: Status, by: DecidedBy) -> None:
        request = flow.request
        assert request.status is Status.cancelled
        assert request.resolution is Resolution.cancelled
        assert request.decided_by is by
        assert request.deadlines == Deadlines()
        assert request.seller_reminder_at is None
        assert timers_for(request) == {}
        assert all(c.status is not CardStatus.open for c in request.cards)
        assert card(flow, OUTCOME_CARD).status is CardStatus.closed
        assert request.refund is None

    def test_cancel_via_the_offer_card(self) -> None:
        flow = request_in(Status.offer_pending)
        flow.do(CardAction(BUYER, OFFER_CARD, 1, "cancel_request"), after=HOUR)
        assert flow.request.status is Status.cancelled

    @pytest.mark.parametrize("status", [Status.shipped, Status.delivered])
    def test_cancel_once_shipped_is_refused(self, status: Status) -> None:
        flow = request_in(status)
        before = flow.request
        code = "already_shipped" if status is Status.shipped else "request_closed"
        assert_refused(before, flow.attempt(CancelRequest(BUYER), after=HOUR), code, BUYER)

    def test_platform_cancel_once_shipped_is_refused(self) -> None:
        flow = request_in(Status.shipped)
        before = flow.request
        outcome = flow.attempt(PlatformCancel(cancelled_at=flow.now), after=HOUR)
        platform = Actor(role=Role.platform, id="platform")
        assert_refused(before, outcome, "already_shipped", platform)

    @pytest.mark.parametrize("status", [Status.rejected, Status.refunded, Status.cancelled])
    def test_cancel_on_a_terminal_request_is_refused(self, status: Status) -> None:
        flow = request_in(status)
        before = flow.request
        assert_refused(
            before, flow.attempt(CancelRequest(BUYER), after=HOUR), "request_closed", BUYER
        )
        before = flow.request
        outcome = flow.attempt(PlatformCancel(cancelled_at=flow.now), after=HOUR)
        assert_refused(before, outcome, "request_closed", Actor(role=Role.platform, id="platform"))


# ======================================================================================
# T14 — the wrong person, a stale card, a terminal request, a malformed action
# ======================================================================================

WRONG_PEOPLE = [
    pytest.param(
        Status.awaiting_seller, Approve(OTHER_SELLER), "not_your_request", id="other-seller"
    ),
    pytest.param(Status.awaiting_seller, Approve(BUYER), "only_seller", id="buyer-approves"),
    pytest.param(
        Status.awaiting_seller,
        Approve(BUYER_AS_SELLER),
        "not_your_request",
        id="buyer-id-as-seller",
    ),
    pytest.param(Status.awaiting_seller, Approve(AGENT), "agent_read_only", id="agent-approves"),
    pytest.param(Status.awaiting_seller, RefundOnly(BUYER), "only_seller", id="buyer-refunds"),
    pytest.param(
        Status.awaiting_seller,
        Reject(BUYER, "other", "I reject my own request."),
        "only_seller",
        id="buyer-rejects",
    ),
    pytest.param(Status.offer_pending, AcceptOffer(SELLER), "only_buyer", id="seller-accepts"),
    pytest.param(
        Status.offer_pending,
        AcceptOffer(SELLER_AS_BUYER),
        "not_your_request",
        id="seller-id-as-buyer",
    ),
    pytest.param(
        Status.offer_pending, AcceptOffer(OTHER_BUYER), "not_your_request", id="other-buyer"
    ),
    pytest.param(Status.offer_pending, DeclineOffer(AGENT), "agent_read_only", id="agent-declines"),
    pytest.param(Status.awaiting_seller, CancelRequest(SELLER), "only_buyer", id="seller-cancels"),
    pytest.param(
        Status.awaiting_seller, CancelRequest(OTHER_BUYER), "not_your_request", id="other-cancels"
    ),
    pytest.param(Status.awaiting_shipment, ArrangeShipment(BUYER), "only_seller", id="buyer-ships"),
    pytest.param(
        Status.awaiting_seller, ShowStatus(OTHER_BUYER), "not_your_request", id="other-status"
    ),
    pytest.param(Status.shipped, Track(OTHER_SELLER), "not_your_request", id="other-track"),
    pytest.param(
        Status.offer_pending,
        CardAction(OTHER_BUYER, OFFER_CARD, 1, "accept_offer"),
        "not_your_request",
        id="other-buyer-clicks",
    ),
    pytest.param(
        Status.offer_pending,
        CardAction(SELLER, OFFER_CARD, 1, "accept_offer"),
        "not_your_request",
        id="seller-clicks-buyer-card",
    ),
    pytest.param(
        Status.awaiting_seller,
        CardAction(BUYER, REQUEST_CARD, 1, "approve"),
        "not_your_request",
        id="buyer-clicks-seller-card",
    ),
    pytest.param(
        Status.awaiting_seller,
        CardAction(AGENT, REQUEST_CARD, 1, "approve"),
        "agent_read_only",
        id="agent-clicks",
    ),
]


class TestT14Refusals:
    @pytest.mark.parametrize(("status", "command", "code"), WRONG_PEOPLE)
    def test_wrong_person(self, status: Status, command: Command, code: str) -> None:
        flow = request_in(status)
        before = flow.request
        outcome = flow.attempt(command, after=MINUTE)
        actor = getattr(command, "actor")  # noqa: B009 - every case is an actor command
        assert_refused(before, outcome, code, actor)

    def test_agent_gets_no_chat_reply_but_the_attempt_is_recorded(self) -> None:
        flow = created()
        outcome = flow.attempt(Approve(AGENT), after=MINUTE)
        assert outcome.effects == ()
        assert flow.request.timeline[-1].actor == AGENT
        assert flow.request.status is Status.awaiting_seller

    def test_stale_card_version(self) -> None:
        policy = Policy(max_partial_offers=2)
        flow = request_in(Status.awaiting_seller, via_offer=True, policy=policy)
        assert card_version(flow, REQUEST_CARD) == 3
        for version in (1, 2, 4):
            before = flow.request
            click = CardAction(SELLER, REQUEST_CARD, version, "approve")
            assert_refused(before, flow.attempt(click, after=MINUTE), "stale_card", SELLER)
        flow.do(CardAction(SELLER, REQUEST_CARD, 3, "approve"), after=MINUTE)
        assert flow.request.status is Status.awaiting_shipment

    def test_stale_offer_card_after_a_second_offer(self) -> None:
        policy = Policy(max_partial_offers=2)
        flow = request_in(Status.awaiting_seller, via_offer=True, policy=policy)
        flow.do(OfferPartialRefund(SELLER, amount="20.00"), after=MINUTE)
        before = flow.request
        click = CardAction(BUYER, OFFER_CARD, 1, "accept_offer")  # the first offer's card
        assert_refused(before, flow.attempt(click, after=MINUTE), "stale_card", BUYER)
        assert flow.request.refund is None

    def test_unknown_card(self) -> None:
        flow = created()
        before = flow.request
        click = CardAction(SELLER, "R1.bogus.seller", 1, "approve")
        assert_refused(before, flow.attempt(click, after=MINUTE), "stale_card", SELLER)

    @pytest.mark.parametrize(
        ("status", "card_id", "action", "actor"),
        [
            (Status.awaiting_seller, REQUEST_CARD, "accept_offer", SELLER),
            (Status.awaiting_seller, REQUEST_CARD, "arrange_shipment", SELLER),
            (Status.awaiting_seller, REQUEST_CARD, "launch_rocket", SELLER),
            (Status.awaiting_shipment, REQUEST_CARD, "approve", SELLER),
            (Status.offer_pending, REQUEST_CARD, "approve", SELLER),
            (Status.offer_pending, OFFER_CARD, "check_logistics", BUYER),
            (Status.shipped, SHIPMENT_CARD, "cancel_request", BUYER),
        ],
    )
    def test_action_not_on_the_card(
        self, status: Status, card_id: str, action: str, actor: Actor
    ) -> None:
        flow = request_in(status)
        before = flow.request
        click = CardAction(actor, card_id, card_version(flow, card_id), action)
        assert_refused(before, flow.attempt(click, after=MINUTE), "action_not_available", actor)

    def test_offer_button_gone_after_the_limit(self) -> None:
        flow = request_in(Status.awaiting_seller, via_offer=True)
        before = flow.request
        click = CardAction(
            SELLER,
            REQUEST_CARD,
            card_version(flow, REQUEST_CARD),
            "offer_partial_refund",
            {"amount": "5"},
        )
        assert_refused(before, flow.attempt(click, after=MINUTE), "action_not_available", SELLER)

    @pytest.mark.parametrize(
        "status", [Status.rejected, Status.refunded, Status.cancelled, Status.delivered]
    )
    def test_terminal_request(self, status: Status) -> None:
        flow = request_in(status)
        for command in (
            Approve(SELLER),
            RefundOnly(SELLER),
            OfferPartialRefund(SELLER, amount="1"),
            ArrangeShipment(SELLER),
            AcceptOffer(BUYER),
            CardAction(SELLER, REQUEST_CARD, card_version(flow, REQUEST_CARD), "approve"),
        ):
            before = flow.request
            actor = command.actor
            assert_refused(before, flow.attempt(command, after=MINUTE), "request_closed", actor)

    def test_refusals_leave_timers_alone(self) -> None:
        flow = request_in(Status.offer_pending)
        timers = timers_for(flow.request)
        flow.attempt(Approve(SELLER), after=MINUTE)
        flow.attempt(AcceptOffer(OTHER_BUYER), after=MINUTE)
        assert timers_for(flow.request) == timers

    @pytest.mark.parametrize(
        ("status", "command", "code"),
        [
            (Status.awaiting_seller, AcceptOffer(BUYER), "not_now"),
            (Status.awaiting_seller, ArrangeShipment(SELLER), "not_now"),
            (Status.offer_pending, Approve(SELLER), "not_now"),
            (Status.offer_pending, RefundOnly(SELLER), "not_now"),
            (Status.awaiting_shipment, Approve(SELLER), "not_now"),
            (Status.awaiting_shipment, DeclineOffer(BUYER), "not_now"),
            (Status.shipped, ArrangeShipment(SELLER), "not_now"),
            (Status.awaiting_seller, Track(BUYER), "not_shipped"),
        ],
    )
    def test_right_person_wrong_moment(self, status: Status, command: Command, code: str) -> None:
        flow = request_in(status)
        before = flow.request
        actor = getattr(command, "actor")  # noqa: B009
        assert_refused(before, flow.attempt(command, after=MINUTE), code, actor)

    def test_a_command_without_a_request(self) -> None:
        outcome = decide(None, Approve(SELLER), T0, POLICY)
        assert outcome.request is None
        assert outcome.refusal is not None and outcome.refusal.code == "no_request"
        assert outcome.effects == (Notify(Audience.seller, "refused_no_request", {}),)


# ======================================================================================
# timers that no longer apply
# ======================================================================================


class TestStaleTimers:
    @pytest.mark.parametrize(
        ("status", "kind"),
        [
            (Status.offer_pending, TimerKind.seller_deadline),  # paused
            (Status.offer_pending, TimerKind.seller_reminder),
            (Status.awaiting_seller, TimerKind.offer_expiry),
            (Status.awaiting_seller, TimerKind.ship_by),
            (Status.awaiting_shipment, TimerKind.seller_deadline),
            (Status.awaiting_shipment, TimerKind.seller_reminder),
            (Status.shipped, TimerKind.ship_by),
            (Status.refunded, TimerKind.offer_expiry),
            (Status.rejected, TimerKind.seller_deadline),
            (Status.cancelled, TimerKind.seller_deadline),
            (Status.delivered, TimerKind.ship_by),
        ],
    )
    def test_timer_that_no_longer_applies_does_nothing(
        self, status: Status, kind: TimerKind
    ) -> None:
        flow = request_in(status)
        assert flow.decide(TimerFired(kind), after=timedelta(days=30)) == NOTHING

    def test_offer_expiry_after_the_offer_was_accepted(self) -> None:
        flow = request_in(Status.offer_pending)
        flow.do(AcceptOffer(BUYER), after=HOUR)
        assert flow.decide(TimerFired(TimerKind.offer_expiry), after=2 * 24 * HOUR) == NOTHING

    def test_seller_deadline_fired_early(self) -> None:
        flow = created()
        assert flow.decide(TimerFired(TimerKind.seller_deadline), after=HOUR) == NOTHING

    def test_offer_expiry_of_a_first_offer_does_not_expire_the_second(self) -> None:
        policy = Policy(max_partial_offers=2)
        flow = request_in(Status.awaiting_seller, via_offer=True, policy=policy)
        flow.do(OfferPartialRefund(SELLER, amount="20.00"), after=HOUR)
        expires = flow.request.deadlines.offer_expires_at
        assert expires == flow.now + 24 * HOUR
        # the first offer would have expired 22 h from now (T0 + 25 h)
        assert flow.decide(TimerFired(TimerKind.offer_expiry), after=22 * HOUR) == NOTHING


# ======================================================================================
# /status, /track, /help and the platform's answers
# ======================================================================================


class TestQueries:
    def test_status_answers_only_the_asker(self) -> None:
        flow = created()
        outcome = flow.decide(ShowStatus(BUYER), after=HOUR)
        assert outcome.request is None and outcome.refusal is None
        assert outcome.effects == (
            Notify(
                Audience.buyer,
                "status_awaiting_seller",
                {"request_id": "R1", "status": "awaiting_seller", "seller_due_at": T0 + 48 * HOUR},
            ),
        )

    def test_status_of_an_offer(self) -> None:
        flow = request_in(Status.offer_pending)
        outcome = flow.decide(ShowStatus(SELLER), after=HOUR)
        assert outcome.effects == (
            Notify(
                Audience.seller,
                "status_offer_pending",
                {
                    "request_id": "R1",
                    "status": "offer_pending",
                    "amount": Money(Decimal("10.00"), "USD"),
                    "offer_expires_at": T0 + 25 * HOUR,
                },
            ),
        )

    @pytest.mark.parametrize("status", [Status.rejected, Status.refunded, Status.cancelled])
    def test_status_of_a_closed_request(self, status: Status) -> None:
        flow = request_in(status)
        outcome = flow.decide(ShowStatus(BUYER), after=HOUR)
        assert outcome.effects == (
            Notify(Audience.buyer, "status_closed", {"request_id": "R1", "status": status.value}),
        )

    @pytest.mark.parametrize("actor", [BUYER, SELLER])
    def test_track_lists_the_history(self, actor: Actor) -> None:
        flow = request_in(Status.delivered)
        outcome = flow.decide(Track(actor), after=HOUR)
        assert outcome.request is None and outcome.refusal is None
        assert len(outcome.effects) == 1
        reply = outcome.effects[0]
        assert isinstance(reply, Notify)
        assert reply.audience is Audience(actor.role.value)
        assert reply.message == "tracking"
        assert reply.params["tracking_number"] == TRACKING
        assert reply.params["shipment_status"] == "delivered"
        events = reply.params["events"]
        assert isinstance(events, tuple)
        assert [e.status for e in events] == [  # type: ignore[union-attr]
            LogisticsStatus.picked_up,
            LogisticsStatus.delivered,
        ]

    def test_track_before_the_carrier_is_known(self) -> None:
        flow = request_in(Status.shipped, tracking_known=False)
        outcome = flow.decide(Track(BUYER), after=HOUR)
        assert outcome.effects == (
            Notify(Audience.buyer, "tracking_pending", {"request_id": "R1"}),
        )

    def test_check_logistics_card_action(self) -> None:
        flow = request_in(Status.shipped)
        outcome = flow.decide(CardAction(BUYER, SHIPMENT_CARD, 1, "check_logistics"), after=HOUR)
        assert outcome.request is None and outcome.refusal is None
        assert [getattr(e, "message", None) for e in outcome.effects] == ["tracking"]

    def test_help_for_the_seller_lists_what_works_now(self) -> None:
        flow = created()
        outcome = flow.decide(Help(SELLER), after=HOUR)
        assert outcome.request is None
        assert outcome.effects == (
            Notify(
                Audience.seller,
                "help",
                {
                    "request_id": "R1",
                    "commands": ("/approve", "/reject", "/offer", "/refund", "/status", "/help"),
                },
            ),
        )

    def test_help_without_a_request(self) -> None:
        outcome = decide(None, Help(BUYER), T0, POLICY)
        assert outcome.effects == (Notify(Audience.buyer, "help", {"commands": ("/help",)}),)


class TestPlatformAnswers:
    def test_refund_id_is_recorded_once(self) -> None:
        flow = request_in(Status.refunded)
        outcome = flow.do(RefundIssued("RF-1"), after=MINUTE)
        assert outcome.effects == ()
        assert flow.request.refund is not None
        assert flow.request.refund.refund_id == "RF-1"
        assert flow.request.refund.amount == AFFECTED_USD
        assert last_entry_type(flow) == "refund_issued"
        assert flow.decide(RefundIssued("RF-2"), after=MINUTE) == NOTHING

    def test_refund_id_without_a_refund_is_ignored(self) -> None:
        flow = request_in(Status.awaiting_shipment)
        assert flow.decide(RefundIssued("RF-1"), after=MINUTE) == NOTHING

    def test_a_dead_letter_is_written_in_the_timeline_only(self) -> None:
        flow = request_in(Status.awaiting_shipment)
        before = flow.request
        outcome = flow.do(DeliveryFailed("CreateReplacementOrder", "400 bad line"), after=MINUTE)
        assert outcome.effects == ()
        assert last_entry_type(flow) == "delivery_failed"
        assert unchanged_fields(flow.request) == unchanged_fields(before)

    def test_decisions_are_timestamped_monotonically(self) -> None:
        flow = created(now=T0 + HOUR)
        # a command decided with a clock behind the last change does not go back in time
        outcome = decide(flow.request, Approve(SELLER), T0 + 30 * MINUTE, POLICY)
        assert outcome.request is not None
        assert outcome.request.updated_at == T0 + HOUR
        assert outcome.request.timeline[-1].at == T0 + HOUR
