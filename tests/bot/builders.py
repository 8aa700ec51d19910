"""Builders for tests of the rules core: payloads, people, and requests driven to a status.

Requests are only ever built through `bot.rules.decide` with the commands a real run
would see (create, approve, offer, the platform's answers, carrier events…), so a test
that starts "in `shipped`" starts from a state the rules can actually reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.core.commands import (
    Approve,
    ArrangeShipment,
    CancelRequest,
    Command,
    CreateRequest,
    DeclineOffer,
    LogisticsUpdate,
    OfferPartialRefund,
    RefundOnly,
    Reject,
    ReplacementOrderCreated,
    RequestedItem,
    ShipmentCreated,
)
from bot.core.effects import Effect, Notify
from bot.core.models import (
    Actor,
    Audience,
    Buyer,
    Evidence,
    LogisticsStatus,
    Order,
    OrderLine,
    Reason,
    ReshipmentRequest,
    Role,
    Seller,
    ShippingOption,
    Status,
    TimelineEntry,
)
from bot.core.outcome import Outcome
from bot.core.policy import Policy
from bot.core.rules import REFUSALS_KEPT, decide

# --- people ------------------------------------------------------------------------------

BUYER = Actor(role=Role.buyer, id="buyer-1")
SELLER = Actor(role=Role.seller, id="seller-1")
OTHER_BUYER = Actor(role=Role.buyer, id="buyer-2")
OTHER_SELLER = Actor(role=Role.seller, id="seller-2")
SELLER_AS_BUYER = Actor(role=Role.buyer, id="seller-1")  # the seller's id, the buyer's role
BUYER_AS_SELLER = Actor(role=Role.seller, id="buyer-1")
AGENT = Actor(role=Role.agent, id="agent-1")

# --- moments and defaults ----------------------------------------------------------------

# Monday 2 March 2026, 09:00 UTC: no public holiday in US or VN that week.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)

POLICY = Policy()

REQUEST_ID = "R1"
CARRIER = "UPS"
TRACKING = "1Z999AA10123456784"
SELLER_CARRIER = "DHL"
SELLER_TRACKING = "JD014600006281230704"
REPLACEMENT_ORDER_ID = "RO-1"

# Card ids as SPEC §2.2 wants them: stable per request, kind and reader.
REQUEST_CARD = f"{REQUEST_ID}.request.seller"
OFFER_CARD = f"{REQUEST_ID}.offer.buyer"
SHIPMENT_CARD = f"{REQUEST_ID}.shipment.buyer"
OUTCOME_CARD = f"{REQUEST_ID}.outcome.buyer"

# Default order (2-digit currencies): three lines; the request names two of them.
#   L1 2 x 10.00, L2 4 x 2.50, L3 1 x 3.99; items L1 x 2 and L2 x 2 → affected 25.00.
# For 0-digit currencies (JPY, VND) every price is x100: affected 2500.
_PRICES_2 = ("10.00", "2.50", "3.99")
_PRICES_0 = ("1000", "250", "399")
AFFECTED_USD = Decimal("25.00")
AFFECTED_JPY = Decimal("2500")


def order_lines(currency: str = "USD") -> tuple[OrderLine, ...]:
    prices = _PRICES_0 if currency in ("JPY", "VND", "KRW") else _PRICES_2
    return (
        OrderLine(line_id="L1", sku="MUG-1", name="Mug", quantity=2, unit_price=Decimal(prices[0])),
        OrderLine(
            line_id="L2", sku="PLT-4", name="Plate", quantity=4, unit_price=Decimal(prices[1])
        ),
        OrderLine(
            line_id="L3", sku="SPN-1", name="Spoon", quantity=1, unit_price=Decimal(prices[2])
        ),
    )


DEFAULT_ITEMS = (RequestedItem("L1", 2), RequestedItem("L2", 2))


def create_command(
    *,
    request_id: str = REQUEST_ID,
    currency: str = "USD",
    shipping_option: ShippingOption = ShippingOption.platform,
    reason: Reason = Reason.missing_items,
    timezone: str = "UTC",
    region: str = "US",
    requested_at: datetime = T0,
    items: tuple[RequestedItem, ...] = DEFAULT_ITEMS,
    lines: tuple[OrderLine, ...] | None = None,
    buyer_id: str = BUYER.id,
    seller_id: str = SELLER.id,
) -> CreateRequest:
    """A valid `reshipment.requested` payload unless a parameter makes it otherwise."""
    return CreateRequest(
        request_id=request_id,
        shop_id="shop-1",
        conversation_id="conv-1",
        requested_at=requested_at,
        reason=reason,
        items=items,
        evidence=Evidence(note="two mugs were missing", image_urls=("https://img/1.jpg",)),
        buyer=Buyer(id=buyer_id, locale="en"),
        seller=Seller(id=seller_id, locale="en", timezone=timezone, region=region),
        order=Order(
            order_id="O-1",
            currency=currency,
            shipping_option=shipping_option,
            lines=lines if lines is not None else order_lines(currency),
        ),
    )


# --- driving a request through `decide` ----------------------------------------------------


class FlowError(AssertionError):
    """A step that should have worked was refused or changed nothing."""


@dataclass
class Flow:
    """One request and the clock it lives on; each step goes through `decide`."""

    request: ReshipmentRequest
    now: datetime
    policy: Policy = POLICY
    effects: list[Effect] = field(default_factory=list)  # everything emitted so far

    def attempt(self, command: Command, *, after: timedelta = timedelta(0)) -> Outcome:
        """Move the clock by `after`, decide, keep the new request if there is one."""
        self.now += after
        outcome = decide(self.request, command, self.now, self.policy)
        if outcome.request is not None:
            self.request = outcome.request
        self.effects.extend(outcome.effects)
        return outcome

    def do(self, command: Command, *, after: timedelta = timedelta(0)) -> Outcome:
        """Like `attempt`, but the command must be allowed and must change the request."""
        before = self.request
        outcome = self.attempt(command, after=after)
        if outcome.refusal is not None or outcome.request is None:
            self.request = before
            detail = outcome.refusal.message if outcome.refusal else "nothing changed"
            raise FlowError(f"{type(command).__name__} was not applied: {detail}")
        return outcome

    def decide(self, command: Command, *, after: timedelta = timedelta(0)) -> Outcome:
        """Decide without keeping anything: to look at one outcome from this state."""
        return decide(self.request, command, self.now + after, self.policy)


def created(
    command: CreateRequest | None = None,
    *,
    policy: Policy = POLICY,
    now: datetime | None = None,
) -> Flow:
    """A new request (T1) decided at `now` (default: its `requested_at`)."""
    command = command or create_command()
    at = now or command.requested_at
    outcome = decide(None, command, at, policy)
    if outcome.request is None:
        raise FlowError(f"creation refused: {outcome.refusal}")
    return Flow(outcome.request, at, policy, list(outcome.effects))


def request_in(
    status: Status,
    *,
    policy: Policy = POLICY,
    shipping_option: ShippingOption = ShippingOption.platform,
    currency: str = "USD",
    reason: Reason = Reason.missing_items,
    replacement_order: bool = True,
    tracking_known: bool = True,
    offer: str = "10.00",
    via_offer: bool = False,
    step: timedelta = HOUR,
) -> Flow:
    """A request brought to `status` with real commands, one `step` apart.

    - `awaiting_seller`: just created (with `via_offer`, after an offer the buyer declined)
    - `offer_pending`: the seller offered `offer`
    - `awaiting_shipment`: approved by the seller; with `replacement_order` the platform
      has answered with the replacement order id
    - `shipped`: shipped with the order's shipping option; for platform shipping with
      `tracking_known` the platform has answered with carrier and tracking
    - `delivered`: shipped, picked up, delivered
    - `rejected`, `refunded` (refund only), `cancelled` (by the buyer)
    """
    command = create_command(currency=currency, shipping_option=shipping_option, reason=reason)
    flow = created(command, policy=policy)
    if status is Status.awaiting_seller and not via_offer:
        return flow
    if via_offer or status is Status.offer_pending:
        flow.do(OfferPartialRefund(SELLER, amount=offer), after=step)
        if status is Status.offer_pending:
            return flow
        flow.do(DeclineOffer(BUYER), after=step)
    if status is Status.awaiting_seller:
        return flow
    if status is Status.rejected:
        flow.do(Reject(SELLER, "evidence_insufficient", "The photos show all items."), after=step)
    elif status is Status.refunded:
        flow.do(RefundOnly(SELLER), after=step)
    elif status is Status.cancelled:
        flow.do(CancelRequest(BUYER), after=step)
    else:
        _ship_through(flow, status, replacement_order, tracking_known, step)
    return flow


def _ship_through(
    flow: Flow, status: Status, replacement_order: bool, tracking_known: bool, step: timedelta
) -> None:
    flow.do(Approve(SELLER), after=step)
    if replacement_order or status is not Status.awaiting_shipment:
        flow.do(ReplacementOrderCreated(REPLACEMENT_ORDER_ID), after=step)
    if status is Status.awaiting_shipment:
        return
    if flow.request.order.shipping_option is ShippingOption.seller:
        flow.do(ArrangeShipment(SELLER, SELLER_CARRIER, SELLER_TRACKING), after=step)
    else:
        flow.do(ArrangeShipment(SELLER), after=step)
        if tracking_known or status is not Status.shipped:
            flow.do(ShipmentCreated(CARRIER, TRACKING), after=step)
    if status is Status.shipped:
        return
    flow.do(logistics(LogisticsStatus.picked_up, flow.now + step, flow), after=step)
    flow.do(logistics(LogisticsStatus.delivered, flow.now + step, flow), after=step)


def tracking_of(flow: Flow) -> str:
    shipment = flow.request.shipment
    assert shipment is not None and shipment.tracking_number is not None
    return shipment.tracking_number


def logistics(
    status: LogisticsStatus,
    occurred_at: datetime,
    flow: Flow | None = None,
    *,
    tracking_number: str | None = None,
    description: str | None = None,
) -> LogisticsUpdate:
    """A carrier event for the flow's shipment (or an explicit tracking number)."""
    number = tracking_number or (tracking_of(flow) if flow is not None else TRACKING)
    return LogisticsUpdate(
        tracking_number=number,
        carrier=CARRIER,
        status=status,
        description=description or status.value.replace("_", " "),
        occurred_at=occurred_at,
    )


