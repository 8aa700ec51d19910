"""The console's pure parts: words for times and states, the queue's query, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.core.models import Status
from bot.web.console.auth import Sessions
from bot.web.console.reads import QueueQuery
from bot.web.console.views import (
    NEEDS_SELLER,
    Times,
    agent_zone,
    deadlines,
    money,
    next_step,
    relative,
)
from tests.factories import NOW, make_request


@pytest.mark.parametrize(
    ("seconds", "deadline", "words"),
    [
        (0, True, "in 0 s"),
        (59.9, True, "in 59 s"),
        (60, True, "in 1 min"),
        (3599, True, "in 59 min"),
        (3600, True, "in 1 h"),
        (3660, True, "in 1 h 1 min"),
        (86400, True, "in 1 d"),
        (86400 + 3 * 3600 + 59, True, "in 1 d 3 h"),
        (-300, True, "5 min ago, overdue"),
        (-300, False, "5 min ago"),
        (-2 * 86400, False, "2 d ago"),
    ],
)
def test_relative_words(seconds: float, deadline: bool, words: str) -> None:
    assert relative(seconds, deadline=deadline) == words


def test_moments_are_absolute_in_the_agents_zone_and_relative_to_now() -> None:
    at = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    bangkok = Times(at - timedelta(hours=2), agent_zone("Asia/Bangkok")).at(at, deadline=True)
    assert bangkok is not None
    assert bangkok.absolute == "2026-11-26 16:00 +07"
    assert bangkok.iso == "2026-11-26T09:00:00Z" and bangkok.relative == "in 2 h"
    utc = Times(at + timedelta(minutes=5), agent_zone(None)).at(at, deadline=True)
    assert utc is not None and utc.absolute == "2026-11-26 09:00 UTC"
    assert utc.relative == "5 min ago, overdue" and utc.past


@pytest.mark.parametrize("name", [None, "", "Not/AZone", "../../etc/passwd", "UTC\n", "x" * 99])
def test_an_unknown_zone_is_utc(name: str | None) -> None:
    assert agent_zone(name).key == "UTC"


def test_money_has_the_currencys_digits() -> None:
    assert money(Decimal("1234.5"), "USD") == "1,234.50\xa0USD"
    assert money(Decimal("1234"), "JPY") == "1,234\xa0JPY"
    assert money(None, "USD") == "—"


@pytest.mark.parametrize(
    ("status", "actor"),
    [
        (Status.awaiting_seller, "seller"),
        (Status.offer_pending, "buyer"),
        (Status.awaiting_shipment, "seller"),
        (Status.shipped, "carrier"),
        (Status.delivered, "nobody"),
        (Status.rejected, "nobody"),
        (Status.refunded, "nobody"),
        (Status.cancelled, "nobody"),
    ],
)
def test_who_acts_next(status: Status, actor: str) -> None:
    step = next_step(make_request("req-1", status=status))
    assert step.actor == actor
    assert (step.due is not None) == (status in (*NEEDS_SELLER, Status.offer_pending))


def test_a_pending_offer_pauses_the_sellers_clock() -> None:
    shown = deadlines(make_request("req-1", status=Status.offer_pending))
    assert [d.label for d in shown] == ["Buyer answers the offer by", "Seller's time to answer"]
    assert shown[0].running and not shown[1].running and "paused" in shown[1].note


def test_the_queue_query_reads_and_writes_its_filters() -> None:
    query = QueueQuery.parse(
        {"status": "awaiting_seller", "need": "seller", "shop": " s1 ", "overdue": "1"}
    )
    assert query == QueueQuery("awaiting_seller", "seller", "s1", True)
    where = query.request_filter()
    assert where.status == {Status.awaiting_seller} and where.shop_id == "s1"
    assert where.overdue is True and not where.open_only
    assert query.link() == "/agent?status=awaiting_seller&need=seller&shop=s1&overdue=1"
    assert query.link(need="", overdue=False) == "/agent?status=awaiting_seller&shop=s1"
    assert QueueQuery().link() == "/agent" and not QueueQuery(cursor="c").filtered
    assert QueueQuery().page_link("a b") == "/agent?cursor=a+b"
    assert QueueQuery(need="buyer").page_link("c") == "/agent?need=buyer&cursor=c"
    assert QueueQuery.parse({"status": "nope", "need": "nope"}) == QueueQuery()
    buyer = QueueQuery(need="buyer").request_filter()
    assert buyer.status == {Status.offer_pending} and buyer.open_only


def test_sessions_are_signed_expire_and_name_no_token() -> None:
    sessions = Sessions(["token-a", "token-b"])
    assert sessions.token_index("token-b") == 1 and sessions.token_index("token-c") is None
    value = sessions.issue(1, NOW)
    assert "token" not in value
    assert sessions.valid(value, NOW + timedelta(hours=11))
    assert not sessions.valid(value, NOW + timedelta(hours=12, seconds=1))
    assert not sessions.valid(value, NOW - timedelta(minutes=10))  # from the future
    assert not Sessions(["token-a"]).valid(value, NOW)  # token-b was removed
    assert not sessions.valid(value[:-1] + ("0" if value[-1] != "0" else "1"), NOW)
    assert not sessions.valid(None, NOW) and not sessions.valid("v1." * 100, NOW)
