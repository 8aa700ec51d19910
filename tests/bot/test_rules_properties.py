"""Properties of the rules under random sequences (hypothesis, stateful).

Random commands — by the right and the wrong people, with random amounts, percentages,
reason codes and comments, card clicks on current and stale versions, carrier events,
platform answers and timers — interleaved with random (monotonic) clock moves must never
break the invariants of SPEC §1:

- `decide` never raises and returns only known effect types;
- money is never negative, a refund never exceeds the affected value, and there is at
  most one refund over the whole life of a request (no double refunds);
- a terminal request stays terminal with its one resolution (delivered only records
  carrier events);
- every stored change adds to the timeline and bumps the version; card versions never
  go down, and the card effects match the card states;
- every due timer, when fired, stops being due (no timer can loop).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from bot.core.commands import (
    AcceptOffer,
    ActorCommand,
    Approve,
    ArrangeShipment,
    CancelRequest,
    CardAction,
    Command,
    DeclineOffer,
    DeliveryFailed,
    Help,
    LogisticsUpdate,
    OfferPartialRefund,
    PlatformCancel,
    RefundIssued,
    RefundOnly,
    Reject,
    ReplacementOrderCreated,
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
    Notify,
    SendCard,
    UpdateCard,
)
from bot.core.models import (
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    Actor,
    LogisticsStatus,
    OfferStatus,
    Reason,
    RefundKind,
    RejectCode,
    ReshipmentRequest,
    Resolution,
    ShippingOption,
    Status,
)
from bot.core.outcome import Outcome
from bot.core.policy import Policy, Proposal
from bot.core.rules import REFUSALS_KEPT, decide
from bot.core.schedule import timers_for

from .builders import (
    AGENT,
    BUYER,
    BUYER_AS_SELLER,
    OTHER_BUYER,
    OTHER_SELLER,
    SELLER,
    SELLER_AS_BUYER,
    T0,
    TRACKING,
    create_command,
    room_for_a_refusal,
    unchanged_fields,
)

EFFECT_TYPES = (Notify, SendCard, UpdateCard, IssueRefund, CreateReplacementOrder, CreateShipment)
ACTORS = st.sampled_from(
    [
        BUYER,
        SELLER,
        BUYER,
        SELLER,
        OTHER_BUYER,
        OTHER_SELLER,
        SELLER_AS_BUYER,
        BUYER_AS_SELLER,
        AGENT,
    ]
)
POLICIES = st.sampled_from(
    [
        Policy(),
        Policy(max_partial_offers=2),
        Policy(max_partial_offers=0),
        Policy(seller_reminder_before=timedelta(0)),
        Policy(
            proposals={
                Reason.missing_items: frozenset({Proposal.partial_refund}),
                Reason.broken_or_unusable: frozenset({Proposal.refund_only}),
            },
            offer_window=timedelta(hours=2),
            seller_response_window=timedelta(hours=6),
            seller_reminder_before=timedelta(hours=1),
        ),
    ]
)
AMOUNT_TEXT = st.one_of(
    st.sampled_from(
        [
            *("0", "-1", "0.01", "5", "10.00", "12.345", "24.99", "25", "25.00", "25.01"),
            *("2499", "2500", "10.5", "abc", "", " 7 ", "NaN", "Infinity", "1e3", "9" * 40),
        ]
    ),
    st.decimals(min_value=-100, max_value=3000, places=2).map(str),
)
PERCENT = st.one_of(
    st.decimals(min_value=-10, max_value=150, places=3),
    st.sampled_from([Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal(100)]),
)
REJECT_CODE = st.sampled_from([c.value for c in RejectCode] + ["bogus", " OTHER ", ""])
COMMENT = st.one_of(st.sampled_from(["", "short", "A proper explanation."]), st.text(max_size=15))
CARRIER = st.sampled_from([None, "", "DHL"])
TRACKING_NO = st.sampled_from([None, "", "JD0001"])
ACTION_IDS = st.sampled_from(
    [
        "approve",
        "reject",
        "offer_partial_refund",
        "refund_only",
        "arrange_shipment",
        "accept_offer",
        "decline_offer",
        "check_logistics",
        "cancel_request",
        "bogus",
    ]
)
FORM = st.fixed_dictionaries(
    {},
    optional={
        "reason_code": REJECT_CODE,
        "comment": COMMENT,
        "amount": st.one_of(AMOUNT_TEXT, st.sampled_from(["40%", "nan%", "100%", "x%"])),
        "carrier": st.sampled_from(["", "DHL"]),
        "tracking_number": st.sampled_from(["", "JD0001"]),
    },
)


# (whose command it is: "seller", "buyer" or "either"; how to build it)
_ACTOR_COMMANDS: list[tuple[str, Callable[[st.DrawFn, Actor], ActorCommand]]] = [
    ("seller", lambda draw, actor: Approve(actor)),
    ("seller", lambda draw, actor: Reject(actor, draw(REJECT_CODE), draw(COMMENT))),
    ("seller", lambda draw, actor: OfferPartialRefund(actor, amount=draw(AMOUNT_TEXT))),
    ("seller", lambda draw, actor: OfferPartialRefund(actor, percent=draw(PERCENT))),
    ("seller", lambda draw, actor: RefundOnly(actor)),
    ("seller", lambda draw, actor: ArrangeShipment(actor, draw(CARRIER), draw(TRACKING_NO))),
    ("buyer", lambda draw, actor: AcceptOffer(actor)),
    ("buyer", lambda draw, actor: DeclineOffer(actor)),
    ("buyer", lambda draw, actor: CancelRequest(actor)),
    ("either", lambda draw, actor: Track(actor)),
    ("either", lambda draw, actor: ShowStatus(actor)),
    ("either", lambda draw, actor: Help(actor)),
]


@st.composite
def actor_commands(draw: st.DrawFn, party_only: bool = False) -> ActorCommand:
    """Any chat command; with `party_only` by the request's own buyer or seller, as fits."""
    whose, build = draw(st.sampled_from(_ACTOR_COMMANDS))
    if not party_only:
        actor = draw(ACTORS)
    elif whose == "either":
        actor = draw(st.sampled_from([BUYER, SELLER]))
    else:
        actor = SELLER if whose == "seller" else BUYER
    return build(draw, actor)


