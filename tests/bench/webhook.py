"""Webhook throughput and latency: reshipbot on Redis against a bare aiohttp endpoint.

Both servers get the same signed, unique, realistic events from wrk (one thread, a
separate process) in the same run; the figure is reshipbot's requests/s as a fraction
of the bare endpoint's. Then reshipbot is driven at half its measured rate by an
open-loop generator (tests/bench/paced.py) for the p50/p99 latency at half load.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import redis

from storage.keys import BUCKETS, Keys
from tests.bench.common import (
    PREFIX,
    Figure,
    Process,
    Report,
    ensure_wrk,
    private_redis,
    start_bot,
    start_platform,
)
from tests.bench.events import Event, build_mix, seed_shipments
from tests.redis_server import free_port

DURATION = 10
DRAIN_LIMIT = 180.0  # seconds to wait for the outbox after the full-load run
CONNECTIONS = 64
HERE = Path(__file__).parent
T = TypeVar("T")

LUA = r"""
local sigs, bodies, n, i = {}, {}, 0, 0
function init(args)
  local f = assert(io.open(args[1], "r"))
  while true do
    local s = f:read("*l")
    if not s then break end
    local b = f:read("*l")
    n = n + 1
    sigs[n] = s
    bodies[n] = b
  end
  f:close()
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return wrk.format("POST", "/webhooks/chat",
    {["Authorization"] = sigs[i], ["Content-Type"] = "application/json"}, bodies[i])
end
function done(summary, latency, requests)
  io.write(string.format(
    "RESULT %d %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


@dataclass
class WrkResult:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def write_events(events: list[Event], path: Path) -> None:
    with path.open("wb") as out:
        for signature, body in events:
            out.write(signature.encode() + b"\n" + body + b"\n")


def run_wrk(port: int, events_file: Path, duration: int = DURATION) -> WrkResult:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LUA)
    try:
        answer = subprocess.run(
            [
                ensure_wrk(),
                "-t1",
                f"-c{CONNECTIONS}",
                f"-d{duration}s",
                "--timeout",
                "5s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
                "--",
                str(events_file),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        script.unlink(missing_ok=True)
    match = re.search(r"RESULT (.*)", answer.stdout)
    if not match:
        raise RuntimeError(f"wrk said:\n{answer.stdout}\n{answer.stderr}")
    numbers = [int(value) for value in match.group(1).split()]
    requests, micros, status, connect, read, timeout, p50, p99, _ = numbers
    return WrkResult(
        requests, micros / 1e6, status, connect + read + timeout, p50 / 1000, p99 / 1000
    )


def run_paced(
    port: int, events_file: Path, rate: float, duration: int = DURATION
) -> dict[str, float]:
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench.paced",
            str(port),
            str(events_file),
            f"{rate:.1f}",
            str(duration),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def _measure(redis_url: str, run: Callable[[int], T]) -> T:
    """`run(port)` against a new `serve` process (role all) and sandbox platform."""
    platform, platform_url = start_platform()
    bot, port = start_bot(redis_url, platform_url, role="all")
    try:
        return run(port)
    finally:
        bot.stop()
        platform.stop()


def _pending_conversations(client: redis.Redis) -> int:
    """Conversations with outbox entries not delivered yet (the ready sets' sizes)."""
    keys = Keys(PREFIX)
    with client.pipeline(transaction=False) as pipe:
        for bucket in range(BUCKETS):
            pipe.zcard(keys.outbox_ready(bucket))
        return sum(int(n) for n in pipe.execute())


def _full_load(redis_url: str, events: Path) -> tuple[WrkResult, float]:
    """wrk for DURATION s, then the time until the outbox has delivered everything."""

    def run(port: int) -> tuple[WrkResult, float]:
        result = run_wrk(port, events)
        client = redis.Redis.from_url(redis_url)
        started = time.monotonic()
        while _pending_conversations(client) and time.monotonic() - started < DRAIN_LIMIT:
            time.sleep(0.25)
        client.close()
        return result, time.monotonic() - started

    return _measure(redis_url, run)


def _fresh(redis_url: str) -> None:
    reset = redis.Redis.from_url(redis_url)
    reset.flushall()
    reset.close()
    asyncio.run(seed_shipments(redis_url, 2000, PREFIX))


def bench(report: Report) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="reshipbot-bench-"))
    with private_redis() as redis_server:
        trackings = asyncio.run(seed_shipments(redis_server.url, 2000, PREFIX))
        measured = build_mix(14_000, trackings, tag="a")
        paced = build_mix(8_000, trackings, tag="p")
        write_events(measured.events, workdir / "measured.txt")
        write_events(paced.events, workdir / "paced.txt")
        mix = ", ".join(
            f"{k} {v * 100 / len(measured.events):.0f}%" for k, v in measured.counts.items()
        )
        print(f"# event mix ({len(measured.events)} events): {mix}", flush=True)

        bare_port = free_port()
        bare = Process(
            [sys.executable, "-m", "tests.bench.bare_server", str(bare_port)],
            ready_url=f"http://127.0.0.1:{bare_port}/readyz",
            name="bare",
        )
        try:
            baseline = run_wrk(bare_port, workdir / "measured.txt")
        finally:
            bare.stop()

        _fresh(redis_server.url)
        result, drain = _full_load(redis_server.url, workdir / "measured.txt")
        # At full load the outbox falls behind the webhooks; the load the process
        # sustains is the events it took divided by the time until their effects were
        # all delivered. Half of that, on a fresh process and store, is the normal load.
        sustained = result.requests / (result.seconds + drain)
        _fresh(redis_server.url)
        half = _measure(
            redis_server.url, lambda port: run_paced(port, workdir / "paced.txt", sustained / 2)
        )
        _report(report, baseline, result, drain, sustained, half, len(measured.events))


def _report(
    report: Report,
    baseline: WrkResult,
    result: WrkResult,
    drain: float,
    sustained: float,
    half: dict[str, float],
    events: int,
) -> None:
    note = f"{result.non_2xx} non-2xx, {result.socket_errors} socket errors"
    if result.requests > events:
        note += f"; events reused after {events}"
    bare = "bare aiohttp JSON endpoint"
    report.add(
        Figure(
            "webhook throughput (answers/s)",
            result.rps,
            "req/s",
            baseline.rps,
            bare,
            "≥ 40 %",
            result.rps >= 0.4 * baseline.rps,
            note,
        )
    )
    report.add(
        Figure(
            "webhook sustained (effects delivered too)",
            sustained,
            "req/s",
            baseline.rps,
            bare,
            note=f"{result.requests} events in {result.seconds:.1f} s, outbox "
            f"drained {drain:.1f} s after",
        )
    )
    report.add(Figure("webhook p50 at full load", result.p50_ms, "ms", baseline.p50_ms, "bare p50"))
    report.add(Figure("webhook p99 at full load", result.p99_ms, "ms", baseline.p99_ms, "bare p99"))
    offered = f"{half['rate']:.0f} req/s offered (half the sustained rate), "
    report.add(
        Figure(
            "webhook p50 at half load",
            half["p50_ms"],
            "ms",
            note=offered + f"{half['sent']:.0f} sent",
        )
    )
    report.add(
        Figure(
            "webhook p99 at half load",
            half["p99_ms"],
            "ms",
            target="≤ 20 ms",
            met=half["p99_ms"] <= 20,
            note=f"{half['errors']:.0f} errors",
        )
    )


if __name__ == "__main__":
    bench(Report())
