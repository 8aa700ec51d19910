"""Redis commands per event, by event type (SPEC §6: at most 2; a duplicate or ignored: 1).

One `reshipbot serve --role web` process (no timers, no outbox: only the webhook path
talks to Redis) on a private Redis. For each event type, N signed events are sent one
after another; a `Tally` (tests/bench/monitor.py) records what Redis saw meanwhile:

* **client commands** per event — what the bot sent, MONITOR lines whose client is not
  `lua` (a pipeline of n commands counts n; the note gives the round trips, i.e. socket
  reads, where they differ), cross-checked with commandstats' EVALSHA count;
* **all commands** per event — the `INFO commandstats` delta, script-internal ones
  included, with the per-command breakdown.

Measured after a warm-up (scripts loaded, templates compiled, connection open). Caches
of immutable lookups the process may keep (request id → conversation, tracking number →
request) are warm only for what it has seen, so logistics updates and platform cancels
are also measured *cold*: the first event for that tracking number or request here
(a request seeded straight into Redis). "warm": a second update for the same tracking
number; a cancel of a request this process created.

    uv run python -m tests.bench.roundtrips
"""

from __future__ import annotations

import asyncio
import http.client
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from bot.core.policy import Policy
from bot.core.rules import decide
from bot.core.tokens import TokenSigner
from bot.platforms.generic.signing import sign_body
from storage import RedisStore
from tests.bench.common import (
    APP_KEY,
    APP_SECRET,
    PREFIX,
    TOKEN_SECRET,
    Figure,
    Report,
    private_redis,
    start_bot,
    start_platform,
)
from tests.bench.events import accept_click, chat, logistics, requested, seed_shipments
from tests.bench.monitor import Tally, breakdown
from tests.bench.seed import new_commit
from tests.bench.states import create_command

N = 50  # events per type
WARM_UP = 10  # conversations taken through every type before measuring
Event = tuple[str, bytes]
_ids = itertools.count(1)


@dataclass(frozen=True)
class Kind:
    name: str
    target: float  # client commands per event
    events: Callable[[], list[Event]]  # built just before its batch (tokens, timestamps)
    expect: int = 200  # the HTTP status every event of the batch must get


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def signed(event: dict[str, object]) -> Event:
    body = orjson.dumps(event)
    return sign_body(APP_KEY, APP_SECRET, body), body


def _envelope(type_: str, data: dict[str, object]) -> dict[str, object]:
    return {
        "type": type_,
        "event_id": f"rt-{next(_ids)}",
        "shop_id": "shop-bench",
        "timestamp": _now(),
        "data": data,
    }


def cancelled(request_id: str) -> dict[str, object]:
    return _envelope("reshipment.cancelled", {"request_id": request_id, "cancelled_at": _now()})


def unknown_type() -> dict[str, object]:
    return _envelope("shop.updated", {"shop_name": "Bench shop"})


