"""Real `reshipbot serve` processes for tests: start, wait until ready, kill -9, stop.

`Fleet` keeps the processes of one test on one Redis (one key prefix) and points a
`BotHarness` at the latest web process, so the harness's helpers work over real HTTP.
A process killed with `kill9()` can be `start()`ed again: it comes back on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from bot.core.clock import OffsetClock
from bot.platforms.generic.sandbox import SandboxState
from storage import RedisStore
from tests.conftest import _delete_prefix
from tests.e2e.harness import AGENT_TOKEN, APP_KEY, APP_SECRET, TOKEN_SECRET, BotHarness
from tests.redis_server import free_port
from tests.timing import patience

READY_TIMEOUT = 60.0  # a ceiling (stretched by RESHIPBOT_TEST_TIME_SCALE): start-up under load


class BotProcess:
    """One `python -m bot.cli serve` child with its own port and log file."""

    def __init__(
        self, env: dict[str, str], log_dir: Path, role: str = "all", name: str = "bot"
    ) -> None:
        self.port = free_port()
        self.role = role
        self.name = name
        self.env = {
            **os.environ,
            **env,
            "RESHIPBOT_PORT": str(self.port),
            "RESHIPBOT_HOST": "127.0.0.1",
        }
        self.log_path = log_dir / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> BotProcess:
        """Spawn and wait until it answers (web) or says it runs (worker).

        Waiting is asynchronous so servers in the test's own loop (a recording platform)
        keep answering meanwhile.
        """
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--role", self.role],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if self.role == "worker":
            await self.wait_for_log("reshipbot worker")
        else:
            await self.wait_ready()
        return self

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + patience(READY_TIMEOUT)
        while time.monotonic() < deadline:
            self._check_alive()
            if await asyncio.to_thread(self._ready):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} not ready in {READY_TIMEOUT}s:\n{self.output()}")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=1) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    async def wait_for_log(self, text: str) -> None:
        deadline = time.monotonic() + patience(READY_TIMEOUT)
        while time.monotonic() < deadline:
            self._check_alive()
            if text in self.output():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} did not log {text!r}:\n{self.output()}")

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(
                f"{self.name} exited with {self.process.returncode}:\n{self.output()}"
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    async def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait (without blocking the loop); returns the exit code."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.process.wait, patience(timeout))

    async def stop(self) -> None:
        try:
            await self.terminate()
        except subprocess.TimeoutExpired:
            self.kill9()


class Fleet:
    """The bot processes of one test, on one Redis under one key prefix."""

    def __init__(self, env: dict[str, str], log_dir: Path, harness: BotHarness) -> None:
        self.env = env
        self.log_dir = log_dir
        self.harness = harness
        self.processes: list[BotProcess] = []

    async def start(self, role: str = "all", **env: str) -> BotProcess:
        process = BotProcess(
            {**self.env, **env}, self.log_dir, role=role, name=f"{role}{len(self.processes)}"
        )
        self.processes.append(process)
        await process.start()
        if role != "worker":
            self.harness.base_url = process.url
        return process

    def store(self) -> RedisStore:
        return RedisStore.from_url(
            self.env["RESHIPBOT_REDIS_URL"], prefix=self.env["RESHIPBOT_REDIS_PREFIX"]
        )

    async def drained(self) -> None:
        """Wait until every outbox entry is delivered (or dead)."""
        store = self.store()
        try:
            await self.harness.eventually(
                lambda: _nothing_pending(store), what="the outbox to drain"
            )
        finally:
            await store.close()

    @property
    def redis_url(self) -> str:
        return self.env["RESHIPBOT_REDIS_URL"]

    @property
    def prefix(self) -> str:
        return self.env["RESHIPBOT_REDIS_PREFIX"]


async def _nothing_pending(store: RedisStore) -> bool:
    return await store.next_delivery_at() is None


@contextlib.asynccontextmanager
async def open_fleet(
    redis_url: str, platform_url: str, platform: SandboxState, log_dir: Path, **env: str
) -> AsyncIterator[Fleet]:
    """A fleet on `redis_url` (a fresh key prefix) delivering to the platform at `platform_url`.

    `platform` is that platform's record (a sandbox app served in the test's loop). On exit
    every process is stopped (SIGTERM, then kill -9) and the prefix's keys are deleted.
    """
    prefix = f"rbproc-{uuid.uuid4().hex[:10]}"
    settings = {
        "RESHIPBOT_APP_KEY": APP_KEY,
        "RESHIPBOT_APP_SECRET": APP_SECRET,
        "RESHIPBOT_AGENT_TOKEN": AGENT_TOKEN,
        "RESHIPBOT_TOKEN_SECRET": TOKEN_SECRET,
        "RESHIPBOT_REDIS_URL": redis_url,
        "RESHIPBOT_REDIS_PREFIX": prefix,
        "RESHIPBOT_PLATFORM_URL": platform_url,
        "RESHIPBOT_SELLER_REMINDER_BEFORE": "0s",
        "RESHIPBOT_LOG_LEVEL": "WARNING",
        **env,
    }
    async with aiohttp.ClientSession() as session:
        harness = BotHarness(
            base_url="", session=session, platform=platform, services=None, clock=OffsetClock()
        )
        crew = Fleet(settings, log_dir, harness)
        try:
            yield crew
        finally:
            for process in crew.processes:
                await process.stop()
            with contextlib.suppress(OSError, ConnectionError):
                await _delete_prefix(redis_url, prefix)