PLATFORM_ANSWERS = st.one_of(
    st.builds(ReplacementOrderCreated, st.sampled_from(["RO-1", "RO-2"])),
    st.builds(ShipmentCreated, st.sampled_from(["UPS", "DHL"]), st.sampled_from([TRACKING, "X"])),
    st.builds(RefundIssued, st.sampled_from(["RF-1", "RF-2"])),
    st.builds(DeliveryFailed, st.just("SendCard"), st.just("400 bad card")),
)


class RequestLife(RuleBasedStateMachine):
    """One request from creation, driven by random commands and clock moves."""

    def __init__(self) -> None:
        super().__init__()
        self.request: ReshipmentRequest | None = None
        self.now = T0
        self.policy = Policy()
        self.refunds: list[IssueRefund] = []
        self.replacement_orders = 0
        self.shipments = 0
        self.terminal_seen: ReshipmentRequest | None = None
        self.left_at_offer = timedelta(0)
        self.reminders = 0

    # --- setup ---------------------------------------------------------------------

    @initialize(
        currency=st.sampled_from(["USD", "JPY"]),
        option=st.sampled_from(list(ShippingOption)),
        reason=st.sampled_from(list(Reason)),
        policy=POLICIES,
        late=st.one_of(st.integers(0, 3600), st.integers(0, 60 * 3600)),
    )
    def create(
        self, currency: str, option: ShippingOption, reason: Reason, policy: Policy, late: int
    ) -> None:
        self.policy = policy
        self.now = T0 + timedelta(seconds=late)
        command = create_command(currency=currency, shipping_option=option, reason=reason)
        outcome = self._decide(command)
        assert outcome.request is not None, outcome.refusal

    # --- moves ---------------------------------------------------------------------

    @rule(seconds=st.integers(0, 30 * 3600))
    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(offset=st.sampled_from([timedelta(0), timedelta(seconds=-1), timedelta(seconds=1)]))
    def jump_to_the_next_deadline(self, offset: timedelta) -> None:
        assert self.request is not None
        ahead = [due for due in timers_for(self.request).values() if due + offset > self.now]
        if ahead:
            self.now = min(ahead) + offset

    @rule(command=actor_commands())
    def person_acts(self, command: ActorCommand) -> None:
        self._decide(command)

    @rule(command=actor_commands(party_only=True))
    def the_right_party_tries_anything(self, command: ActorCommand) -> None:
        self._decide(command)

    @rule(data=st.data())
    def the_process_moves_on(self, data: st.DataObject) -> None:
        """A plausible next step by the right party, so that every status is reached."""
        assert self.request is not None
        amount, percent = data.draw(AMOUNT_TEXT), data.draw(PERCENT)
        options = _next_steps(self.request, self.now, amount, percent)
        if options:
            self._decide(data.draw(st.sampled_from(options)))

    # twice as likely as any other rule: long happy paths (to delivered) need it
    @rule(data=st.data())
    def the_process_moves_on_again(self, data: st.DataObject) -> None:
        self.the_process_moves_on(data)

    @rule(
        data=st.data(),
        version_offset=st.sampled_from([0, 0, 0, -1, 1, -2]),
        action=ACTION_IDS,
        actor=ACTORS,
        form=FORM,
    )
    def person_clicks(
        self,
        data: st.DataObject,
        version_offset: int,
        action: str,
        actor: Any,
        form: dict[str, str],
    ) -> None:
        assert self.request is not None
        ids = [card.card_id for card in self.request.cards] + ["R1.bogus.buyer"]
        card_id = data.draw(st.sampled_from(ids))
        card = self.request.card(card_id)
        version = (card.version if card is not None else 1) + version_offset
        outcome = self._decide(CardAction(actor, card_id, version, action, form))
        if card is None or version != card.version:
            assert outcome.refusal is not None, "a click on a stale or unknown card worked"
            assert outcome.refusal.code in ("stale_card", "agent_read_only")

    @rule(
        status=st.sampled_from(list(LogisticsStatus)),
        known=st.booleans(),
        back=st.integers(0, 72 * 3600),
        description=st.sampled_from(["scan", "at hub"]),
    )
    def carrier_reports(
        self, status: LogisticsStatus, known: bool, back: int, description: str
    ) -> None:
        assert self.request is not None
        shipment = self.request.shipment
        number = shipment.tracking_number if shipment and shipment.tracking_number else None
        tracking = (number or TRACKING) if known else "UNKNOWN"
        occurred = self.now - timedelta(seconds=back)
        self._decide(LogisticsUpdate(tracking, "UPS", status, description, occurred))

    @rule(command=PLATFORM_ANSWERS)
    def platform_answers(self, command: Command) -> None:
        self._decide(command)

    @rule(dice=st.integers(0, 5))
    def platform_cancels(self, dice: int) -> None:
        if dice == 0:  # rarer than the rest: it ends most sequences
            self._decide(PlatformCancel(cancelled_at=self.now))

    @rule()
    def platform_repeats_the_request(self) -> None:
        outcome = self._decide(create_command())
        assert outcome.request is None
        assert outcome.refusal is not None and outcome.refusal.code == "request_exists"

    @rule(kind=st.sampled_from(list(TimerKind)))
    def a_timer_fires(self, kind: TimerKind) -> None:
        self._decide(TimerFired(kind))

    @precondition(lambda self: self.request is not None and bool(timers_for(self.request)))
    @rule()
    def due_timers_fire(self) -> None:
        assert self.request is not None
        for kind, due in sorted(timers_for(self.request).items(), key=lambda item: item[1]):
            if due <= self.now and kind in timers_for(self.request):
                self._decide(TimerFired(kind))

    # --- invariants ----------------------------------------------------------------

    @invariant()
    def no_timer_can_loop(self) -> None:
        """Every due timer, fired now, changes the request so it is no longer due."""
        request = self.request
        if request is None:
            return
        for kind, due in timers_for(request).items():
            if due > self.now:
                continue
            outcome = decide(request, TimerFired(kind), self.now, self.policy)
            assert outcome.request is not None, f"{kind} is due but changes nothing"
            again = timers_for(outcome.request).get(kind)
            assert again is None or again > self.now, f"{kind} would fire again"

    @invariant()
    def state_is_consistent(self) -> None:
        request = self.request
        if request is None:
            return
        _check_money(request)
        _check_status_fields(request)

    # --- the step --------------------------------------------------------------------

    def _decide(self, command: Command) -> Outcome:
        before = self.request
        outcome = decide(before, command, self.now, self.policy)  # must never raise
        for effect in outcome.effects:
            assert isinstance(effect, EFFECT_TYPES), effect
        if outcome.request is None:
            # nothing stored: only answers to the asker
            assert all(isinstance(e, Notify) for e in outcome.effects), outcome.effects
        elif before is not None:
            _check_stored_change(before, outcome)
        self._count(outcome)
        _check_only_parties_act(command, outcome)
        if before is not None and outcome.request is not None:
            self._check_seller_clock(before, outcome.request)
            _check_offer_answered_in_time(before, outcome.request, self.now)
        if outcome.request is not None:
            self.request = outcome.request
            event(f"reached {outcome.request.status.value}")
        if self.request is not None and self.request.status.terminal:
            self._check_stays_terminal(self.request)
        return outcome

    def _check_seller_clock(self, before: ReshipmentRequest, after: ReshipmentRequest) -> None:
        """SPEC 1.1: after T7/T8 the seller has the time that was left when the offer was made."""
        if before.status is Status.awaiting_seller and after.status is Status.offer_pending:
            due = before.deadlines.seller_due_at
            assert due is not None and after.offer is not None
            self.left_at_offer = due - after.offer.offered_at
        if before.status is Status.offer_pending and after.status is Status.awaiting_seller:
            assert after.deadlines.seller_due_at == self.now + self.left_at_offer

    def _count(self, outcome: Outcome) -> None:
        refunds = [e for e in outcome.effects if isinstance(e, IssueRefund)]
        self.refunds.extend(refunds)
        assert len(self.refunds) <= 1, f"refunded twice: {self.refunds}"
        if refunds:
            assert outcome.request is not None
            _check_refund_effect(outcome.request, refunds[0])
        self.reminders += sum(
            isinstance(e, Notify) and e.message == "reminder_seller" for e in outcome.effects
        )
        assert self.reminders <= 1, "the seller was reminded twice"
        self.replacement_orders += sum(
            isinstance(e, CreateReplacementOrder) for e in outcome.effects
        )
        self.shipments += sum(isinstance(e, CreateShipment) for e in outcome.effects)
        assert self.replacement_orders <= 1
        assert self.shipments <= 1

    def _check_stays_terminal(self, request: ReshipmentRequest) -> None:
        first = self.terminal_seen
        if first is None:
            self.terminal_seen = request
            return
        assert request.status is first.status
        assert request.resolution is first.resolution
        assert request.decided_by is first.decided_by
        assert request.refund is None or first.refund is not None
        if first.refund is not None and request.refund is not None:
            assert request.refund.amount == first.refund.amount


