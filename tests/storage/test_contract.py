"""The `Store` contract, run against both backends (the `store` fixture): requests,
commits, processed-event markers, offer keys and the global indexes.

Timers are in test_contract_timers.py, the outbox in test_contract_outbox.py, the
agents' queue in test_contract_queue.py: the same suite, split by subject.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.core.clock import FakeClock
from bot.core.commands import TimerKind
from bot.core.errors import StorageUnavailable
from bot.core.models import Status
from storage import MemoryStore, RedisStore, Store
from storage.base import Commit, CommitResult, ConversationView, RequestFilter
from tests.factories import NOW, make_entry, make_request, next_version
from tests.redis_server import (
    MakeRedisStore,
    RedisServer,
    RedisServerError,
    free_port,
    no_redis,
)
from tests.storage.helpers import drain_outbox, elapse, save

SHORT_TTL = timedelta(milliseconds=300)


@pytest.fixture(params=["memory", "redis"])
def short_ttl_store(request: pytest.FixtureRequest, clock: FakeClock) -> Store:
    """A store that forgets processed events after SHORT_TTL."""
    if request.param == "memory":
        return MemoryStore(clock, event_ttl=SHORT_TTL)
    make: MakeRedisStore = request.getfixturevalue("make_redis_store")
    return make(event_ttl=SHORT_TTL)


# --- commit and read back ---------------------------------------------------------------
@pytest.mark.parametrize("status", list(Status))
async def test_a_committed_request_reads_back_with_every_field(
    store: Store, status: Status
) -> None:
    request = make_request("req-1", "conv-1", status=status)

    assert await save(store, request) is CommitResult.ok

    view = await store.read_conversation("conv-1", "evt-unseen")
    assert view.duplicate is False
    assert view.requests == (request,)
    assert view.request("req-1") == request
    assert view.requests[0].model_dump() == request.model_dump()


async def test_get_request_finds_it_through_the_request_id_index(store: Store) -> None:
    request = make_request("req-1", "conv-1")
    assert await store.claim_request_id("req-1", "conv-1") == "conv-1"
    await save(store, request)

    assert await store.get_request("req-1") == request
    assert await store.get_request("req-unknown") is None


async def test_an_unknown_conversation_reads_empty(store: Store) -> None:
    view = await store.read_conversation("conv-none")
    assert view == ConversationView("conv-none", duplicate=False, requests=())


async def test_a_conversation_lists_its_requests_oldest_first(store: Store) -> None:
    later = make_request("req-a", "conv-1", requested_at=NOW + timedelta(hours=1))
    earlier = make_request("req-b", "conv-1", requested_at=NOW)
    other = make_request("req-c", "conv-2")
    for request in (later, earlier, other):
        await save(store, request)

    view = await store.read_conversation("conv-1")
    assert [r.request_id for r in view.requests] == ["req-b", "req-a"]


# --- version compare-and-set ------------------------------------------------------------
async def test_a_commit_on_a_stale_version_conflicts_and_writes_nothing(store: Store) -> None:
    v1 = make_request("req-1", "conv-1")
    v2 = next_version(v1, status=Status.rejected)
    assert await save(store, v1) is CommitResult.ok
    assert await save(store, v1) is CommitResult.conflict  # expected 0: it exists now
    assert await save(store, v2) is CommitResult.ok

    stale = next_version(v1, overdue=True)  # decided on v1, but v2 is stored
    result = await save(
        store,
        stale,
        event_id="evt-stale",
        outbox=[make_entry("conv-1")],
        timers={},
        offer_ttl=timedelta(minutes=5),
    )

    assert result is CommitResult.conflict
    view = await store.read_conversation("conv-1", "evt-stale")
    assert view == ConversationView("conv-1", duplicate=False, requests=(v2,))
    assert await store.claim_outbox(NOW, 10, timedelta(seconds=30)) == []
    assert await store.offer_ttl("conv-1", "req-1") is None


async def test_fifty_concurrent_commits_on_one_version_exactly_one_wins(store: Store) -> None:
    v1 = make_request("req-1", "conv-1")
    await save(store, v1)
    candidates = [
        next_version(v1, updated_at=NOW + timedelta(seconds=n), offers_made=n) for n in range(50)
    ]

    results = await asyncio.gather(
        *(save(store, c, event_id=f"evt-{n}") for n, c in enumerate(candidates))
    )

    assert results.count(CommitResult.ok) == 1
    assert results.count(CommitResult.conflict) == 49
    winner = candidates[results.index(CommitResult.ok)]
    assert (await store.read_conversation("conv-1")).requests == (winner,)


async def test_a_request_must_carry_a_higher_version_than_expected(store: Store) -> None:
    v1 = make_request("req-1", "conv-1")
    with pytest.raises(ValueError, match="version"):
        await save(store, v1, expected_version=1)
    with pytest.raises(ValueError, match="conversation"):
        await store.commit(Commit(conversation_id="conv-2", now=NOW, request=v1))


# --- processed-event markers ------------------------------------------------------------
async def test_a_duplicate_event_is_refused_and_writes_nothing(store: Store) -> None:
    v1 = make_request("req-1", "conv-1")
    first = make_entry("conv-1", text="first")
    assert await save(store, v1, event_id="evt-1", outbox=[first]) is CommitResult.ok

    again = await save(
        store,
        next_version(v1, status=Status.cancelled),
        event_id="evt-1",
        outbox=[make_entry("conv-1", text="second")],
        offer_ttl=timedelta(minutes=5),
    )

    assert again is CommitResult.duplicate
    view = await store.read_conversation("conv-1", "evt-1")
    assert view.duplicate is True
    assert view.requests == (v1,)
    assert await drain_outbox(store, NOW) == [first]
    assert await store.offer_ttl("conv-1", "req-1") is None


async def test_a_processed_marker_expires_after_the_event_ttl(
    short_ttl_store: Store, clock: FakeClock
) -> None:
    store = short_ttl_store
    v1 = make_request("req-1", "conv-1")
    await save(store, v1, event_id="evt-1")
    assert (await store.read_conversation("conv-1", "evt-1")).duplicate is True

    await elapse(store, clock, SHORT_TTL + timedelta(milliseconds=150))

    assert (await store.read_conversation("conv-1", "evt-1")).duplicate is False
    assert await save(store, next_version(v1), event_id="evt-1") is CommitResult.ok


async def test_markers_are_per_event(store: Store) -> None:
    await save(store, make_request("req-1", "conv-1"), event_id="evt-1")
    assert (await store.read_conversation("conv-1", "evt-2")).duplicate is False
    assert (await store.read_conversation("conv-1")).duplicate is False


async def test_a_reply_only_commit_writes_the_marker_and_the_outbox(store: Store) -> None:
    v1 = make_request("req-1", "conv-1")
    await save(store, v1)
    reply = make_entry("conv-1", text="Use /approve or /reject")

    result = await store.commit(
        Commit(
            conversation_id="conv-1", now=NOW, event_id="evt-9", outbox=[reply], expected_version=7
        )  # ignored: no request is written
    )

    assert result is CommitResult.ok
    view = await store.read_conversation("conv-1", "evt-9")
    assert view.duplicate is True
    assert view.requests == (v1,)
    assert await drain_outbox(store, NOW) == [reply]
    again = Commit(conversation_id="conv-1", now=NOW, event_id="evt-9", outbox=[reply])
    assert await store.commit(again) is CommitResult.duplicate


# --- offer keys -------------------------------------------------------------------------
async def test_the_offer_key_really_expires(store: Store, clock: FakeClock) -> None:
    offer = make_request("req-1", "conv-1", status=Status.offer_pending)
    await save(store, offer, expected_version=0, offer_ttl=timedelta(milliseconds=300))

    left = await store.offer_ttl("conv-1", "req-1")
    assert left is not None
    assert timedelta(0) < left <= timedelta(milliseconds=300)

    await elapse(store, clock, timedelta(milliseconds=450))
    assert await store.offer_ttl("conv-1", "req-1") is None


async def test_a_commit_without_an_offer_removes_the_offer_key(store: Store) -> None:
    offer = make_request("req-1", "conv-1", status=Status.offer_pending)
    await save(store, offer, expected_version=0, offer_ttl=timedelta(hours=24))
    left = await store.offer_ttl("conv-1", "req-1")
    assert left is not None
    assert timedelta(hours=23, minutes=59) < left <= timedelta(hours=24)

    await save(store, next_version(offer, status=Status.refunded), offer_ttl=None)

    assert await store.offer_ttl("conv-1", "req-1") is None
    assert await store.offer_ttl("conv-1", "req-unknown") is None


# --- global indexes ---------------------------------------------------------------------
async def test_the_first_claim_of_a_request_id_wins(store: Store) -> None:
    owners = await asyncio.gather(
        *(store.claim_request_id("req-1", f"conv-{n}") for n in range(20))
    )

    assert len(set(owners)) == 1
    owner = owners[0]
    assert await store.claim_request_id("req-1", "conv-late") == owner
    assert await store.locate_request("req-1") == owner
    assert await store.locate_request("req-unknown") is None


async def test_the_tracking_index_finds_the_shipment(store: Store) -> None:
    assert await store.locate_tracking("JT0001") is None
    assert await store.claim_tracking("JT0001", "conv-1", "req-1") == ("conv-1", "req-1")
    assert await store.claim_tracking("JT0002", "conv-2", "req-2") == ("conv-2", "req-2")

    assert await store.locate_tracking("JT0001") == ("conv-1", "req-1")
    assert await store.locate_tracking("JT0002", fresh=True) == ("conv-2", "req-2")


async def test_a_tracking_number_is_claimed_once(store: Store) -> None:
    holders = await asyncio.gather(
        *(store.claim_tracking("JT0001", f"conv-{n}", f"req-{n}") for n in range(20))
    )

    assert len(set(holders)) == 1
    holder = holders[0]
    assert await store.claim_tracking("JT0001", "conv-late", "req-late") == holder
    assert await store.locate_tracking("JT0001", fresh=True) == holder


async def test_a_claim_moves_only_from_its_holder(store: Store) -> None:
    await store.claim_tracking("JT0001", "conv-1", "req-1")

    assert not await store.move_tracking("JT0001", ("conv-9", "req-9"), ("conv-2", "req-2"))
    assert await store.locate_tracking("JT0001", fresh=True) == ("conv-1", "req-1")
    assert await store.move_tracking("JT0001", ("conv-1", "req-1"), ("conv-2", "req-2"))
    assert await store.locate_tracking("JT0001", fresh=True) == ("conv-2", "req-2")
    assert await store.locate_tracking("JT0001") == ("conv-2", "req-2")
    assert not await store.move_tracking("JT0002", ("conv-1", "req-1"), ("conv-2", "req-2"))


async def test_a_conversation_holds_the_requests_of_one_shop(store: Store) -> None:
    await save(store, make_request("req-1", "conv-1"))
    other = make_request("req-2", "conv-1").model_copy(update={"shop_id": "shop-other"})

    assert await save(store, other, expected_version=0) is CommitResult.wrong_shop
    view = await store.read_conversation("conv-1")
    assert [r.request_id for r in view.requests] == ["req-1"]
    assert await save(store, make_request("req-3", "conv-1")) is CommitResult.ok


# --- lifecycle --------------------------------------------------------------------------
async def test_ping_answers_when_the_store_is_up(store: Store) -> None:
    await store.ping()


async def test_an_unreachable_redis_is_storage_unavailable() -> None:
    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    try:
        with pytest.raises(StorageUnavailable):
            await store.ping()
        with pytest.raises(StorageUnavailable):
            await store.read_conversation("conv-1", "evt-1")
        with pytest.raises(StorageUnavailable):
            await save(store, make_request("req-1", "conv-1"))
        with pytest.raises(StorageUnavailable):
            await store.claim_timers(NOW, 10, timedelta(seconds=30))
    finally:
        await store.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone, to stop or to flush its scripts."""
    server = RedisServer(tmp_path)
    try:
        server.start()
    except RedisServerError as exc:
        no_redis(str(exc))
    try:
        yield server
    finally:
        server.stop()


