"""Sample requests in every state a card can show, for `reshipbot cards preview` and tests.

Each scenario starts from a `reshipment.requested` command and applies what a real run
would see (seller actions, buyer answers, timers, the platform's and the carrier's
answers) through `bot.rules.decide`, so every sample card is one the bot can send.
A `Market` sets who reads them: the buyer's and the seller's locale and clock, the
currency and its usual prices. Not on the hot path: nothing in the service imports this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.core.commands import (
    AcceptOffer,
    Approve,
    ArrangeShipment,
    CancelRequest,
    Command,
    CreateRequest,
    DeclineOffer,
    LogisticsUpdate,
    OfferPartialRefund,
    PlatformCancel,
    RefundOnly,
    Reject,
    ReplacementOrderCreated,
    RequestedItem,
    ShipmentCreated,
    TimerFired,
    TimerKind,
)
from bot.core.models import (
    Actor,
    Buyer,
    CardKind,
    Evidence,
    LogisticsStatus,
    Order,
    OrderLine,
    Reason,
    ReshipmentRequest,
    Role,
    Seller,
    ShippingOption,
)
from bot.core.policy import Policy
from bot.core.rules import decide
from bot.core.schedule import timers_for

# Thursday 26 November 2026, 09:00 UTC (16:00 in Bangkok).
T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
POLICY = Policy()
REQUEST_ID = "RQ-1001"
SELLER = Actor(role=Role.seller, id="seller-7")
BUYER = Actor(role=Role.buyer, id="buyer-3")
CARRIER = "Kerry Express"
TRACKING = "KEX123456789TH"

# (mug, plate, partial refund offered) in each currency, as a shop there would price them.
PRICES: dict[str, tuple[str, str, str]] = {
    "USD": ("12.50", "8.99", "10.00"),
    "EUR": ("11.90", "7.50", "9.00"),
    "THB": ("450.00", "320.00", "400.00"),
    "IDR": ("185000.00", "129000.00", "150000.00"),
    "VND": ("290000", "185000", "250000"),
    "JPY": ("1250", "899", "1000"),
}


@dataclass(frozen=True)
class Market:
    """Where a sample request happens: the readers' locale and clocks, and the money."""

    name: str
    locale: str
    currency: str
    seller_timezone: str
    buyer_timezone: str | None  # None: the buyer reads the seller's clock
    region: str


MARKETS: dict[str, Market] = {
    market.name: market
    for market in (
        Market("en", "en", "USD", "Asia/Bangkok", None, "TH"),
        Market("en_jpy", "en", "JPY", "Asia/Tokyo", None, "JP"),
        Market("es", "es-ES", "EUR", "Europe/Madrid", "Atlantic/Canary", "ES"),
        Market("id", "id-ID", "IDR", "Asia/Jakarta", "Asia/Makassar", "ID"),
        Market("th", "th-TH", "THB", "Asia/Bangkok", None, "TH"),
        Market("vi", "vi-VN", "VND", "Asia/Ho_Chi_Minh", None, "VN"),
    )
}
# The market each supported locale is previewed in.
LOCALE_MARKETS = {"en": "en", "es": "es", "id": "id", "th": "th", "vi": "vi"}


def order_lines(currency: str = "USD", *, name: str = "Ceramic mug") -> tuple[OrderLine, ...]:
    mug, plate, _ = PRICES.get(currency, PRICES["USD"])
    return (
        OrderLine(line_id="L1", sku="MUG-1", name=name, quantity=3, unit_price=Decimal(mug)),
        OrderLine(
            line_id="L2", sku="PLT-4", name="Dinner plate", quantity=4, unit_price=Decimal(plate)
        ),
    )


def create_command(
    *,
    request_id: str = REQUEST_ID,
    currency: str = "USD",
    lines: tuple[OrderLine, ...] | None = None,
    items: tuple[RequestedItem, ...] = (RequestedItem("L1", 2), RequestedItem("L2", 1)),
    note: str = "The box arrived open and two mugs were missing.",
    image_urls: tuple[str, ...] = ("https://img.example/1.jpg", "https://img.example/2.jpg"),
    seller_locale: str = "en",
    seller_timezone: str = "Asia/Bangkok",
    buyer_locale: str = "en",
    buyer_timezone: str | None = None,
    region: str = "TH",
    shipping_option: ShippingOption = ShippingOption.platform,
    reason: Reason = Reason.missing_items,
) -> CreateRequest:
    return CreateRequest(
        request_id=request_id,
        shop_id="shop-1",
        conversation_id="conv-1",
        requested_at=T0,
        reason=reason,
        items=items,
        evidence=Evidence(note=note, image_urls=image_urls),
        buyer=Buyer(id=BUYER.id, locale=buyer_locale, timezone=buyer_timezone),
        seller=Seller(id=SELLER.id, locale=seller_locale, timezone=seller_timezone, region=region),
        order=Order(
            order_id="ORD-5501",
            currency=currency,
            shipping_option=shipping_option,
            lines=lines if lines is not None else order_lines(currency),
        ),
    )


