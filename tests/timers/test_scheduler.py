"""Timers through the real scheduler and dispatcher, on both stores, with a moved clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.commands import TimerKind
from bot.core.effects import EffectKind
from bot.core.models import OfferStatus, Status
from bot.runtime.services import Services
from storage.base import RequestFilter, Store
from tests.timers.rig import BUYER, Rig, settings


async def test_seller_deadline_fires_at_due_time_and_not_before(rig: Rig) -> None:
    await rig.request()
    due = (await rig.get()).deadlines.seller_due_at
    assert due == rig.clock.now() + timedelta(hours=48)
    rig.clock.set(due - timedelta(seconds=1))
    await rig.fire()
    assert (await rig.get()).status is Status.awaiting_seller  # reminder may fire, not T9
    rig.clock.set(due)
    assert await rig.fire() == 1
    approved = await rig.get()
    assert approved.status is Status.awaiting_shipment
    assert approved.decided_by is not None and approved.decided_by.value == "platform"
    assert [e.type for e in approved.timeline][-1] == "auto_approved"
    await rig.deliver()
    assert rig.platform.effects().count(EffectKind.replacement_order) == 1
    assert any("approved automatically" in t for t in rig.platform.texts("buyer"))
    assert any("approved automatically" in t for t in rig.platform.texts("seller"))
    assert (await rig.get()).replacement_order_id == "RO-RQ-1"
    assert await rig.fire() == 0  # nothing left to fire, nothing fires twice


async def test_reminder_fires_once_twelve_hours_before(rig: Rig) -> None:
    await rig.request()
    due = (await rig.get()).deadlines.seller_due_at
    assert due is not None
    rig.clock.set(due - timedelta(hours=12, seconds=1))
    assert await rig.fire() == 0
    rig.clock.set(due - timedelta(hours=12))
    assert await rig.fire() == 1
    assert (await rig.get()).seller_reminded
    await rig.deliver()
    reminders = [t for t in rig.platform.texts("seller") if t.startswith("Reminder")]
    assert len(reminders) == 1
    rig.advance(hours=1)
    assert await rig.fire() == 0


async def test_no_reminder_when_its_moment_has_passed(rig: Rig) -> None:
    # requested 40 h ago (a late event): the reminder moment, 36 h after, is in the past
    await rig.request(requested_at=rig.clock.now() - timedelta(hours=40))
    request = await rig.get()
    assert request.seller_reminder_at is None
    rig.advance(hours=7, minutes=59)
    assert await rig.fire() == 0
    await rig.deliver()
    assert not [t for t in rig.platform.texts("seller") if t.startswith("Reminder")]
    rig.advance(minutes=1)
    assert await rig.fire() == 1
    assert (await rig.get()).status is Status.awaiting_shipment


async def test_offer_lapses_and_the_seller_clock_resumes_with_what_was_left(rig: Rig) -> None:
    await rig.request()
    rig.advance(hours=38)  # 10 h of the seller's 48 h are left
    assert (await rig.chat("/offer 10")).verdict == "processed"
    offer = (await rig.get()).offer
    assert offer is not None and offer.seller_remaining == timedelta(hours=10)
    rig.clock.set(offer.expires_at - timedelta(seconds=1))
    assert await rig.fire() == 0
    rig.clock.set(offer.expires_at)
    assert await rig.fire() == 1
    lapsed = await rig.get()
    assert lapsed.status is Status.awaiting_seller
    assert lapsed.offer is not None and lapsed.offer.status is OfferStatus.expired
    assert lapsed.deadlines.seller_due_at == offer.expires_at + timedelta(hours=10)
    # the reminder (12 h before) is already past: only the deadline is left
    assert lapsed.seller_reminder_at is None
    await rig.deliver()
    offer_card = next(c for c in lapsed.cards if c.kind.value == "offer")
    assert offer_card.status.value == "expired"
    rig.advance(hours=10)
    assert await rig.fire() == 1
    assert (await rig.get()).status is Status.awaiting_shipment


async def test_declined_offer_gives_the_seller_the_remaining_time(rig: Rig) -> None:
    await rig.request()
    rig.advance(hours=38)
    await rig.chat("/offer 10")
    rig.advance(hours=3)
    await rig.chat("/decline", sender=BUYER)
    declined = await rig.get()
    assert declined.deadlines.seller_due_at == rig.clock.now() + timedelta(hours=10)
    rig.advance(hours=10, seconds=-1)
    assert await rig.fire() == 0
    rig.advance(seconds=1)
    assert await rig.fire() == 1  # the seller deadline, ten hours after the decline
    assert (await rig.get()).status is Status.awaiting_shipment
    rig.advance(hours=11)  # past the old offer expiry: that timer went with the decline
    assert await rig.fire() == 0


async def test_ship_by_marks_overdue_once_and_warns_the_seller(rig: Rig) -> None:
    await rig.request()
    await rig.chat("/approve")
    ship_by = (await rig.get()).deadlines.ship_by
    assert ship_by is not None
    rig.clock.set(ship_by - timedelta(seconds=1))
    assert await rig.fire() == 0
    rig.clock.set(ship_by)
    assert await rig.fire() == 1
    overdue = await rig.get()
    assert overdue.overdue and overdue.status is Status.awaiting_shipment
    rig.advance(days=3)
    assert await rig.fire() == 0
    await rig.deliver()
    warnings = [t for t in rig.platform.texts("seller") if "was due to ship" in t]
    assert len(warnings) == 1
    listed = await rig.store.list_requests(RequestFilter(overdue=True), 10)
    assert [r.request_id for r in listed.items] == ["RQ-1"]


async def test_accept_racing_the_offer_expiry_has_exactly_one_outcome(rig: Rig) -> None:
    """The buyer's click and the lapse run at the same moment, many times over."""
    outcomes = []
    for round_ in range(12):
        request_id = f"RQ-R{round_}"
        conversation = f"conv-{request_id}"
        await rig.request(request_id)
        await rig.chat("/offer 10", conversation_id=conversation)
        offer = (await rig.get(request_id)).offer
        assert offer is not None
        # the timer is claimed as due while the click is still in time (1 ms before)
        rig.clock.set(offer.expires_at - timedelta(milliseconds=1 if round_ % 2 else 0))
        claims = await rig.store.claim_timers(offer.expires_at, 100, timedelta(seconds=30))
        [claim] = [c for c in claims if c.request_id == request_id]
        assert claim.kind is TimerKind.offer_expiry
        await asyncio.gather(
            rig.services.dispatcher.fire_timer(claim),
            rig.chat("/accept", sender=BUYER, conversation_id=conversation),
        )
        await rig.fire()
        final = await rig.get(request_id)
        types = [entry.type for entry in final.timeline]
        assert (types.count("offer_accepted"), types.count("offer_expired")) in ((1, 0), (0, 1))
        if final.status is Status.refunded:
            assert final.offer is not None and final.offer.status is OfferStatus.accepted
        else:
            assert final.status is Status.awaiting_seller
            assert final.offer is not None and final.offer.status is OfferStatus.expired
        outcomes.append(final.status)
        rig.clock.set(offer.expires_at + timedelta(minutes=1))
    await rig.deliver()
    refunds = [c for c in rig.platform.calls if c.effect is EffectKind.refund]
    assert len(refunds) == outcomes.count(Status.refunded)
    assert Status.refunded in outcomes and Status.awaiting_seller in outcomes