def _next_steps(
    request: ReshipmentRequest, now: datetime, amount: str, percent: Decimal
) -> list[Command]:
    status = request.status
    if status is Status.awaiting_seller:
        return [
            Approve(SELLER),
            Reject(SELLER, "other", "We cannot reship this."),
            RefundOnly(SELLER),
            OfferPartialRefund(SELLER, amount="5"),
            OfferPartialRefund(SELLER, amount=amount),
            OfferPartialRefund(SELLER, percent=percent),
        ]
    if status is Status.offer_pending:
        return [AcceptOffer(BUYER), DeclineOffer(BUYER)]
    if status is Status.awaiting_shipment:
        if request.replacement_order_id is None:
            return [ReplacementOrderCreated("RO-1")]
        return [ArrangeShipment(SELLER), ArrangeShipment(SELLER, "DHL", "JD0001")]
    shipment = request.shipment
    if status in (Status.shipped, Status.delivered) and shipment is not None:
        if shipment.tracking_number is None:
            return [ShipmentCreated("UPS", TRACKING)]
        number = shipment.tracking_number
        return [
            LogisticsUpdate(number, "UPS", LogisticsStatus.in_transit, "hub", now),
            LogisticsUpdate(number, "UPS", LogisticsStatus.delivered, "door", now),
        ]
    return []


