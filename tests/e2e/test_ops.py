"""Operations endpoints: liveness, readiness and the Prometheus metrics."""

from __future__ import annotations

import orjson
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import BotHarness


async def metrics(bot: BotHarness) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics by (name, labels)."""
    async with bot.session.get(f"{bot.base_url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_health_and_readiness_need_no_token(bot: BotHarness) -> None:
    for path in ("/healthz", "/readyz"):
        answer = await bot.api(path, token=None)
        assert (answer.status, answer.body) == (200, {"ok": True}), path


async def test_metrics_count_events_transitions_refusals_and_deliveries(bot: BotHarness) -> None:
    await bot.requested()
    approve = {
        "conversation_id": "conv-1",
        "message_id": "m-1",
        "sender": {"role": "seller", "id": "seller-1"},
        "text": "/approve",
    }
    duplicate = orjson.dumps(bot.envelope("chat.message", approve))
    await bot.post_raw(duplicate)
    await bot.post_raw(duplicate)
    await bot.chat("/accept")  # the seller: refused, only_buyer
    await bot.post_raw(b"{}", signature="0" * 64)  # 401
    await bot.send("reshipment.cancelled", {"request_id": "RQ-404", "cancelled_at": 1})  # 422
    await bot.send("shop.updated", {})  # ignored
    await bot.reply("Only the buyer can do that", audience="seller")
    await bot.settle()

    samples = await metrics(bot)
    events = "reshipbot_webhook_events_total"
    assert value(samples, events, type="reshipment.requested", outcome="processed") == 1
    assert value(samples, events, type="chat.message", outcome="processed") == 2
    assert value(samples, events, type="chat.message", outcome="duplicate") == 1
    assert value(samples, events, type="none", outcome="bad_signature") == 1
    assert value(samples, events, type="reshipment.cancelled", outcome="invalid") == 1
    # an unknown type is counted, but under one label, whatever the sender invents
    assert value(samples, events, type="unknown", outcome="ignored") == 1
    transitions = "reshipbot_transitions_total"
    assert value(samples, transitions, status="awaiting_seller") == 1
    assert value(samples, transitions, status="awaiting_shipment") == 1
    assert value(samples, "reshipbot_refusals_total", code="only_buyer") == 1
    delivered = value(samples, "reshipbot_outbox_attempts_total", outcome="done")
    assert delivered == len(bot.platform.calls) >= 5
    assert value(samples, "reshipbot_webhook_seconds_count") == 7
    assert value(samples, "reshipbot_webhook_seconds_bucket", le="+Inf") == 7
    assert value(samples, "reshipbot_webhook_seconds_sum") > 0
