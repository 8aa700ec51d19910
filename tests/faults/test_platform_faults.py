"""The platform failing: slower than the client waits, and not reachable at all.

The in-process server of tests/e2e on the Redis store, with an outbox that backs off in
hundredths of a second (10 attempts take between 1.4 and 2.8 s here). 500s and a
permanent 4xx are covered by tests/e2e/test_delivery.py; these are the other failures
of SPEC §3.2: timeouts and connection errors, which are retried.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

import bot.platforms.generic.platform as generic_platform
from bot.core.effects import EffectKind
from bot.core.errors import StorageUnavailable
from storage.base import OutboxEntry
from tests.e2e.conftest import FAST_OUTBOX, MakeBot
from tests.e2e.harness import BUYER, SELLER, BotHarness, card_id
from tests.faults.support import (
    Report,
    ToggleProxy,
    assert_once_per_key,
    redundant_updates,
    wait_card,
    wait_request,
)

CLIENT_TIMEOUT = 0.2  # seconds the bot waits for the platform (5 s in production)


@pytest.fixture
def outbox_options() -> dict[str, Any]:
    return {**FAST_OUTBOX, "backoff_base": 0.05, "backoff_cap": 0.4}


async def attempts(bot: BotHarness) -> dict[str, int]:
    """The bot's outbox attempts by outcome, from `/metrics`."""
    answer = await bot.session.get(f"{bot.base_url}/metrics")
    text = await answer.text()
    found = re.findall(r'reshipbot_outbox_attempts_total\{outcome="(\w+)"\} ([\d.]+)', text)
    return {outcome: int(float(n)) for outcome, n in found}


async def retried(bot: BotHarness, at_least: int) -> dict[str, int]:
    """Wait until at least `at_least` attempts ended in a retry; the attempts then."""

    async def enough() -> dict[str, int] | None:
        seen = await attempts(bot)
        return seen if seen.get("retry", 0) >= at_least else None

    found: dict[str, int] = await bot.eventually(enough, what=f"{at_least} retried attempts")
    return found


def effects_taken(bot: BotHarness) -> int:
    """Calls the platform carried out (not answered from an idempotency record)."""
    return sum(1 for call in bot.platform.calls if not call.replayed and call.status < 300)


async def start_journeys(bot: BotHarness, prefix: str, n: int) -> list[str]:
    """`n` requests in their own conversations: approve, refund or offer, in turn."""
    ids = []
    for i in range(n):
        rid, conv = f"RQ-{prefix}{i}", f"conv-{prefix}{i}"
        assert (await bot.request(rid, conv)).status == 200
        command = ("/approve", "/refund", "/offer 10")[i % 3]
        assert (await bot.chat(command, conversation_id=conv)).status == 200
        ids.append(rid)
    return ids


async def finish_journeys(bot: BotHarness, ids: list[str]) -> None:
    """Each reaches its end: the order id fed back, the refund made, the offer accepted."""
    for i, rid in enumerate(ids):
        kind = i % 3
        if kind == 0:
            await wait_request(bot, rid, lambda r: r["replacement_order_id"])
        elif kind == 1:
            await wait_request(bot, rid, lambda r: r["status"] == "refunded")
        else:
            offer = await wait_card(bot, card_id("offer", rid))
            conv = f"conv-{rid.removeprefix('RQ-')}"
            assert (
                await bot.click(offer, "accept_offer", BUYER, conversation_id=conv)
            ).status == 200
    for i, rid in enumerate(ids):
        if i % 3 == 2:
            await wait_request(bot, rid, lambda r: r["status"] == "refunded")
    await asyncio.sleep(0)


