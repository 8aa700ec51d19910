"""Reshipment requests in four open states, built by the rules, copied by the thousand.

    requested · offer pending · awaiting shipment · shipped with 3 tracking events

Each state's request is built once with `bot.rules.decide` (so its JSON is what the bot
stores) for ids containing `PLACEHOLDER`, then `clone(template, n)` gives request n with
ids of the same length: copying, not validating, because 100,000 validations take a
minute. The request data is what `tests.bench.events.requested` sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.core.commands import (
    Approve,
    ArrangeShipment,
    Command,
    CreateRequest,
    LogisticsUpdate,
    OfferPartialRefund,
    ReplacementOrderCreated,
    RequestedItem,
    ShipmentCreated,
)
from bot.core.models import (
    Actor,
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
)
from bot.core.policy import Policy
from bot.core.rules import decide

PLACEHOLDER = "QQQQQQQ"
SELLER = Actor(role=Role.seller, id="seller-bench")
TRACKING_STEPS = (
    LogisticsStatus.picked_up,
    LogisticsStatus.in_transit,
    LogisticsStatus.out_for_delivery,
)


def create_command(
    request_id: str,
    conversation_id: str,
    now: datetime,
    shipping_option: ShippingOption = ShippingOption.platform,
) -> CreateRequest:
    """What `tests.bench.events.requested` sends, as the rules' command."""
    return CreateRequest(
        request_id=request_id,
        shop_id="shop-bench",
        conversation_id=conversation_id,
        requested_at=now,
        reason=Reason.broken_or_unusable,
        items=(RequestedItem("L1", 2),),
        evidence=Evidence(
            note="Two of the three mugs arrived cracked.", image_urls=("https://img.example/1.jpg",)
        ),
        buyer=Buyer(id=f"buyer-{conversation_id}", locale="en"),
        seller=Seller(id="seller-bench", locale="en", timezone="Asia/Bangkok", region="TH"),
        order=Order(
            order_id=f"order-{request_id}",
            currency="USD",
            shipping_option=shipping_option,
            lines=(
                OrderLine(
                    line_id="L1",
                    sku="MUG",
                    name="Blue mug",
                    quantity=3,
                    unit_price=Decimal("12.50"),
                ),
                OrderLine(
                    line_id="L2",
                    sku="TEA",
                    name="Green tea",
                    quantity=1,
                    unit_price=Decimal("8.00"),
                ),
            ),
        ),
    )


@dataclass(frozen=True)
class State:
    name: str
    steps: tuple[Command, ...]  # after the creation
    events: int  # webhook events that led here (each leaves a processed-event marker)


def states(tracking: str, now: datetime) -> list[State]:
    moves = tuple(
        LogisticsUpdate(
            tracking, "Flash", status, f"{status.value} at hub", now + timedelta(minutes=10 + i)
        )
        for i, status in enumerate(TRACKING_STEPS)
    )
    approved = (Approve(SELLER), ReplacementOrderCreated(f"RO-{PLACEHOLDER}"))
    return [
        State("requested", (), 1),
        State("offer pending", (OfferPartialRefund(SELLER, percent=Decimal(40)),), 2),
        State("awaiting shipment", approved, 2),
        State(
            "shipped, 3 tracking events",
            (*approved, ArrangeShipment(SELLER), ShipmentCreated("Flash", tracking), *moves),
            6,
        ),
    ]


def template(state: State, now: datetime) -> ReshipmentRequest:
    """The state's request, for ids containing PLACEHOLDER."""
    request: ReshipmentRequest | None = None
    commands = (create_command(f"MR{PLACEHOLDER}", f"mc{PLACEHOLDER}", now), *state.steps)
    for minute, command in enumerate(commands):
        outcome = decide(request, command, now + timedelta(minutes=minute), Policy())
        if outcome.request is None:
            raise RuntimeError(
                f"{state.name}: {type(command).__name__} was refused: {outcome.refusal}"
            )
        request = outcome.request
    assert request is not None
    return request


def clone(original: ReshipmentRequest, n: int) -> ReshipmentRequest:
    """`original` (a template) with request n's ids: its own, its conversation's, its cards', order,
    buyer, replacement order and tracking number (timeline details keep the template's,
    which are as long). Copying, not validating: 100,000 validations take a minute."""
    digits = f"{n:07d}"

    def swap(text: str) -> str:
        return text.replace(PLACEHOLDER, digits)

    update: dict[str, object] = {
        "request_id": swap(original.request_id),
        "conversation_id": swap(original.conversation_id),
        "order": original.order.model_copy(update={"order_id": swap(original.order.order_id)}),
        "buyer": original.buyer.model_copy(update={"id": swap(original.buyer.id)}),
        "cards": tuple(
            card.model_copy(update={"card_id": swap(card.card_id)}) for card in original.cards
        ),
    }
    if original.replacement_order_id is not None:
        update["replacement_order_id"] = swap(original.replacement_order_id)
    shipment = original.shipment
    if shipment is not None and shipment.tracking_number is not None:
        update["shipment"] = shipment.model_copy(
            update={"tracking_number": swap(shipment.tracking_number)}
        )
    return original.model_copy(update=update)


def templates(now: datetime) -> tuple[list[State], list[ReshipmentRequest]]:
    """The four states and their requests (ids with PLACEHOLDER), all at `now`."""
    built = states(f"TRK{PLACEHOLDER}", now)
    return built, [template(state, now) for state in built]