async def test_a_timer_claimed_too_early_is_put_back(rig: Rig) -> None:
    """A claimer whose clock runs ahead fires nothing and gives the timer back."""
    await rig.request()
    due = (await rig.get()).deadlines.seller_due_at
    assert due is not None
    claims = await rig.store.claim_timers(due + timedelta(hours=1), 100, timedelta(hours=1))
    deadline = next(c for c in claims if c.kind is TimerKind.seller_deadline)
    result = await rig.services.dispatcher.fire_timer(deadline)  # the rig's clock: not due
    assert result.code == "nothing"
    assert (await rig.get()).status is Status.awaiting_seller
    rig.clock.set(due)
    assert await rig.fire() >= 1  # back at its real due time, not an hour later
    assert (await rig.get()).status is Status.awaiting_shipment


async def test_the_offer_key_lives_exactly_as_long_as_the_pending_offer(rig: Rig) -> None:
    await rig.request()
    assert await rig.store.offer_ttl("conv-RQ-1", "RQ-1") is None
    await rig.chat("/offer 10")
    ttl = await rig.store.offer_ttl("conv-RQ-1", "RQ-1")
    assert ttl is not None and timedelta(hours=23, minutes=59) < ttl <= timedelta(hours=24)
    await rig.chat("/decline", sender=BUYER)
    assert await rig.store.offer_ttl("conv-RQ-1", "RQ-1") is None


async def test_a_web_only_process_runs_no_timers(store: Store, clock: FakeClock) -> None:
    services = Services(settings(), clock, role="web", store=store)
    await services.start()
    try:
        assert services.scheduler is None and services.outbox is None
    finally:
        await services.stop()
    everything = Services(settings(), clock, role="all", store=store)
    await everything.start()
    try:
        assert everything.scheduler is not None and everything.outbox is not None
    finally:
        await everything.stop()