@pytest.mark.timeout(60)
async def test_calls_that_time_out_are_retried_and_take_effect_once(
    make_bot: MakeBot, monkeypatch: pytest.MonkeyPatch, report: Report
) -> None:
    monkeypatch.setattr(generic_platform, "CLIENT_TIMEOUT", CLIENT_TIMEOUT)
    bot = await make_bot("redis")
    bot.platform.delay(CLIENT_TIMEOUT * 2.5)  # every answer comes after the bot gave up
    ids = await start_journeys(bot, "T", 6)
    # every journey's first call timed out, and the platform finished some regardless
    await retried(bot, len(ids))
    await bot.eventually(lambda: effects_taken(bot) > 0, what="a timed-out call to take effect")
    during = await attempts(bot)
    effects_during = effects_taken(bot)
    bot.platform.clear_faults()
    await finish_journeys(bot, ids)
    await bot.settle(quiet=0.3)

    after = await attempts(bot)
    replayed = [call for call in bot.platform.calls if call.replayed]
    by_key = assert_once_per_key(bot.platform)
    dead = (await bot.api("/api/deliveries?state=dead")).body["items"]
    report(
        f"client timeout {CLIENT_TIMEOUT}s, platform answering after "
        f"{CLIENT_TIMEOUT * 2.5:.1f}s: {during.get('retry', 0)} attempts timed out, "
        f"{effects_during} effects took place meanwhile (the platform finished what the bot "
        f"gave up on); after: {len(replayed)} retries answered from the idempotency record, "
        f"{len(by_key)} keys with one effect each ({redundant_updates(bot.platform)} cards "
        f"answered 409: already shown), {len(dead)} dead letters; attempts {after}"
    )
    assert during.get("retry", 0) >= len(ids) and during.get("done", 0) == 0
    # the platform finished calls the bot had given up on, and the bot's retries met them:
    # answered from the idempotency record, or (a card whose retry carries its newer
    # version in the key) with 409, already shown
    met_again = len(replayed) + redundant_updates(bot.platform)
    assert effects_during > 0 and met_again > 0, "timed-out calls took effect, retries met them"
    assert dead == []
    assert len(bot.platform.refunds) == 4 and len(bot.platform.replacement_orders) == 2
    for rid in ids:
        assert bot.card(card_id("request", rid)) is not None
        assert bot.card(card_id("outcome", rid)) is not None or rid.endswith(("0", "3"))


@pytest.mark.timeout(60)
async def test_a_platform_that_refuses_connections_gets_every_effect_later_once(
    make_bot: MakeBot, report: Report
) -> None:
    proxy = ToggleProxy()
    bot = await make_bot("redis", env={"RESHIPBOT_PLATFORM_URL": proxy.url})
    proxy.target = bot.platform_url.removeprefix("http://")
    await proxy.up()
    try:
        # a short outage (under the retry budget): connections reset, then refused
        early = await start_journeys(bot, "C", 3)
        await proxy.down()
        late = await start_journeys(bot, "D", 3)
        during = await retried(bot, 1)
        await proxy.up()
        await finish_journeys(bot, early + late)
        await bot.settle(quiet=0.3)
        by_key = assert_once_per_key(bot.platform)
        dead = (await bot.api("/api/deliveries?state=dead")).body["items"]
        report(
            f"platform unreachable: {during.get('retry', 0)} attempts refused or "
            f"reset; then all {len(by_key)} keys delivered, one effect each; "
            f"{len(dead)} dead letters"
        )
        assert during.get("retry", 0) > 0 and dead == []
        assert len(bot.platform.refunds) == 4 and len(bot.platform.replacement_orders) == 2

        # an outage longer than the retry budget: the head entry becomes a dead letter
        await bot.requested("RQ-X", conversation_id="conv-x")
        await bot.settle()
        await proxy.down()
        assert (await bot.chat("/refund", SELLER, conversation_id="conv-x")).status == 200

        async def buried() -> list[dict[str, Any]]:
            items: list[dict[str, Any]] = (await bot.api("/api/deliveries?state=dead")).body[
                "items"
            ]
            return items

        letters = await bot.eventually(buried, what="a dead letter")
        await proxy.up()
        await bot.request_at("refunded", "RQ-X")
        await bot.settle(quiet=0.5)
        letters = await buried()
        timeline = await bot.timeline("RQ-X")
    finally:
        await proxy.down()
    failures = [entry for entry in timeline if entry["type"] == "delivery_failed"]
    report(
        f"platform unreachable for longer than 10 attempts: {len(letters)} dead letter(s) "
        + ", ".join(
            f"{x['idempotency_key']} ({x['attempts']} attempts: {x['error']})" for x in letters
        )
        + f"; {len(failures)} delivery_failed in the timeline; the rest delivered once after"
    )
    assert letters and all(x["request_id"] == "RQ-X" for x in letters)
    assert all("connection" in x["error"] and x["attempts"] == 10 for x in letters), letters
    assert len(failures) == len(letters)
    for letter in letters:  # never reached the platform
        assert bot.platform.effect_count(letter["idempotency_key"]) == 0
    by_key = assert_once_per_key(bot.platform, dead={x["idempotency_key"] for x in letters})
    assert len(by_key) > len(letters)


