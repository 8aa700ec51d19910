"""Two server processes on one Redis, handed the same actions at the same moment.

Process A and process B (`reshipbot serve`, role all) share one Redis and one platform.
For 20 conversations at once:
- the same event (same event id, same body) goes to A and B together: the request,
  then the seller's `/offer`;
- the buyer's accept click goes to both, as two events (distinct ids) with the same token.
For 20 more, the seller's `/approve` goes to both as two events.
Every answer is 200; each action has one outcome, one timeline entry and one effect; the
second of two events for one action is refused (the request has moved on), with no effect.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from tests.e2e.harness import BUYER, SELLER, chat_data, click_data, requested_data
from tests.faults.conftest import MakeFleet
from tests.faults.support import (
    Report,
    Sent,
    WebhookSender,
    assert_once_per_key,
    wait_card,
    wait_request,
)

ROUNDS = 20


async def both(sender: WebhookSender, a: str, b: str, first: Sent, second: Sent) -> None:
    """`first` to A and `second` to B at the same moment (they may be one event)."""
    await asyncio.gather(sender.deliver(first, url=a), sender.deliver(second, url=b))


def same_event_twice(sender: WebhookSender, type_: str, data: dict[str, Any]) -> tuple[Sent, Sent]:
    event = sender.make(type_, data)
    twin = Sent(event.event_id, event.type, event.data, event.body)
    sender.log.append(twin)
    return event, twin


def entries(request: dict[str, Any]) -> Counter[str]:
    return Counter(entry["type"] for entry in request["timeline"])


@pytest.mark.timeout(90)
async def test_two_processes_given_the_same_actions_act_once(
    make_fleet: MakeFleet, redis_url: str, report: Report
) -> None:
    fleet = await make_fleet(redis_url)
    a, b = (await fleet.start()).url, (await fleet.start()).url
    bot = fleet.harness
    sender = WebhookSender(bot)
    offered = [(f"RQ-P{n}", f"conv-p{n}") for n in range(ROUNDS)]
    approved = [(f"RQ-Q{n}", f"conv-q{n}") for n in range(ROUNDS)]

    async def offer_round(rid: str, conv: str) -> None:
        created = same_event_twice(
            sender, "reshipment.requested", requested_data(rid, conv, bot.clock)
        )
        await both(sender, a, b, *created)
        await wait_card(bot, f"{rid}.request.seller")
        offer = same_event_twice(sender, "chat.message", chat_data("/offer 10", SELLER, conv))
        await both(sender, a, b, *offer)
        card = await wait_card(bot, f"{rid}.offer.buyer")
        accept = click_data(card, "accept_offer", BUYER, conversation_id=conv)
        clicks = sender.make("card.action", accept), sender.make("card.action", accept)
        await both(sender, a, b, *clicks)

    async def approve_round(rid: str, conv: str) -> None:
        made = await sender.deliver(
            sender.make("reshipment.requested", requested_data(rid, conv, bot.clock)), url=a
        )
        assert made.ok
        await wait_card(bot, f"{rid}.request.seller")
        approvals = (
            sender.make("chat.message", chat_data("/approve", SELLER, conv)),
            sender.make("chat.message", chat_data("/approve", SELLER, conv)),
        )
        await both(sender, a, b, *approvals)

    await asyncio.gather(
        *(offer_round(*ids) for ids in offered), *(approve_round(*ids) for ids in approved)
    )
    answers = Counter(str(attempt) for s in sender.log for attempt in s.attempts)
    assert set(answers) == {"200"}, answers

    found: dict[str, dict[str, Any]] = {}
    for rid, _ in offered:
        found[rid] = await wait_request(bot, rid, lambda r: entries(r)["refund_issued"])
    for rid, _ in approved:
        found[rid] = await wait_request(bot, rid, lambda r: entries(r)["replacement_order_created"])
    await bot.settle(quiet=0.5)

    outcomes: Counter[str] = Counter()
    for rid, _ in offered:
        request, seen = found[rid], entries(found[rid])
        assert request["status"] == "refunded" and request["offers_made"] == 1, rid
        assert seen["requested"] == 1 and seen["offer_made"] == 1, (rid, seen)
        assert seen["offer_accepted"] == 1 and seen["refused"] == 1, (rid, seen)
        assert seen["refund_issued"] == 1, (rid, seen)
        assert bot.platform.effect_count(f"refund:{rid}") == 1
        outcomes.update(seen)
    for rid, _ in approved:
        request, seen = found[rid], entries(found[rid])
        assert request["status"] == "awaiting_shipment" and request["decided_by"] == "seller"
        assert seen["approved"] == 1 and seen["refused"] == 1, (rid, seen)
        assert seen["replacement_order_created"] == 1, (rid, seen)
        assert bot.platform.effect_count(f"replacement-order:{rid}") == 1
        outcomes.update(seen)
    by_key = assert_once_per_key(bot.platform)
    refunds = Counter(r["request_id"] for r in bot.platform.refunds)
    orders = Counter(o["request_id"] for o in bot.platform.replacement_orders)
    assert refunds == Counter(rid for rid, _ in offered)
    assert orders == Counter(rid for rid, _ in approved)
    duplicates = sum(
        1 for s in sender.log if s.event_id in {t.event_id for t in sender.log if t is not s}
    )
    report(
        f"{ROUNDS} conversations x (request and /offer as one event to both processes, "
        f"accept as two events), {ROUNDS} x /approve as two events: {len(sender.log)} "
        f"deliveries, all answered 200 ({duplicates} were the same event twice)"
    )
    report(
        f"{len(refunds)} refunds (1 per accepted offer), {len(orders)} replacement orders "
        f"(1 per approval); timeline totals {dict(outcomes)}; {len(by_key)} keys, none with "
        f"2 effects"
    )