class Sender:
    """Sends signed events to the bot one at a time on one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def send(self, event: Event) -> int:
        signature, body = event
        self._connection.request(
            "POST",
            "/webhooks/chat",
            body=body,
            headers={"Authorization": signature, "Content-Type": "application/json"},
        )
        answer = self._connection.getresponse()
        answer.read()
        return answer.status

    def send_all(self, events: list[Event], expect: int = 200) -> None:
        for event in events:
            status = self.send(event)
            if status != expect:
                raise RuntimeError(f"the bot answered {status}, not {expect}: {event[1][:200]!r}")

    def close(self) -> None:
        self._connection.close()


async def seed_open_requests(redis_url: str, ids: list[str]) -> None:
    """Requests awaiting the seller, committed straight to Redis: this process never saw them."""
    store = RedisStore.from_url(redis_url, prefix=PREFIX)
    now = datetime.now(UTC) - timedelta(minutes=5)
    try:
        for request_id in ids:
            conversation_id = f"conv-{request_id}"
            create = create_command(request_id, conversation_id, now)
            request = decide(None, create, now, Policy()).request
            assert request is not None
            await store.claim_request_id(request_id, conversation_id, f"order-{request_id}")
            await store.commit(new_commit(request, now))
    finally:
        await store.close()


class Plan:
    """Which conversations, requests and tracking numbers each batch uses."""

    def __init__(self, tag: str, count: int, trackings: list[str], cold_requests: list[str]):
        self.signer = TokenSigner(TOKEN_SECRET)
        self.count = count
        self.trackings = trackings
        self.cold_requests = cold_requests
        self.approved = [f"{tag}a{n}" for n in range(count)]  # new → /approve → /status
        self.offered = [f"{tag}o{n}" for n in range(count)]  # new → /offer → accept click
        self.cancel = [f"{tag}x{n}" for n in range(count)]  # new → platform cancel
        self.sent: dict[str, list[Event]] = {}
        self._seq = itertools.count()

    def keep(self, name: str, events: list[Event]) -> list[Event]:
        self.sent[name] = events
        return events

    def new(self, ids: list[str], name: str) -> list[Event]:
        return self.keep(name, [signed(requested(r, f"c{r}", _now())) for r in ids])

    def seller(self, ids: list[str], text: str, name: str) -> list[Event]:
        return self.keep(
            name, [signed(chat(f"c{r}", "seller", "seller-bench", text, _now())) for r in ids]
        )

    def buyer_text(self, ids: list[str], text: str) -> list[Event]:
        return [signed(chat(f"c{r}", "buyer", f"buyer-c{r}", text, _now())) for r in ids]

    def accepts(self) -> list[Event]:
        return [signed(accept_click(r, f"c{r}", self.signer, _now())) for r in self.offered]

    def tracking(self) -> list[Event]:
        return [signed(logistics(t, next(self._seq), _now())) for t in self.trackings]

    def cancels(self, ids: list[str]) -> list[Event]:
        return [signed(cancelled(r)) for r in ids]

    def kinds(self) -> list[Kind]:
        """The batches in the order they run (each may need the ones before it)."""
        return [
            Kind("reshipment.requested", 2, lambda: self.new(self.approved, "requested")),
            Kind(
                "chat /approve (seller)",
                2,
                lambda: self.seller(self.approved, "/approve", "approve"),
            ),
            Kind("chat /status (reply only)", 2, lambda: self.buyer_text(self.approved, "/status")),
            Kind(
                "chat /offer 40% (seller)",
                2,
                lambda: self.seller(self.offered, "/offer 40%", "offer"),
            ),
            Kind("card.action accept offer", 2, self.accepts),
            Kind("logistics.updated (cold)", 2, self.tracking),
            Kind("logistics.updated (warm)", 2, self.tracking),
            Kind("reshipment.cancelled (cold)", 2, lambda: self.cancels(self.cold_requests)),
            Kind("reshipment.cancelled (warm)", 2, lambda: self.cancels(self.cancel)),
            Kind("duplicate: chat command", 1, lambda: self.sent["approve"]),
            Kind("duplicate: reshipment.requested", 1, lambda: self.sent["requested"]),
            Kind(
                "ignored: unknown type",
                1,
                lambda: [signed(unknown_type()) for _ in range(self.count)],
            ),
            Kind(
                "ignored: chat text (no command)",
                1,
                lambda: self.buyer_text(self.approved, "thanks, see you"),
            ),
        ]

    def setup(self, sender: Sender) -> None:
        """What the batches need that is not measured: the other conversations' requests."""
        sender.send_all(self.new(self.offered, "offered-new"))
        sender.send_all(self.new(self.cancel, "cancel-new"))


def _figures(report: Report, kind: Kind, tally: Tally, count: int) -> None:
    sent, rounds = tally.sent / count, tally.reads / count
    note = []
    if tally.reads != tally.sent:
        note.append(f"{rounds:.2f} round trips (socket reads)")
    note.append(breakdown(tally.client_commands, count) or "no command")
    if tally.script_calls != tally.script_calls_seen:
        note.append(
            f"CHECK: commandstats counted {tally.script_calls} script calls, "
            f"MONITOR {tally.script_calls_seen}"
        )
    report.add(
        Figure(
            f"round trips: {kind.name}",
            sent,
            "cmd/event",
            kind.target,
            "target",
            f"≤ {kind.target:g}",
            sent <= kind.target,
            "; ".join(note),
        )
    )
    report.add(
        Figure(
            f"  incl. Lua: {kind.name}",
            tally.total / count,
            "cmd/event",
            note=breakdown(tally.commandstats, count) or "none",
        )
    )


def bench(report: Report) -> None:
    with private_redis() as redis_server:
        url = redis_server.url
        trackings = asyncio.run(seed_shipments(url, N + WARM_UP, PREFIX))
        cold = [f"RTC{n}" for n in range(N + WARM_UP)]
        asyncio.run(seed_open_requests(url, cold))
        platform, platform_url = start_platform()
        bot, port = start_bot(url, platform_url, role="web")
        sender = Sender(port)
        try:
            warm_up = Plan("w", WARM_UP, trackings[N:], cold[N:])
            warm_up.setup(sender)
            for kind in warm_up.kinds():
                sender.send_all(kind.events(), kind.expect)
            plan = Plan("m", N, trackings[:N], cold[:N])
            plan.setup(sender)
            started = time.perf_counter()
            for kind in plan.kinds():
                events = kind.events()
                with Tally(url) as tally:
                    sender.send_all(events, kind.expect)
                _figures(report, kind, tally, len(events))
            print(
                f"# {len(plan.kinds())} batches of {N} events measured in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
        finally:
            sender.close()
            bot.stop()
            platform.stop()


if __name__ == "__main__":
    bench(Report())
