"""The `Store` contract for timers, against both backends: due times in the store,
claimed with a lease, each to exactly one claimer, released only if still claimed."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.core.commands import TimerKind
from bot.core.models import Status
from storage import Store
from storage.base import TimerClaim
from tests.factories import NOW, make_request, next_version
from tests.storage.helpers import save

LEASE = timedelta(seconds=30)
HOUR = timedelta(hours=1)


def _claimed(claims: list[TimerClaim]) -> set[tuple[TimerKind, str, str, datetime]]:
    return {(c.kind, c.conversation_id, c.request_id, c.due_at) for c in claims}


async def test_only_due_timers_are_claimed(store: Store) -> None:
    first = make_request("req-1", "conv-1")
    second = make_request("req-2", "conv-2")
    await save(
        store,
        first,
        timers={TimerKind.seller_reminder: NOW + HOUR, TimerKind.seller_deadline: NOW + 2 * HOUR},
    )
    await save(store, second, timers={TimerKind.seller_deadline: NOW + HOUR})

    assert await store.claim_timers(NOW + HOUR - timedelta(milliseconds=1), 10, LEASE) == []
    claims = await store.claim_timers(NOW + HOUR, 10, LEASE)  # due exactly now: due

    assert _claimed(claims) == {
        (TimerKind.seller_reminder, "conv-1", "req-1", NOW + HOUR),
        (TimerKind.seller_deadline, "conv-2", "req-2", NOW + HOUR),
    }
    assert {c.lease_until for c in claims} == {NOW + HOUR + LEASE}
    assert await store.claim_timers(NOW + HOUR, 10, LEASE) == []  # leased: not again


async def test_claims_respect_the_limit_and_leave_the_rest_due(store: Store) -> None:
    for n in range(12):
        request = make_request(f"req-{n}", f"conv-{n}")
        await save(
            store, request, timers={TimerKind.seller_deadline: NOW + n * timedelta(seconds=1)}
        )

    first = await store.claim_timers(NOW + HOUR, 5, LEASE)
    rest = await store.claim_timers(NOW + HOUR, 100, LEASE)

    assert len(first) == 5
    assert len(rest) == 7
    assert {c.request_id for c in first} | {c.request_id for c in rest} == {
        f"req-{n}" for n in range(12)
    }


async def test_each_commit_replaces_the_requests_timers(store: Store) -> None:
    v1 = make_request("req-1", "conv-1")
    await save(
        store,
        v1,
        timers={TimerKind.seller_deadline: NOW + 2 * HOUR, TimerKind.seller_reminder: NOW + HOUR},
    )
    v2 = next_version(v1, status=Status.offer_pending)
    await save(store, v2, timers={TimerKind.offer_expiry: NOW + 3 * HOUR})

    claims = await store.claim_timers(NOW + 10 * HOUR, 10, LEASE)

    assert _claimed(claims) == {(TimerKind.offer_expiry, "conv-1", "req-1", NOW + 3 * HOUR)}
    v3 = next_version(v2, status=Status.cancelled)
    await save(store, v3, timers={})
    assert await store.claim_timers(NOW + 100 * HOUR, 10, LEASE) == []


async def test_two_concurrent_claimers_get_each_timer_exactly_once(store: Store) -> None:
    for n in range(200):
        request = make_request(f"req-{n}", f"conv-{n % 37}")
        due = NOW + (n % 5) * timedelta(seconds=1)
        await save(store, request, timers={TimerKind.seller_deadline: due})

    async def claim_all() -> list[TimerClaim]:
        mine: list[TimerClaim] = []
        while claims := await store.claim_timers(NOW + HOUR, 7, LEASE):
            mine += claims
            await asyncio.sleep(0)  # let the other claimer in between
        return mine

    one, two = await asyncio.gather(claim_all(), claim_all())

    ids_one = [c.request_id for c in one]
    ids_two = [c.request_id for c in two]
    assert len(ids_one) + len(ids_two) == 200
    assert set(ids_one).isdisjoint(ids_two)
    assert set(ids_one) | set(ids_two) == {f"req-{n}" for n in range(200)}
    assert one and two  # both really took part


async def test_a_lease_that_ends_gives_the_timer_back(store: Store) -> None:
    await save(store, make_request("req-1", "conv-1"), timers={TimerKind.seller_deadline: NOW})
    [claim] = await store.claim_timers(NOW, 10, LEASE)

    assert await store.claim_timers(NOW + LEASE - timedelta(seconds=1), 10, LEASE) == []
    [again] = await store.claim_timers(NOW + LEASE, 10, LEASE)  # the claimer died

    assert (again.kind, again.request_id) == (claim.kind, claim.request_id)
    assert again.due_at == claim.lease_until
    assert again.lease_until == NOW + 2 * LEASE


async def test_release_reschedules_or_drops_the_timer(store: Store) -> None:
    await save(store, make_request("req-1", "conv-1"), timers={TimerKind.seller_deadline: NOW})
    await save(store, make_request("req-2", "conv-2"), timers={TimerKind.seller_deadline: NOW})
    claims = {c.request_id: c for c in await store.claim_timers(NOW, 10, LEASE)}

    await store.release_timer(claims["req-1"], NOW + HOUR)
    await store.release_timer(claims["req-2"], None)

    assert await store.claim_timers(NOW + HOUR - timedelta(seconds=1), 10, LEASE) == []
    later = await store.claim_timers(NOW + 10 * HOUR, 10, LEASE)
    assert _claimed(later) == {(TimerKind.seller_deadline, "conv-1", "req-1", NOW + HOUR)}


async def test_a_commit_between_claim_and_release_wins(store: Store) -> None:
    v1 = make_request("req-1", "conv-1")
    await save(store, v1, timers={TimerKind.seller_deadline: NOW})
    [claim] = await store.claim_timers(NOW, 10, LEASE)

    await save(store, next_version(v1), timers={TimerKind.seller_deadline: NOW + HOUR})
    await store.release_timer(claim, None)  # too late: the commit set a new due time

    assert _claimed(await store.claim_timers(NOW + HOUR, 10, LEASE)) == {
        (TimerKind.seller_deadline, "conv-1", "req-1", NOW + HOUR)
    }


async def test_a_release_after_the_lease_moved_on_changes_nothing(store: Store) -> None:
    await save(store, make_request("req-1", "conv-1"), timers={TimerKind.seller_deadline: NOW})
    [slow] = await store.claim_timers(NOW, 10, LEASE)
    [fast] = await store.claim_timers(NOW + LEASE, 10, LEASE)  # slow's lease ended

    await store.release_timer(slow, None)

    assert await store.claim_timers(NOW + 2 * LEASE - timedelta(seconds=1), 10, LEASE) == []
    [again] = await store.claim_timers(NOW + 2 * LEASE, 10, LEASE)  # still fast's timer
    assert again.due_at == fast.lease_until
