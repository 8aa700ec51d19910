"""An open-loop load generator: sends pre-signed events at a fixed rate, measures latency.

Latency is measured from each request's *scheduled* send time, so a server (or this
client) falling behind shows up in the figures instead of hiding (no coordinated
omission). Usage: python -m tests.bench.paced PORT EVENTS_FILE RATE SECONDS
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp


def _load(path: Path) -> list[tuple[str, bytes]]:
    lines = path.read_bytes().split(b"\n")
    return [(lines[i].decode(), lines[i + 1]) for i in range(0, len(lines) - 1, 2)]


async def _run(
    port: int, events: list[tuple[str, bytes]], rate: float, seconds: float
) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}/webhooks/chat"
    total = min(len(events), int(rate * seconds))
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(index: int, scheduled: float) -> None:
            nonlocal errors
            signature, body = events[index]
            try:
                async with session.post(
                    url,
                    data=body,
                    headers={
                        "Authorization": signature,
                        "Content-Type": "application/json",
                    },
                ) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - scheduled)

        start = time.perf_counter()
        tasks = []
        for index in range(total):
            scheduled = start + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(index, scheduled)))
        await asyncio.gather(*tasks)
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "rate": rate,
        "sent": float(total),
        "errors": float(errors),
        "p50_ms": percentile(50),
        "p99_ms": percentile(99),
    }


def main() -> None:
    port, path, rate, seconds = sys.argv[1:5]
    result = asyncio.run(_run(int(port), _load(Path(path)), float(rate), float(seconds)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