def market_command(market: Market) -> CreateRequest:
    """The sample request of `market`: both parties read its locale, prices in its money."""
    return create_command(
        currency=market.currency,
        seller_locale=market.locale,
        buyer_locale=market.locale,
        seller_timezone=market.seller_timezone,
        buyer_timezone=market.buyer_timezone,
        region=market.region,
    )


@dataclass(frozen=True)
class Flow:
    """A request and its clock; every step goes through `decide` and must be applied."""

    request: ReshipmentRequest
    now: datetime

    def then(self, command: Command, *, after: timedelta = timedelta(minutes=30)) -> Flow:
        now = self.now + after
        outcome = decide(self.request, command, now, POLICY)
        if outcome.refusal is not None or outcome.request is None:
            raise AssertionError(f"{command!r} was not applied: {outcome.refusal}")
        return Flow(outcome.request, now)

    def when_due(self, kind: TimerKind) -> Flow:
        """Fire the timer `kind` at its due time."""
        due = timers_for(self.request)[kind]
        return self.then(TimerFired(kind), after=due - self.now)


def created(command: CreateRequest | None = None) -> Flow:
    outcome = decide(None, command or create_command(), T0, POLICY)
    assert outcome.request is not None, outcome.refusal
    return Flow(outcome.request, T0)


def offered(flow: Flow) -> Flow:
    """The seller offers a partial refund (10.00 in USD; the market's usual amount else)."""
    amount = PRICES.get(flow.request.currency, PRICES["USD"])[2]
    return flow.then(OfferPartialRefund(SELLER, amount=amount), after=timedelta(hours=5))


def approved(flow: Flow) -> Flow:
    return flow.then(Approve(SELLER), after=timedelta(hours=3))


def with_replacement(flow: Flow) -> Flow:
    return flow.then(ReplacementOrderCreated("RO-88"), after=timedelta(minutes=1))


def shipped(flow: Flow) -> Flow:
    """Platform shipping: arranged, then the platform answers with carrier and tracking."""
    arranged = with_replacement(approved(flow)).then(ArrangeShipment(SELLER))
    return arranged.then(ShipmentCreated(CARRIER, TRACKING), after=timedelta(minutes=2))


def carrier_event(flow: Flow, status: LogisticsStatus, description: str, hours: int) -> Flow:
    shipment = flow.request.shipment
    assert shipment is not None and shipment.tracking_number and shipment.carrier
    update = LogisticsUpdate(
        tracking_number=shipment.tracking_number,
        carrier=shipment.carrier,
        status=status,
        description=description,
        occurred_at=flow.now + timedelta(hours=hours),
    )
    return flow.then(update, after=timedelta(hours=hours, minutes=1))


def in_transit(flow: Flow) -> Flow:
    flow = carrier_event(shipped(flow), LogisticsStatus.label_created, "Label printed", 1)
    flow = carrier_event(flow, LogisticsStatus.picked_up, "Picked up in Bangkok", 3)
    flow = carrier_event(flow, LogisticsStatus.in_transit, "Arrived at the sorting hub", 10)
    return carrier_event(flow, LogisticsStatus.out_for_delivery, "", 12)


def delivered(flow: Flow) -> Flow:
    return carrier_event(in_transit(flow), LogisticsStatus.delivered, "Left at the door", 4)


# --- the scenarios: one state of the request each ------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    kind: CardKind  # the card this scenario is about
    build: Callable[[CreateRequest | None], Flow]

    def request(self, command: CreateRequest | None = None) -> ReshipmentRequest:
        return self.build(command).request

    def card_id(self, request: ReshipmentRequest) -> str:
        (state,) = [card for card in request.cards if card.kind is self.kind]
        return state.card_id


def _c(command: CreateRequest | None) -> Flow:
    return created(command)


def _seller_ships(command: CreateRequest | None) -> Flow:
    """The same request, on an order the seller ships themselves."""
    command = command or create_command()
    order = command.order.model_copy(update={"shipping_option": ShippingOption.seller})
    return created(replace(command, order=order))


def _items(*items: RequestedItem, photos: int) -> Callable[[CreateRequest | None], Flow]:
    """The same request about other items (the plural cases), with `photos` photos."""

    def build(command: CreateRequest | None) -> Flow:
        command = command or create_command()
        urls = tuple(f"https://img.example/{n}.jpg" for n in range(1, photos + 1))
        evidence = Evidence(note=command.evidence.note, image_urls=urls)
        return created(replace(command, items=items, evidence=evidence))

    return build


