"""The `Store` contract for the agents' queue (`list_requests`), against both backends:
nearest deadline first, ties by request id, no deadline last, filters, stable cursors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.core.models import ReshipmentRequest, Status
from bot.core.schedule import nearest_deadline
from storage import Store
from storage.base import RequestFilter
from tests.factories import NOW, make_request, next_version
from tests.storage.helpers import save

STATUSES = list(Status)
FAR = datetime.max.replace(tzinfo=NOW.tzinfo)


def _queue_order(requests: list[ReshipmentRequest]) -> list[str]:
    def place(request: ReshipmentRequest) -> tuple[datetime, str]:
        deadline = nearest_deadline(request)
        return (
            FAR if deadline is None or request.status.terminal else deadline,
            request.request_id,
        )

    return [request.request_id for request in sorted(requests, key=place)]


async def _fill(store: Store, count: int) -> list[ReshipmentRequest]:
    """`count` requests over many conversations; deadlines on a few seconds only (ties)."""
    requests = []
    for n in range(count):
        status = STATUSES[n % len(STATUSES)]
        requested_at = NOW + (n % 3) * timedelta(seconds=1)
        request = make_request(
            f"req-{(n * 7919) % 1000:03d}",
            f"conv-{n % 41}",
            status=status,
            requested_at=requested_at,
            decided_at=requested_at,
            shop_id=f"shop-{(n % 41) % 2}",  # a conversation is of one shop
            overdue=status is Status.awaiting_shipment and n % 16 == 2,
        )
        await save(store, request, expected_version=0)
        requests.append(request)
    return requests


async def _walk(store: Store, where: RequestFilter, page_size: int) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(1000):
        page = await store.list_requests(where, page_size, cursor)
        assert len(page.items) <= page_size
        seen += [request.request_id for request in page.items]
        if page.next_cursor is None:
            return seen
        assert len(page.items) == page_size  # a cursor only when more may follow
        cursor = page.next_cursor
    raise AssertionError("the cursor never ended")


async def test_pages_follow_the_nearest_deadline_without_gaps_or_repeats(store: Store) -> None:
    requests = await _fill(store, 150)

    seen = await _walk(store, RequestFilter(), page_size=7)

    assert len(seen) == 150
    assert len(set(seen)) == 150
    assert seen == _queue_order(requests)


async def test_one_page_holds_everything_when_it_fits(store: Store) -> None:
    requests = await _fill(store, 12)

    page = await store.list_requests(RequestFilter(), 12)

    assert [r.request_id for r in page.items] == _queue_order(requests)
    assert page.next_cursor is None
    assert (await store.list_requests(RequestFilter(), 50)).next_cursor is None


@pytest.mark.parametrize(
    "where",
    [
        RequestFilter(status=frozenset({Status.awaiting_seller, Status.offer_pending})),
        RequestFilter(status=frozenset({Status.delivered, Status.cancelled})),
        RequestFilter(shop_id="shop-1"),
        RequestFilter(overdue=True),
        RequestFilter(open_only=True, shop_id="shop-0"),
        RequestFilter(conversation_id="conv-3"),
        RequestFilter(conversation_id="conv-5", status=frozenset({Status.refunded})),
    ],
    ids=[
        "open-statuses",
        "terminal-statuses",
        "shop",
        "overdue",
        "open-in-shop",
        "conversation",
        "conversation-status",
    ],
)
async def test_filters_select_and_keep_the_order(store: Store, where: RequestFilter) -> None:
    requests = await _fill(store, 90)
    expected = _queue_order([r for r in requests if where.matches(r)])

    assert expected  # the data has some of each, so the filter is really checked
    assert await _walk(store, where, page_size=4) == expected


async def test_an_unknown_conversation_has_an_empty_page(store: Store) -> None:
    await _fill(store, 10)
    page = await store.list_requests(RequestFilter(conversation_id="conv-none"), 5)
    assert page.items == ()
    assert page.next_cursor is None


async def test_a_request_moves_in_the_queue_when_its_deadline_changes(store: Store) -> None:
    early = make_request("req-early", "conv-1", requested_at=NOW)
    late = make_request("req-late", "conv-2", requested_at=NOW + timedelta(hours=1))
    await save(store, early)
    await save(store, late)
    assert [r.request_id for r in (await store.list_requests(RequestFilter(), 10)).items] == [
        "req-early",
        "req-late",
    ]

    await save(store, next_version(early, status=Status.rejected))

    page = await store.list_requests(RequestFilter(), 10)
    assert [(r.request_id, r.status) for r in page.items] == [
        ("req-late", Status.awaiting_seller),
        ("req-early", Status.rejected),  # terminal: kept, last
    ]


async def test_a_bad_cursor_or_limit_is_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.list_requests(RequestFilter(), 10, "not-a-cursor")
    with pytest.raises(ValueError):
        await store.list_requests(RequestFilter(), 0)


async def test_many_requests_with_one_deadline_page_in_request_id_order(store: Store) -> None:
    # one conversation, so one bucket: pages must step through a long run of equal scores
    requests = [make_request(f"req-{n:03d}", "conv-busy") for n in range(100)]
    for request in reversed(requests):
        await save(store, request)

    seen = await _walk(store, RequestFilter(), page_size=7)

    assert seen == [r.request_id for r in requests]
    by_conversation = await _walk(store, RequestFilter(conversation_id="conv-busy"), 9)
    assert by_conversation == seen
