"""Operations endpoints: liveness, readiness and the Prometheus metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.clock import OffsetClock
from bot.platforms.generic.sandbox import SandboxState
from bot.runtime.config import is_loopback, load_settings
from bot.runtime.services import Services
from bot.web.app import build_app
from storage import MemoryStore
from tests.e2e.conftest import BASE_ENV, MakeBot
from tests.e2e.harness import AGENT_TOKEN, APP_SECRET, Answer, BotHarness
from tests.redis_server import free_port


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


# --- who may read the operations data ----------------------------------------------------

METRICS_TOKEN = "m3trics-token-0123456789"


async def test_metrics_want_the_metrics_token_when_one_is_set(
    make_bot: MakeBot, backend: str
) -> None:
    bot = await make_bot(backend, {"RESHIPBOT_METRICS_TOKEN": METRICS_TOKEN})
    await bot.requested()
    for header in (None, "Bearer wrong", f"Bearer {AGENT_TOKEN}", METRICS_TOKEN, "Bearer "):
        headers = {"Authorization": header} if header else {}
        async with bot.session.get(f"{bot.base_url}/metrics", headers=headers) as response:
            assert response.status == 401, header
            body = await response.json()
            assert body["error"]["code"] == "unauthorized", header
            assert "reshipbot_" not in await response.text()
    for header in (f"Bearer {METRICS_TOKEN}", f"bearer {METRICS_TOKEN}"):
        async with bot.session.get(
            f"{bot.base_url}/metrics", headers={"Authorization": header}
        ) as response:
            assert response.status == 200, header
            assert "reshipbot_webhook_events_total" in await response.text()
    for path in ("/healthz", "/readyz"):  # still open: load balancers probe them
        assert (await bot.api(path, token=None)).status == 200


SandboxBot = Callable[[str], Awaitable[str]]


@pytest.fixture
async def sandbox_bot(aiohttp_server: Any) -> SandboxBot:
    """A bot on the embedded store with the sandbox mounted, its settings' host `host`
    (the server itself listens on loopback, so the test can reach it); its base URL."""

    async def make(host: str) -> str:
        port = free_port()
        env = {**BASE_ENV, "RESHIPBOT_HOST": host, "RESHIPBOT_PORT": str(port)}
        clock = OffsetClock()
        services = Services(load_settings(env), clock, store=MemoryStore(clock))
        server = await aiohttp_server(build_app(services), port=port)
        return str(server.make_url("")).rstrip("/")

    return make


async def sandbox_state(session: aiohttp.ClientSession, url: str, token: str | None) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.get(f"{url}/sandbox/_sandbox/state", headers=headers) as response:
        return Answer(response.status, await response.text())


async def test_the_sandbox_state_wants_the_agent_token_unless_bound_to_loopback(
    sandbox_bot: SandboxBot,
) -> None:
    """Regression: `/sandbox/_sandbox/state` showed every card's live action tokens to
    anyone who could reach the server."""
    url = await sandbox_bot("0.0.0.0")
    async with aiohttp.ClientSession() as session:
        harness = BotHarness(url, session, SandboxState(), None, OffsetClock())
        assert (await harness.request()).status == 200

        async def tokens_recorded() -> str | None:
            answer = await sandbox_state(session, url, AGENT_TOKEN)
            return answer.body if answer.status == 200 and '"token"' in answer.body else None

        recorded = await harness.eventually(tokens_recorded, what="a card in the sandbox")
        for token in (None, "wrong", APP_SECRET):
            answer = await sandbox_state(session, url, token)
            assert answer.status == 401, token
            assert orjson.loads(answer.body)["error"]["code"] == "unauthorized"
            assert '"token"' not in answer.body
        assert '"card_id"' in recorded


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
async def test_the_sandbox_state_is_open_on_loopback(sandbox_bot: SandboxBot, host: str) -> None:
    url = await sandbox_bot(host)
    async with aiohttp.ClientSession() as session:
        assert (await sandbox_state(session, url, None)).status == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("bot.example", False),
        ("::ffff:10.0.0.5", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
