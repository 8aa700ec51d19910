"""The `Store` contract for the transactional outbox, against both backends: entries
stored with the commit, delivered in order per conversation, retried, dead-lettered."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.core.effects import EffectKind
from bot.core.models import Status
from storage import Store
from storage.base import Commit, CommitResult, OutboxEntry
from tests.factories import NOW, make_entry, make_request, next_version
from tests.storage.helpers import drain_outbox, save

LEASE = timedelta(seconds=30)


def _texts(entries: list[OutboxEntry]) -> list[str]:
    return [entry.payload["text"] for entry in entries]


async def _post(store: Store, conversation_id: str, *texts: str) -> list[OutboxEntry]:
    """A reply-only commit putting one chat text per `texts` in the outbox."""
    entries = [make_entry(conversation_id, text=text) for text in texts]
    result = await store.commit(Commit(conversation_id=conversation_id, now=NOW, outbox=entries))
    assert result is CommitResult.ok
    return entries


async def test_an_entry_reads_back_as_it_was_committed(store: Store) -> None:
    entry = make_entry(
        "conv-1",
        "req-1",
        effect=EffectKind.replacement_order,
        payload={
            "order_id": "576684019603311365",
            "amount": "12.50",
            "lines": [{"line_id": "L1", "quantity": 1}],
            "note": "ไม่มีแก้ว",
        },
    )
    await save(store, make_request("req-1", "conv-1"), outbox=[entry])

    assert await store.claim_outbox(NOW, 10, LEASE) == [entry]


async def test_each_conversation_delivers_in_order(store: Store) -> None:
    a1, a2 = await _post(store, "conv-a", "a1", "a2")
    [b1] = await _post(store, "conv-b", "b1")
    [a3] = await _post(store, "conv-a", "a3")

    first = await store.claim_outbox(NOW, 10, LEASE)
    assert sorted(_texts(first)) == ["a1", "b1"]  # one per conversation: its oldest
    assert await store.claim_outbox(NOW, 10, LEASE) == []  # a2 waits for a1

    await store.ack_outbox(a1, NOW)
    assert _texts(await store.claim_outbox(NOW, 10, LEASE)) == ["a2"]  # b1 still leased
    await store.ack_outbox(a2, NOW)
    await store.ack_outbox(b1, NOW)
    assert _texts(await drain_outbox(store, NOW)) == ["a3"]
    assert a3.entry_id > a1.entry_id


async def test_many_entries_keep_their_order(store: Store) -> None:
    texts = [f"m{n:03d}" for n in range(60)]
    for chunk in range(0, 60, 7):
        await _post(store, "conv-1", *texts[chunk : chunk + 7])
    await _post(store, "conv-2", "other")

    delivered = _texts(await drain_outbox(store, NOW))

    assert [text for text in delivered if text != "other"] == texts
    assert "other" in delivered


async def test_an_unacked_entry_comes_back_after_its_lease(store: Store) -> None:
    a1, _ = await _post(store, "conv-1", "a1", "a2")
    assert await store.claim_outbox(NOW, 10, LEASE) == [a1]

    assert await store.claim_outbox(NOW + LEASE - timedelta(seconds=1), 10, LEASE) == []
    assert await store.claim_outbox(NOW + LEASE, 10, LEASE) == [a1]  # the worker died


async def test_a_retry_waits_until_next_at_and_counts_the_attempt(store: Store) -> None:
    a1, _ = await _post(store, "conv-1", "a1", "a2")
    [claimed] = await store.claim_outbox(NOW, 10, LEASE)

    await store.retry_outbox(claimed, NOW + timedelta(seconds=10), "HTTP 503")

    assert await store.claim_outbox(NOW + timedelta(seconds=9), 10, LEASE) == []
    [again] = await store.claim_outbox(NOW + timedelta(seconds=10), 10, LEASE)
    assert (again.entry_id, again.attempts, again.last_error) == (a1.entry_id, 1, "HTTP 503")
    await store.retry_outbox(again, NOW + timedelta(seconds=20), "timeout")
    [third] = await store.claim_outbox(NOW + timedelta(seconds=20), 10, LEASE)
    assert (third.attempts, third.last_error) == (2, "timeout")


async def test_a_dead_letter_is_kept_and_lets_the_next_entry_go(store: Store) -> None:
    a1, a2 = await _post(store, "conv-a", "a1", "a2")
    [b1] = await _post(store, "conv-b", "b1")
    await store.claim_outbox(NOW, 10, LEASE)

    await store.dead_letter(a1, "HTTP 400 invalid order", NOW)
    assert await store.claim_outbox(NOW, 10, LEASE) == [a2]  # promoted at once
    await store.dead_letter(b1, "HTTP 404", NOW + timedelta(minutes=1))
    await store.dead_letter(a1, "again", NOW + timedelta(minutes=2))  # gone already: no-op

    dead = await store.dead_letters()
    assert [(d.entry.entry_id, d.error, d.failed_at) for d in dead] == [
        (b1.entry_id, "HTTP 404", NOW + timedelta(minutes=1)),
        (a1.entry_id, "HTTP 400 invalid order", NOW),
    ]
    assert dead[1].entry.attempts == 1
    assert dead[1].entry.payload == a1.payload
    assert [d.entry.entry_id for d in await store.dead_letters(limit=1)] == [b1.entry_id]


async def test_next_delivery_at_says_when_an_entry_can_next_be_claimed(store: Store) -> None:
    assert await store.next_delivery_at() is None
    a1, _ = await _post(store, "conv-a", "a1", "a2")
    assert await store.next_delivery_at() == NOW  # a1 is due; a2 waits behind it

    [claimed] = await store.claim_outbox(NOW, 10, LEASE)
    assert await store.next_delivery_at() == NOW + LEASE  # leased: back when the lease ends
    await store.retry_outbox(claimed, NOW + timedelta(seconds=10), "HTTP 503")
    assert await store.next_delivery_at() == NOW + timedelta(seconds=10)
    [b1] = await _post(store, "conv-b", "b1")
    assert await store.next_delivery_at() == NOW

    await store.ack_outbox(a1, NOW + timedelta(seconds=10))
    await store.claim_outbox(NOW, 10, LEASE)  # b1
    await store.dead_letter(b1, "HTTP 404", NOW)
    assert await store.next_delivery_at() == NOW + timedelta(seconds=10)  # a2, promoted
    assert _texts(await drain_outbox(store, NOW + timedelta(seconds=10))) == ["a2"]
    assert await store.next_delivery_at() is None  # the dead letter is not pending


async def test_a_commit_can_ack_the_entry_it_answers(store: Store) -> None:
    v1 = make_request("req-1", "conv-1", status=Status.awaiting_shipment)
    order = make_entry("conv-1", text="create replacement order")
    notice = make_entry("conv-1", text="approved notice")
    await save(store, v1, expected_version=0, outbox=[order, notice])
    assert await store.claim_outbox(NOW, 10, LEASE) == [order]

    v2 = next_version(v1, replacement_order_id="RO-9")
    shipped = make_entry("conv-1", text="ship by")
    await save(store, v2, outbox=[shipped], ack_outbox=order.entry_id)

    assert _texts(await drain_outbox(store, NOW)) == ["approved notice", "ship by"]


async def test_acking_an_unknown_or_acked_entry_changes_nothing(store: Store) -> None:
    a1, a2 = await _post(store, "conv-1", "a1", "a2")
    await store.claim_outbox(NOW, 10, LEASE)
    await store.ack_outbox(a1, NOW)

    await store.ack_outbox(a1, NOW)  # delivered twice (at least once): a2 must stay
    await store.ack_outbox(make_entry("conv-1", text="never stored"), NOW)
    await store.ack_outbox(a2, NOW)  # not claimed yet, but the head: delivered elsewhere
    assert await store.claim_outbox(NOW, 10, LEASE) == []

    a3, a4 = await _post(store, "conv-1", "a3", "a4")
    await store.ack_outbox(a4, NOW)  # not the head: ignored, FIFO holds
    assert await drain_outbox(store, NOW) == [a3, a4]


async def test_a_decimal_in_a_payload_is_stored_as_its_text(store: Store) -> None:
    entry = make_entry("conv-1", effect=EffectKind.refund, payload={"amount": Decimal("12.50")})
    await store.commit(Commit(conversation_id="conv-1", now=NOW, outbox=[entry]))

    [claimed] = await store.claim_outbox(NOW, 10, LEASE)
    assert claimed.payload == {"amount": "12.50"}
