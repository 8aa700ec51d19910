"""How a pending offer ends when the request ends another way (T13), when it was answered
(T6, T7), and how a shipment ends when the carrier's events arrive out of order (T12).

README, "Behaviour": a pending offer on a request cancelled by the buyer ends `declined`,
by the platform `expired`; logistics events are kept sorted by `occurred_at`, and
`delivered` ends the request even if it arrives out of order.
"""

from __future__ import annotations

import pytest

from bot.core.commands import AcceptOffer, CancelRequest, Command, DeclineOffer, PlatformCancel
from bot.core.models import CardStatus, LogisticsStatus, OfferStatus, Status
from tests.bot.builders import (
    BUYER,
    HOUR,
    OFFER_CARD,
    T0,
    logistics,
    request_in,
)


@pytest.mark.parametrize(
    ("ending", "status"),
    [
        (CancelRequest(BUYER), OfferStatus.declined),
        (PlatformCancel(cancelled_at=T0), OfferStatus.expired),
        (AcceptOffer(BUYER), OfferStatus.accepted),
        (DeclineOffer(BUYER), OfferStatus.declined),
    ],
    ids=["buyer cancels", "platform cancels", "accepted", "declined"],
)
def test_a_pending_offer_ends_at_that_moment_and_its_card_says_how(
    ending: Command, status: OfferStatus
) -> None:
    flow = request_in(Status.offer_pending)
    flow.do(ending, after=HOUR)
    offer = flow.request.offer
    assert offer is not None
    assert (offer.status, offer.decided_at) == (status, flow.now)
    card = flow.request.card(OFFER_CARD)
    assert card is not None and card.status is CardStatus(status.value)


def test_a_decided_offer_is_left_as_it_was_when_the_buyer_cancels_later() -> None:
    flow = request_in(Status.awaiting_seller, via_offer=True)
    declined = flow.request.offer
    assert declined is not None and declined.status is OfferStatus.declined
    flow.do(CancelRequest(BUYER), after=HOUR)
    assert flow.request.offer == declined


def test_delivered_arriving_before_a_later_scan_ends_the_request_as_delivered() -> None:
    flow = request_in(Status.shipped)
    start = flow.now
    flow.do(logistics(LogisticsStatus.in_transit, start + 2 * HOUR, flow), after=HOUR)
    # the carrier's delivered event occurred earlier than the scan already received
    flow.do(logistics(LogisticsStatus.delivered, start + HOUR, flow), after=HOUR)
    assert flow.request.status is Status.delivered
    shipment = flow.request.shipment
    assert shipment is not None
    assert shipment.status == "delivered"
    assert [event.status for event in shipment.events] == [
        LogisticsStatus.delivered,
        LogisticsStatus.in_transit,
    ]


def test_after_delivery_a_later_event_is_kept_but_the_status_stays_delivered() -> None:
    flow = request_in(Status.delivered)
    flow.do(logistics(LogisticsStatus.returned_to_sender, flow.now, flow), after=HOUR)
    shipment = flow.request.shipment
    assert shipment is not None
    assert shipment.status == "delivered"
    assert shipment.events[-1].status is LogisticsStatus.returned_to_sender


def test_before_delivery_the_status_is_that_of_the_latest_event() -> None:
    flow = request_in(Status.shipped)
    start = flow.now
    flow.do(logistics(LogisticsStatus.in_transit, start + 2 * HOUR, flow), after=HOUR)
    flow.do(logistics(LogisticsStatus.picked_up, start + HOUR, flow), after=HOUR)
    shipment = flow.request.shipment
    assert shipment is not None
    assert shipment.status == "in_transit"
    assert flow.request.status is Status.shipped