async def test_a_redis_that_stops_is_storage_unavailable(private_redis: RedisServer) -> None:
    store = RedisStore.from_url(private_redis.url)
    try:
        await store.ping()
        await save(store, make_request("req-1", "conv-1"))
        private_redis.stop()
        with pytest.raises(StorageUnavailable):
            await store.ping()
        with pytest.raises(StorageUnavailable):
            await store.get_request("req-1")
    finally:
        await store.close()


async def test_scripts_are_loaded_again_after_a_script_flush(private_redis: RedisServer) -> None:
    store = RedisStore.from_url(private_redis.url)
    admin = aioredis.Redis.from_url(private_redis.url)
    try:
        v1 = make_request("req-1", "conv-1")
        await save(store, v1, timers={TimerKind.seller_deadline: NOW})
        await admin.script_flush()
        assert len(await store.claim_timers(NOW, 10, timedelta(seconds=30))) == 1  # pipelined
        await admin.script_flush()
        assert await save(store, next_version(v1), event_id="evt-1") is CommitResult.ok
        assert (await store.read_conversation("conv-1", "evt-1")).duplicate is True
    finally:
        await admin.aclose()
        await store.close()


async def test_a_client_that_decodes_responses_works_too(make_redis_store: MakeRedisStore) -> None:
    store = make_redis_store(decode_responses=True)
    request = make_request("req-1", "conv-1")
    await store.claim_request_id("req-1", "conv-1")
    entry = make_entry("conv-1")
    await save(store, request, event_id="evt-1", outbox=[entry])

    assert (await store.read_conversation("conv-1", "evt-1")).requests == (request,)
    assert await store.get_request("req-1") == request
    assert await store.claim_request_id("req-1", "conv-2") == "conv-1"
    assert await store.claim_outbox(NOW, 10, timedelta(seconds=30)) == [entry]
    page = await store.list_requests(RequestFilter(), 10)
    assert page.items == (request,)
