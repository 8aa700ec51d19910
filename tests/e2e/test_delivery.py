"""Outbound delivery (SPEC §3.2): retried until done, once per key, never before the commit,
dead letters visible to agents, and the webhook never waits for the platform.

The e2e bots back off in hundredths of a second (`FAST_OUTBOX` in conftest), so retries
happen in real time here without advancing the clock.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import orjson
import pytest

from bot.core.errors import StorageUnavailable
from storage.base import Commit, CommitResult
from tests.e2e.harness import (
    BUYER,
    SELLER,
    BotHarness,
    card_id,
    memory_only,
    requested_data,
)
from tests.timing import patience


def calls_by_key(bot: BotHarness) -> dict[str, list[tuple[int, Any]]]:
    by_key: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for call in bot.platform.calls:
        assert call.signature_valid and call.idempotency_key, call
        by_key[call.idempotency_key].append((call.status, call.body))
    return by_key


async def test_platform_errors_are_retried_until_delivered_once(bot: BotHarness) -> None:
    bot.platform.fail_next(4, 500)
    await bot.requested()  # the request card goes through on the fifth attempt
    await bot.reply("We received your reshipment request", audience="buyer")
    bot.platform.fail_next(3, 503)
    assert (await bot.chat("/approve")).status == 200
    await bot.field_set("replacement_order_id")
    await bot.card_at(card_id("request"), 2)
    await bot.reply("You approved reshipment RQ-1", audience="seller")
    await bot.settle()

    by_key = calls_by_key(bot)
    failed = [key for key, calls in by_key.items() if any(s >= 500 for s, _ in calls)]
    assert len(failed) >= 2  # the first entry of each burst was retried
    for key, calls in by_key.items():
        statuses = [status for status, _ in calls]
        assert statuses[-1] == 200 and all(s >= 500 for s in statuses[:-1]), (key, statuses)
        assert all(body == calls[0][1] for _, body in calls), f"{key}: the retry changed the body"
        assert bot.platform.effect_count(key) == 1, key
    assert len(bot.platform.replacement_orders) == 1
    assert bot.platform.effect_count("replacement-order:RQ-1") == 1
    texts = bot.texts()
    assert len(texts) == len(set(texts))  # no message twice
    # in order per conversation: the card was posted before its update went out
    done = [call for call in bot.platform.calls if call.status < 300]
    card_posts = [
        i
        for i, c in enumerate(done)
        if c.path == "/v1/chat/messages" and c.body["message"]["type"] == "card"
    ]
    put = next(i for i, c in enumerate(done) if c.method == "PUT")
    post = card_posts[0]
    assert post < put


@memory_only
async def test_nothing_is_sent_before_the_commit(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bot.services is not None
    store = bot.services.store
    real_commit = store.commit
    gate, committing = asyncio.Event(), asyncio.Event()
    failures = [1]

    async def commit(change: Commit) -> CommitResult:
        if failures:
            failures.pop()
            raise StorageUnavailable("injected: the commit did not happen")
        committing.set()
        await gate.wait()
        return await real_commit(change)

    monkeypatch.setattr(store, "commit", commit)
    event = bot.envelope("reshipment.requested", requested_data("RQ-1", "conv-1", bot.clock))
    first = await bot.post_raw(orjson.dumps(event))
    assert first.status == 503 and first.body["error"]["code"] == "storage_unavailable"
    await bot.settle()
    assert bot.platform.calls == []  # the commit failed: nothing may reach the platform

    retry = asyncio.create_task(bot.post_raw(orjson.dumps(event)))  # the sender retries
    await asyncio.wait_for(committing.wait(), patience())
    assert not retry.done() and bot.platform.calls == []  # still committing: still nothing
    gate.set()
    assert (await retry).status == 200
    await bot.card_at(card_id("request"), 1)
    await bot.reply("We received your reshipment request", audience="buyer")


async def test_a_refused_effect_becomes_a_dead_letter(bot: BotHarness) -> None:
    bot.platform.fail_path("/v1/refunds", 422)
    await bot.requested()
    assert (await bot.chat("/refund")).status == 200
    await bot.request_at("refunded")

    async def dead() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (await bot.api("/api/deliveries?state=dead")).body["items"]
        return items

    [letter] = await bot.eventually(dead, what="a dead letter")
    assert letter["path"] == "/v1/refunds" and letter["method"] == "POST"
    assert letter["idempotency_key"] == "refund:RQ-1" and letter["request_id"] == "RQ-1"
    assert "422" in letter["error"] and letter["failed_at"].endswith("Z")
    assert letter["body"]["amount"] == "25.00" and letter["body"]["kind"] == "full"

    async def failure_logged() -> dict[str, Any] | None:
        entries = await bot.timeline()
        return next((e for e in entries if e["type"] == "delivery_failed"), None)

    entry = await bot.eventually(failure_logged, what="delivery_failed in the timeline")
    assert "/v1/refunds" in entry["detail"]["effect"] and "422" in entry["detail"]["error"]
    # the conversation is not stuck behind the dead letter: the outcome card follows
    await bot.card_at(card_id("outcome"), 1)
    await bot.settle()
    assert bot.platform.refunds == []
    assert len(bot.calls("/v1/refunds")) == 1  # a 4xx is not retried
    assert (await bot.api("/api/deliveries?state=dead", token=None)).status == 401


@memory_only
async def test_the_webhook_does_not_wait_for_a_slow_platform(bot: BotHarness) -> None:
    bot.platform.delay(4)  # longer than the 3 s the sender waits for an answer
    answers = [
        await bot.request("RQ-1", "conv-1"),
        await bot.request("RQ-2", "conv-2"),
        await bot.chat("/help", sender=BUYER),
        await bot.chat("/approve", sender=SELLER, conversation_id="conv-2"),
    ]
    # every answer came back while the platform was still sitting on the first call
    assert [a.status for a in answers] == [200] * 4
    assert bot.platform.calls == []
    bot.platform.clear_faults()
    await bot.card_at(card_id("request"), 1)
    await bot.request_at("awaiting_shipment", "RQ-2")
    await bot.reply("What you can do now", audience="buyer")