def _check_stored_change(before: ReshipmentRequest, outcome: Outcome) -> None:
    after = outcome.request
    assert after is not None
    assert after.version == before.version + 1
    if outcome.refusal is not None:  # one more refusal; the oldest goes once the window is full
        assert after.timeline[:-1] == room_for_a_refusal(before.timeline)
        assert after.refused_attempts == before.refused_attempts + 1
    else:
        assert len(after.timeline) > len(before.timeline)
        assert after.timeline[: len(before.timeline)] == before.timeline
    assert sum(entry.type == "refused" for entry in after.timeline) <= REFUSALS_KEPT
    moments = [entry.at for entry in after.timeline]
    assert moments == sorted(moments), "the timeline goes back in time"
    if before.status.terminal:
        assert after.status is before.status
    if before.status.terminal:
        # only replies to refused people; carrier events after delivery are just recorded
        assert all(isinstance(e, Notify) for e in outcome.effects), outcome.effects
        assert after.cards == before.cards
    _check_cards(before, after, outcome)
    if outcome.refusal is not None:
        assert unchanged_fields(after) == unchanged_fields(before)
        assert after.timeline[-1].type == "refused"
        assert len(outcome.effects) <= 1
        assert all(isinstance(e, Notify) for e in outcome.effects)


PARTIES = (BUYER, SELLER)


