"""Slow and greedy clients against a real `reshipbot serve`, over real sockets.

Regression: 1,500 connections that sent their headers and then trickled the body stayed
open past 100 s, each holding a handler. Now a body has `BODY_TIMEOUT` to arrive (then
`408 body_timeout` and the connection is closed), and connections are capped per client
IP (`MAX_CONNECTIONS_PER_IP`) and in all (`MAX_CONNECTIONS`): the ones over a cap get a
`503` and are closed before the application sees them. Normal traffic goes on meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import orjson
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import demo_event
from bot.platforms.generic.signing import sign_body
from tests.e2e.harness import AGENT_TOKEN, APP_KEY, APP_SECRET
from tests.faults.raw_http import (
    RawAnswer,
    RawConnection,
    get_head,
    post_head,
    serving,
    trickle,
)
from tests.faults.support import Report
from tests.processes import BotProcess
from tests.timing import patience

SLOW_SENDERS = 200  # more than the default cap of 128 per client


async def signed_demo(process: BotProcess, request_id: str) -> RawAnswer:
    """A normal client: a signed new request on a fresh connection."""
    body = orjson.dumps(demo_event(f"conv-{request_id}", request_id, int(time.time())))
    head = (
        f"POST /webhooks/chat HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
        f"Authorization: {sign_body(APP_KEY, APP_SECRET, body)}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    connection = await RawConnection.open(process.port)
    try:
        return await connection.request(head, body)
    finally:
        await connection.close()


async def slow_sender(port: int) -> RawAnswer:
    """Headers of a 4 KB webhook, then its body one byte every 0.1 s."""
    try:
        connection = await RawConnection.open(port)
    except ConnectionError:
        return RawAnswer(None, b"", True, 0.0)
    try:
        started = time.monotonic()
        connection.send(post_head("/webhooks/chat", 4096))
        sending = asyncio.create_task(trickle(connection))
        try:
            return await connection.answer(started)
        except ConnectionError:
            return RawAnswer(None, b"", True, time.monotonic() - started)
        finally:
            sending.cancel()
    finally:
        await connection.close()


async def test_a_trickled_body_is_answered_408_and_closed_at_its_deadline(
    tmp_path: Path, report: Report
) -> None:
    async with serving(tmp_path, RESHIPBOT_BODY_TIMEOUT="1s") as process:
        answer = await slow_sender(process.port)  # read as the server closes
        assert answer.status == 408 and answer.closed, answer
        assert answer.json() == {
            "error": {"code": "body_timeout", "message": "the body did not arrive within 1 s"}
        }
        assert 1.0 <= answer.seconds < 1.0 + patience(5), answer.seconds
        assert (await signed_demo(process, "RQ-AFTER")).status == 200
        report(f"a body trickled at 10 B/s: 408 and closed after {answer.seconds:.2f} s")


async def test_a_crowd_of_slow_senders_is_gone_within_the_deadline(
    tmp_path: Path, report: Report
) -> None:
    """The attack, scaled down: 200 trickling connections from one address, defaults but a
    1 s deadline; a signed event and the agent API still answer while they are at it."""
    async with serving(tmp_path, RESHIPBOT_BODY_TIMEOUT="1s") as process:
        started = time.monotonic()
        crowd = [asyncio.create_task(slow_sender(process.port)) for _ in range(SLOW_SENDERS)]
        normal = await signed_demo(process, "RQ-DURING")
        answers = await asyncio.gather(*crowd)
        elapsed = time.monotonic() - started
        statuses = sorted({answer.status or 0 for answer in answers})
        # admitted: cut off at the deadline (408; or, on a very busy machine, a reset that
        # overtook the 408); refused: at once (503, or a reset that overtook it)
        answered = sum(answer.status == 408 for answer in answers)
        timed_out = sum(answer.status == 408 or answer.seconds >= 1.0 for answer in answers)
        refused = SLOW_SENDERS - timed_out
        report(
            f"{SLOW_SENDERS} slow senders from one address: {timed_out} cut off at the 1 s "
            f"deadline ({answered} read their 408), {refused} refused at once over the cap "
            f"of 128 per client; all closed after {elapsed:.1f} s; a signed event "
            f"meanwhile: {normal.status}"
        )
        assert all(answer.closed for answer in answers)
        assert set(statuses) <= {0, 408, 503}, statuses
        seen = sorted((a.status or 0, round(a.seconds, 1)) for a in answers)
        assert 0 < answered <= timed_out <= 128, seen
        assert all(a.status in (503, None) for a in answers if a.seconds < 1.0), seen
        assert elapsed < 2.0 + patience(10), elapsed  # the deadline, then 1 s of lingering
        assert normal.status in (200, 503)  # 503: it came while the cap was full
        assert (await signed_demo(process, "RQ-AFTER")).status == 200


async def held(port: int, source: str = "127.0.0.1") -> RawConnection | RawAnswer:
    """A connection that answers one request and stays open; or the refusal it got."""
    connection = await RawConnection.open(port, source)
    try:
        answer = await connection.request(get_head("/healthz"))
        if answer.status == 200:
            return connection
        answer.closed = await connection.reader.read(1) == b""
    except ConnectionError:  # refused: reset before or after the 503
        answer = RawAnswer(None, b"", True, 0.0)
    await connection.close()
    return answer


async def test_connections_over_the_caps_are_refused_and_the_rest_served(
    tmp_path: Path, report: Report
) -> None:
    caps = {"RESHIPBOT_MAX_CONNECTIONS_PER_IP": "3", "RESHIPBOT_MAX_CONNECTIONS": "5"}
    async with serving(tmp_path, **caps) as process:
        port = process.port
        # (admitted once the server has seen its readiness probes' connections go)
        first = [await admitted(port) for _ in range(3)]
        over_per_ip = await held(port)
        assert isinstance(over_per_ip, RawAnswer) and over_per_ip.closed
        assert over_per_ip.status in (503, None), over_per_ip
        if over_per_ip.status == 503:
            assert over_per_ip.json() == {
                "error": {
                    "code": "too_many_connections",
                    "message": "too many connections; retry later",
                }
            }
        second = [await admitted(port, "127.0.0.2") for _ in range(2)]
        over_total = await held(port, "127.0.0.3")
        assert isinstance(over_total, RawAnswer) and over_total.status in (503, None)

        # a client that closes one of its connections may open another
        await first.pop().close()
        again = await admitted(port)
        metrics = await again.request(get_head("/metrics"))
        refused = refusals(metrics.body.decode())
        report(
            f"caps 3 per client / 5 in all: the 4th connection of 127.0.0.1 and the 1st of "
            f"127.0.0.3 refused ({over_per_ip.status}, {over_total.status}); after one "
            f"closed, a new one served; reshipbot_connections_refused_total {refused}"
        )
        assert refused.get("per_ip", 0) >= 1 and refused.get("total", 0) >= 1
        for connection in [*first, *second, again]:
            await connection.close()


async def admitted(port: int, source: str = "127.0.0.1") -> RawConnection:
    """A held connection from `source`, once the server has room for it (it may still be
    counting connections that were closed a moment ago)."""
    deadline = time.monotonic() + patience()
    while time.monotonic() < deadline:
        attempt = await held(port, source)
        if isinstance(attempt, RawConnection):
            return attempt
        await asyncio.sleep(0.05)
    raise AssertionError(f"no connection from {source} admitted")


def refusals(text: str) -> dict[str, float]:
    return {
        sample.labels["limit"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "reshipbot_connections_refused_total"
    }


async def test_normal_traffic_is_served_under_the_default_caps(tmp_path: Path) -> None:
    """40 concurrent signed events, then several requests on one kept-alive connection."""
    async with serving(tmp_path) as process:
        answers = await asyncio.gather(*(signed_demo(process, f"RQ-{n}") for n in range(40)))
        assert [answer.status for answer in answers] == [200] * 40
        connection = await RawConnection.open(process.port)
        try:
            head = get_head("/api/requests?limit=5", f"Authorization: Bearer {AGENT_TOKEN}")
            for _ in range(3):  # kept alive: one connection, several requests
                answer = await connection.request(head)
                assert answer.status == 200 and not answer.closed
        finally:
            await connection.close()
