"""The `Store` contract for what the agent console reads, against both backends: the
change feed (a notice per commit that changed a request), the per-conversation log of
chat messages the outbox delivered, and the order-id index."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.core.clock import FakeClock
from bot.core.effects import EffectKind
from bot.core.models import Status
from storage import MemoryStore, RedisStore, Store
from storage.base import Change, ChangeFeed, Commit, CommitResult, OutboxEntry
from storage.messages import MESSAGE_LOG_SIZE, MESSAGE_LOG_TTL, MESSAGE_TEXT_MAX
from tests.factories import NOW, make_entry, make_request, next_version
from tests.redis_server import MakeRedisStore
from tests.storage.helpers import save
from tests.timing import WAIT, patience

LEASE = timedelta(seconds=30)
QUIET = 0.2  # seconds a feed is watched to see that nothing comes


async def expect(feed: ChangeFeed, timeout: float = WAIT) -> Change:
    async with asyncio.timeout(patience(timeout)):
        return await feed.next()


async def nothing_more(feed: ChangeFeed) -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(QUIET):
            change = await feed.next()
            pytest.fail(f"unexpected notice {change}")


@pytest.fixture
async def feed(store: Store) -> AsyncIterator[ChangeFeed]:
    async with store.subscribe() as opened:
        yield opened


def card_entry(conversation_id: str, card_id: str, version: int, *, update: bool) -> OutboxEntry:
    card = {
        "card_id": card_id,
        "request_id": "req-1",
        "kind": "offer",
        "version": version,
        "locale": "en",
        "audience": "buyer",
        "status": "open",
        "title": "A partial refund is offered",
        "lines": ["x" * 500],
        "fields": [],
        "actions": [{"id": "accept_offer", "label": "Accept", "style": "primary", "token": "t"}],
        "fallback_text": "…",
    }
    payload = {"card_id": card_id, "version": version, "audience": "buyer", "card": card}
    effect = EffectKind.card_update if update else EffectKind.card
    return make_entry(conversation_id, effect=effect, payload=payload)


async def deliver(store: Store, *entries: OutboxEntry, dead: bool = False) -> None:
    """Commit the entries (reply-only) and settle each the way the outbox would."""
    conversation_id = entries[0].conversation_id
    commit = Commit(conversation_id=conversation_id, now=NOW, outbox=entries)
    assert await store.commit(commit) is CommitResult.ok
    for entry in entries:
        claimed = await store.claim_outbox(NOW, 100, LEASE)
        assert [c.entry_id for c in claimed] == [entry.entry_id]
        if dead:
            await store.dead_letter(claimed[0], "HTTP 400: conversation closed", NOW)
        else:
            await store.ack_outbox(claimed[0], NOW)


# --- the change feed --------------------------------------------------------------------
async def test_a_commit_that_writes_a_request_publishes_a_notice(
    store: Store, feed: ChangeFeed
) -> None:
    request = make_request("req-1", "conv-1")
    await save(store, request)

    assert await expect(feed) == Change(
        "request", "conv-1", "req-1", request.version, "awaiting_seller"
    )
    moved = next_version(request, status=Status.awaiting_shipment)
    await save(store, moved)
    assert await expect(feed) == Change(
        "request", "conv-1", "req-1", moved.version, "awaiting_shipment"
    )


async def test_refused_commits_and_reply_only_commits_publish_nothing(
    store: Store, feed: ChangeFeed
) -> None:
    request = make_request("req-1", "conv-1")
    await save(store, request, event_id="evt-1")
    await expect(feed)

    skipped = next_version(next_version(request))  # made on a version that was never stored
    assert await save(store, skipped) is CommitResult.conflict
    assert await save(store, next_version(request), event_id="evt-1") is CommitResult.duplicate
    reply = Commit("conv-1", NOW, outbox=[make_entry("conv-1")])
    assert await store.commit(reply) is CommitResult.ok
    await nothing_more(feed)


async def test_every_open_feed_hears_every_notice_and_a_closed_one_ends(store: Store) -> None:
    async with store.subscribe() as first, store.subscribe() as second:
        await save(store, make_request("req-1", "conv-1"))
        assert (await expect(first)).request_id == "req-1"
        assert (await expect(second)).request_id == "req-1"
    with pytest.raises(StopAsyncIteration):
        await first.next()
    seen = [change async for change in second]  # iteration ends on a closed feed
    assert seen == []


async def test_a_feed_opened_after_a_commit_does_not_replay_it(store: Store) -> None:
    await save(store, make_request("req-1", "conv-1"))
    async with store.subscribe() as late:
        await nothing_more(late)
        await save(store, make_request("req-2", "conv-2"))
        assert (await expect(late)).request_id == "req-2"


async def test_a_delivered_chat_message_publishes_a_message_notice(
    store: Store, feed: ChangeFeed
) -> None:
    await deliver(store, make_entry("conv-1", "req-1", text="hello"))
    assert await expect(feed) == Change("message", "conv-1", "req-1")


async def test_redis_notices_reach_other_clients_on_the_same_prefix_only(
    make_redis_store: MakeRedisStore,
) -> None:
    writer = make_redis_store()
    same = make_redis_store(prefix=writer.prefix)
    other = make_redis_store()
    async with same.subscribe() as heard, other.subscribe() as deaf:
        await save(writer, make_request("req-1", "conv-1"))
        assert (await expect(heard)).request_id == "req-1"
        await nothing_more(deaf)


async def test_a_redis_feed_that_loses_redis_raises_storage_unavailable(
    make_redis_store: MakeRedisStore,
) -> None:
    from bot.core.errors import StorageUnavailable

    store = make_redis_store()
    async with store.subscribe() as opened:
        assert isinstance(store, RedisStore)
        client = store._redis  # the test reaches in to cut the pub/sub connection
        await client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        with pytest.raises(StorageUnavailable):
            for _ in range(20):  # the client may reconnect once before it gives up
                await expect(opened)
                await client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")


# --- the message log --------------------------------------------------------------------
async def test_delivered_texts_and_new_cards_are_logged_oldest_first(store: Store) -> None:
    text = make_entry("conv-1", "req-1", text="We received your request")
    posted = card_entry("conv-1", "req-1.offer.buyer", 1, update=False)
    updated = card_entry("conv-1", "req-1.offer.buyer", 2, update=True)
    await deliver(store, text, posted, updated)

    log = await store.sent_messages("conv-1")
    # an update edits a card already in the chat: it is not a new message, and the
    # console shows every card at its current version anyway (the log stays small)
    assert [(m.kind, m.audience, m.text) for m in log] == [
        ("text", "buyer", "We received your request"),
        ("card", "buyer", ""),  # a card is its id, version and status: no title, no lines
    ]
    assert [(m.card_id, m.card_version, m.card_status) for m in log[1:]] == [
        ("req-1.offer.buyer", 1, "open"),
    ]
    assert all(m.delivered and m.at == NOW and m.request_id == "req-1" for m in log)
    assert await store.sent_messages("conv-other") == []


async def test_effects_that_are_not_chat_are_not_logged(store: Store) -> None:
    refund = make_entry("conv-1", effect=EffectKind.refund, payload={"amount": "1"})
    await deliver(store, refund)
    assert await store.sent_messages("conv-1") == []


async def test_a_dead_chat_message_is_logged_as_not_delivered(store: Store) -> None:
    await deliver(store, make_entry("conv-1", text="never arrived"), dead=True)
    [message] = await store.sent_messages("conv-1")
    assert message.delivered is False
    assert message.text == "never arrived"
    assert message.error == "HTTP 400: conversation closed"


async def test_an_entry_acknowledged_twice_is_logged_once(store: Store) -> None:
    entry = make_entry("conv-1", text="once")
    await deliver(store, entry)
    await store.ack_outbox(entry, NOW)
    assert [m.text for m in await store.sent_messages("conv-1")] == ["once"]


async def test_the_log_keeps_long_texts_short_and_only_the_last_entries(store: Store) -> None:
    await deliver(store, make_entry("conv-1", text="y" * 5000))
    [long] = await store.sent_messages("conv-1")
    assert len(long.text) == MESSAGE_TEXT_MAX and long.text.endswith("…")

    entries = [make_entry("conv-1", text=f"n{n}") for n in range(MESSAGE_LOG_SIZE + 5)]
    commit = Commit(conversation_id="conv-1", now=NOW, outbox=entries)
    assert await store.commit(commit) is CommitResult.ok
    for entry in entries:
        await store.ack_outbox(entry, NOW)
    log = await store.sent_messages("conv-1")
    assert len(log) == MESSAGE_LOG_SIZE
    assert log[0].text == "n5" and log[-1].text == f"n{MESSAGE_LOG_SIZE + 4}"


async def test_a_log_nobody_wrote_to_for_its_ttl_is_forgotten(
    memory_store: MemoryStore, clock: FakeClock
) -> None:
    await deliver(memory_store, make_entry("conv-1", text="old"))
    clock.advance(MESSAGE_LOG_TTL - timedelta(seconds=1))
    assert len(await memory_store.sent_messages("conv-1")) == 1
    clock.advance(timedelta(seconds=2))
    assert await memory_store.sent_messages("conv-1") == []


async def test_the_redis_log_carries_its_ttl(redis_store: RedisStore) -> None:
    await deliver(redis_store, make_entry("conv-1", text="hello"))
    ttl_ms = await redis_store._redis.pttl(redis_store._keys.messages("conv-1"))
    assert MESSAGE_LOG_TTL - timedelta(minutes=1) < timedelta(milliseconds=ttl_ms)
    assert timedelta(milliseconds=ttl_ms) <= MESSAGE_LOG_TTL


# --- the order index ----------------------------------------------------------------------
async def test_claiming_a_request_id_with_its_order_indexes_the_order(store: Store) -> None:
    assert await store.claim_request_id("req-2", "conv-1", order_id="ORD-9") == "conv-1"
    assert await store.claim_request_id("req-1", "conv-2", order_id="ORD-9") == "conv-2"
    assert await store.claim_request_id("req-3", "conv-3") == "conv-3"

    assert await store.locate_order("ORD-9") == ("req-1", "req-2")
    assert await store.locate_order("ORD-unknown") == ()