def _check_only_parties_act(command: Command, outcome: Outcome) -> None:
    """T14: someone who is not this request's buyer or seller changes nothing."""
    actor = getattr(command, "actor", None)
    if actor is None or actor in PARTIES:
        return
    if outcome.request is None:
        assert all(isinstance(e, Notify) for e in outcome.effects)
        return
    assert outcome.refusal is not None, f"{actor} did {command}"


def _check_offer_answered_in_time(
    before: ReshipmentRequest, after: ReshipmentRequest, now: datetime
) -> None:
    """T6: an offer is accepted only before it expires."""
    if before.status is Status.offer_pending and after.resolution is Resolution.refund_partial:
        assert before.offer is not None and now < before.offer.expires_at


def _check_cards(before: ReshipmentRequest, after: ReshipmentRequest, outcome: Outcome) -> None:
    old = {card.card_id: card for card in before.cards}
    new = {card.card_id: card for card in after.cards}
    assert set(old) <= set(new), "a card disappeared"
    sent = {e.card_id for e in outcome.effects if isinstance(e, SendCard)}
    updated = [e.card_id for e in outcome.effects if isinstance(e, UpdateCard)]
    assert len(updated) == len(set(updated)), "one card updated twice in one step"
    assert sent == set(new) - set(old), "SendCard effects and new cards differ"
    for card_id in sent:
        assert new[card_id].version == 1
    for card_id, card in old.items():
        grown = new[card_id].version - card.version
        assert grown in (0, 1), "card versions never decrease and grow by one per update"
        assert (grown == 1) == (card_id in updated), "UpdateCard and version bumps differ"
        if grown == 0:
            assert new[card_id].status is card.status


def _check_refund_effect(request: ReshipmentRequest, effect: IssueRefund) -> None:
    assert effect.amount > 0
    assert effect.amount <= request.affected_value
    assert effect.currency == request.currency
    assert request.refund is not None and request.refund.amount == effect.amount
    assert request.status is Status.refunded
    if effect.kind is RefundKind.full:
        assert effect.amount == request.affected_value
        assert request.resolution is Resolution.refund_full
    else:
        assert effect.amount < request.affected_value
        assert request.resolution is Resolution.refund_partial


def _check_money(request: ReshipmentRequest) -> None:
    assert request.affected_value > 0
    if request.offer is not None:
        assert 0 < request.offer.amount < request.affected_value
        assert request.offer.expires_at > request.offer.offered_at
        assert request.offer.seller_remaining > timedelta(0)
    if request.refund is not None:
        assert 0 < request.refund.amount <= request.affected_value
    assert request.offers_made >= 0


def _check_status_fields(request: ReshipmentRequest) -> None:
    status = request.status
    if status in TERMINAL_STATUSES:
        assert request.resolution is not None and request.decided_by is not None
        assert timers_for(request) == {}
    if status in (Status.awaiting_seller, Status.offer_pending):
        assert request.resolution is None
    if status is Status.awaiting_seller:
        assert request.deadlines.seller_due_at is not None
    if status is Status.offer_pending:
        assert request.offer is not None and request.offer.status is OfferStatus.pending
        assert request.deadlines.offer_expires_at == request.offer.expires_at
    if status in (Status.awaiting_shipment, Status.shipped, Status.delivered):
        assert request.resolution is Resolution.reship
    if status is Status.awaiting_shipment:
        assert request.deadlines.ship_by is not None
    if status in (Status.shipped, Status.delivered):
        assert request.shipment is not None
    if status is Status.refunded:
        assert request.refund is not None
    if status is Status.rejected:
        assert request.rejection is not None
    if status in OPEN_STATUSES:
        assert request.refund is None


TestRequestLife = RequestLife.TestCase
TestRequestLife.settings = settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