@pytest.mark.timeout(30)
async def test_a_card_whose_post_timed_out_is_not_sent_again_as_another_body(
    make_bot: MakeBot, monkeypatch: pytest.MonkeyPatch, report: Report
) -> None:
    """A retry carries the same body as the attempt that timed out (SPEC §3.2: the same
    `Idempotency-Key` on every retry of the same effect), even if the card changed since."""
    monkeypatch.setattr(generic_platform, "CLIENT_TIMEOUT", CLIENT_TIMEOUT)
    bot = await make_bot("redis")
    bot.platform.delay(CLIENT_TIMEOUT * 2.5)
    assert (await bot.request()).status == 200

    def card_posts(at_least: int) -> bool:
        posts = [c for c in bot.calls("/v1/chat/messages") if c.body["message"]["type"] == "card"]
        return len(posts) >= at_least

    # the card's first POST is out, and timed out (the platform records it after its delay)
    await bot.eventually(lambda: card_posts(1), what="the card's first POST")
    assert (await bot.chat("/approve")).status == 200  # the request card is at version 2 now
    await bot.eventually(lambda: card_posts(2), what="the card's POST sent again")
    bot.platform.clear_faults()
    await bot.field_set("replacement_order_id")
    await bot.settle(quiet=0.3)
    posts = [c for c in bot.calls("/v1/chat/messages") if c.body["message"]["type"] == "card"]
    dead = (await bot.api("/api/deliveries?state=dead")).body["items"]
    report(
        "request card POST: "
        + ", ".join(f"{c.status} v{c.body['message']['card']['version']}" for c in posts)
        + f"; dead letters: {[(x['idempotency_key'], x['error']) for x in dead]}"
    )
    assert dead == []
    assert_once_per_key(bot.platform)
    card = bot.card(card_id("request"))
    assert card is not None and card["version"] == 2


@pytest.mark.timeout(30)
async def test_a_card_delivered_but_not_acknowledged_is_not_sent_again_as_another_body(
    make_bot: MakeBot, monkeypatch: pytest.MonkeyPatch, report: Report
) -> None:
    """The platform took the card; Redis missed the acknowledgement (down, or the worker
    died). The entry is claimed again when its lease ends, after the card changed: the
    second delivery must not reuse the first one's `Idempotency-Key` with another body
    (the platform answers that with 422, which would bury a delivered card)."""
    bot = await make_bot("redis")
    assert bot.services is not None
    store = bot.services.store
    real_ack = store.ack_outbox
    missed: list[str] = []

    async def ack_outbox(entry: OutboxEntry, now: datetime) -> None:
        if not missed and entry.effect is EffectKind.card:
            missed.append(entry.idempotency_key)
            raise StorageUnavailable("injected: the acknowledgement did not reach Redis")
        await real_ack(entry, now)

    monkeypatch.setattr(store, "ack_outbox", ack_outbox)
    assert (await bot.request()).status == 200
    await bot.card_at(card_id("request"), 1)
    assert missed
    assert (await bot.chat("/approve")).status == 200  # the request card moves to version 2
    await bot.settle()
    bot.advance(timedelta(seconds=31))  # the unacknowledged entry's lease ends
    await bot.field_set("replacement_order_id")
    await bot.settle(quiet=0.3)
    calls = [c for c in bot.platform.calls if (c.idempotency_key or "").startswith(missed[0])]
    dead = (await bot.api("/api/deliveries?state=dead")).body["items"]
    report(
        "the request card: "
        + ", ".join(
            f"{c.idempotency_key} v{c.body['message']['card']['version']} → {c.status}"
            for c in calls
        )
        + f"; dead letters: {[(x['idempotency_key'], x['error']) for x in dead]}"
    )
    assert dead == []
    assert [c.status for c in calls] == [200, 409], calls  # the second one: "already there"
    assert_once_per_key(bot.platform)
    card = bot.card(card_id("request"))
    assert card is not None and card["version"] == 2