def card_version(flow: Flow, card_id: str) -> int:
    card = flow.request.card(card_id)
    assert card is not None, f"no card {card_id}"
    return card.version


# --- looking at outcomes -------------------------------------------------------------------


def same_effects(actual: tuple[Effect, ...] | list[Effect], *expected: Effect) -> bool:
    """The same effects, each as often, in any order (effects hold dicts: not hashable)."""
    remaining = list(actual)
    for effect in expected:
        if effect not in remaining:
            return False
        remaining.remove(effect)
    return not remaining


def unchanged_fields(request: ReshipmentRequest) -> dict[str, object]:
    """What a refusal must leave alone: everything but the timeline, version, updated_at
    and the count of refused attempts."""
    return request.model_dump(exclude={"timeline", "version", "updated_at", "refused_attempts"})


def room_for_a_refusal(timeline: tuple[TimelineEntry, ...]) -> tuple[TimelineEntry, ...]:
    """The timeline a refusal is appended to: without its oldest refusal once
    `REFUSALS_KEPT` are kept."""
    refused = [n for n, entry in enumerate(timeline) if entry.type == "refused"]
    if len(refused) < REFUSALS_KEPT:
        return timeline
    return timeline[: refused[0]] + timeline[refused[0] + 1 :]


def assert_refused(
    before: ReshipmentRequest, outcome: Outcome, code: str, actor: Actor | None
) -> ReshipmentRequest:
    """T14: only the timeline (one `refused` entry, the oldest of a full window of
    refusals dropped), the count of refusals and the version changed; the actor (a buyer
    or seller) got one reply named `refused_<code>` and nothing else happened."""
    assert outcome.refusal is not None, "expected a refusal"
    assert outcome.refusal.code == code, outcome.refusal
    after = outcome.request
    assert after is not None, "a refused actor command is recorded"
    assert after.version == before.version + 1
    assert after.refused_attempts == before.refused_attempts + 1
    assert after.timeline[:-1] == room_for_a_refusal(before.timeline)
    entry = after.timeline[-1]
    assert entry.type == "refused"
    assert entry.actor == actor
    assert entry.detail["code"] == code
    assert unchanged_fields(after) == unchanged_fields(before)
    if actor is not None and actor.role in (Role.buyer, Role.seller):
        assert len(outcome.effects) == 1
        reply = outcome.effects[0]
        assert isinstance(reply, Notify)
        assert reply.audience is Audience(actor.role.value)
        assert reply.message == f"refused_{code}"
    else:
        assert outcome.effects == ()
    return after