_REQUEST = CardKind.request
_OFFER = CardKind.offer
_SHIPMENT = CardKind.shipment
_OUTCOME = CardKind.outcome

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("request_awaiting_seller", _REQUEST, _c),
    Scenario("request_one_item", _REQUEST, _items(RequestedItem("L2", 1), photos=1)),
    Scenario("request_two_items", _REQUEST, _items(RequestedItem("L1", 2), photos=2)),
    Scenario("request_offer_pending", _REQUEST, lambda c: offered(_c(c))),
    Scenario(
        "request_offer_declined",
        _REQUEST,
        lambda c: offered(_c(c)).then(DeclineOffer(BUYER), after=timedelta(hours=2)),
    ),
    Scenario(
        "request_offer_expired",
        _REQUEST,
        lambda c: offered(_c(c)).when_due(TimerKind.offer_expiry),
    ),
    Scenario("request_approved", _REQUEST, lambda c: approved(_c(c))),
    Scenario(
        "request_approved_seller_shipping",
        _REQUEST,
        lambda c: with_replacement(approved(_seller_ships(c))),
    ),
    Scenario(
        "request_auto_approved",
        _REQUEST,
        lambda c: with_replacement(_c(c).when_due(TimerKind.seller_deadline)),
    ),
    Scenario(
        "request_overdue",
        _REQUEST,
        lambda c: with_replacement(approved(_c(c))).when_due(TimerKind.ship_by),
    ),
    Scenario(
        "request_shipment_arranging",
        _REQUEST,
        lambda c: with_replacement(approved(_c(c))).then(ArrangeShipment(SELLER)),
    ),
    Scenario("request_shipped", _REQUEST, lambda c: in_transit(_c(c))),
    Scenario("request_delivered", _REQUEST, lambda c: delivered(_c(c))),
    Scenario(
        "request_rejected",
        _REQUEST,
        lambda c: _c(c).then(
            Reject(SELLER, "evidence_insufficient", "The photos show a sealed, complete box.")
        ),
    ),
    Scenario("request_refunded_full", _REQUEST, lambda c: _c(c).then(RefundOnly(SELLER))),
    Scenario(
        "request_refunded_partial",
        _REQUEST,
        lambda c: offered(_c(c)).then(AcceptOffer(BUYER)),
    ),
    Scenario(
        "request_cancelled_by_buyer",
        _REQUEST,
        lambda c: _c(c).then(CancelRequest(BUYER)),
    ),
    Scenario(
        "request_cancelled_by_platform",
        _REQUEST,
        lambda c: approved(_c(c)).then(PlatformCancel(T0 + timedelta(hours=4))),
    ),
    Scenario("offer_open", _OFFER, lambda c: offered(_c(c))),
    Scenario("offer_accepted", _OFFER, lambda c: offered(_c(c)).then(AcceptOffer(BUYER))),
    Scenario(
        "offer_declined",
        _OFFER,
        lambda c: offered(_c(c)).then(DeclineOffer(BUYER), after=timedelta(hours=2)),
    ),
    Scenario("offer_expired", _OFFER, lambda c: offered(_c(c)).when_due(TimerKind.offer_expiry)),
    Scenario(
        "offer_declined_by_cancelling",
        _OFFER,
        lambda c: offered(_c(c)).then(CancelRequest(BUYER)),
    ),
    Scenario(
        "offer_expired_by_platform_cancel",
        _OFFER,
        lambda c: offered(_c(c)).then(PlatformCancel(T0 + timedelta(hours=6))),
    ),
    Scenario("shipment_just_shipped", _SHIPMENT, lambda c: shipped(_c(c))),
    Scenario("shipment_in_transit", _SHIPMENT, lambda c: in_transit(_c(c))),
    Scenario(
        "shipment_seller_shipping",
        _SHIPMENT,
        lambda c: with_replacement(approved(_seller_ships(c))).then(
            ArrangeShipment(SELLER, "Flash Express", "TH0123456789A")
        ),
    ),
    Scenario("shipment_delivered", _SHIPMENT, lambda c: delivered(_c(c))),
    Scenario(
        "outcome_rejected",
        _OUTCOME,
        lambda c: _c(c).then(
            Reject(SELLER, "damage_after_delivery", "The mug was broken after it was used.")
        ),
    ),
    Scenario("outcome_refunded_full", _OUTCOME, lambda c: _c(c).then(RefundOnly(SELLER))),
    Scenario(
        "outcome_refunded_partial",
        _OUTCOME,
        lambda c: offered(_c(c)).then(AcceptOffer(BUYER)),
    ),
    Scenario("outcome_cancelled_by_buyer", _OUTCOME, lambda c: _c(c).then(CancelRequest(BUYER))),
    Scenario(
        "outcome_cancelled_by_platform",
        _OUTCOME,
        lambda c: _c(c).then(PlatformCancel(T0 + timedelta(hours=1))),
    ),
    Scenario("outcome_delivered", _OUTCOME, lambda c: delivered(_c(c))),
)

SCENARIO_BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}
