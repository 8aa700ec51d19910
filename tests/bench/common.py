"""Shared pieces of the benchmarks: processes, a private Redis, printing figures."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.redis_server import RedisServer, free_port

APP_KEY = "bench-app-key"
APP_SECRET = "bench-app-secret-0123456789abcdef"
AGENT_TOKEN = "bench-agent-token-0123456789abcdef"
TOKEN_SECRET = "bench-token-secret-0123456789abcdef"
PREFIX = "rbbench"


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    def line(self) -> str:
        text = f"{self.name:<44} {self.value:>12,.2f} {self.unit:<10}"
        if self.ratio is not None:
            text += f" ratio {self.ratio:6.2f} vs {self.baseline_name} ({self.baseline:,.2f})"
        if self.target:
            verdict = "" if self.met is None else (" MET" if self.met else " MISSED")
            text += f"  target {self.target}{verdict}"
        if self.note:
            text += f"  [{self.note}]"
        return text


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(figure.line(), flush=True)
        return figure


@contextmanager
def private_redis() -> Iterator[RedisServer]:
    workdir = Path(tempfile.mkdtemp(prefix="reshipbot-bench-redis-"))
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


class Process:
    """A child process (a server) with its output in a temporary log file."""

    def __init__(
        self,
        args: list[str],
        env: dict[str, str] | None = None,
        ready_url: str | None = None,
        name: str = "child",
    ) -> None:
        self.log = Path(tempfile.mkstemp(prefix=f"reshipbot-bench-{name}-", suffix=".log")[1])
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                args, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT
            )
        if ready_url:
            self.wait_ready(ready_url)

    def wait_ready(self, url: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"exited early:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"not ready: {url}\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.unlink(missing_ok=True)


def bot_env(redis_url: str, platform_url: str, port: int, **extra: str) -> dict[str, str]:
    return {
        "RESHIPBOT_APP_KEY": APP_KEY,
        "RESHIPBOT_APP_SECRET": APP_SECRET,
        "RESHIPBOT_AGENT_TOKEN": AGENT_TOKEN,
        "RESHIPBOT_TOKEN_SECRET": TOKEN_SECRET,
        "RESHIPBOT_REDIS_URL": redis_url,
        "RESHIPBOT_REDIS_PREFIX": PREFIX,
        "RESHIPBOT_PLATFORM_URL": platform_url,
        "RESHIPBOT_PORT": str(port),
        "RESHIPBOT_LOG_LEVEL": "ERROR",
        **extra,
    }


def start_bot(
    redis_url: str, platform_url: str, role: str = "all", **extra: str
) -> tuple[Process, int]:
    port = free_port()
    process = Process(
        [sys.executable, "-m", "bot.cli", "serve", "--role", role],
        bot_env(redis_url, platform_url, port, **extra),
        ready_url=f"http://127.0.0.1:{port}/readyz",
        name=f"bot-{role}",
    )
    return process, port


def start_worker(redis_url: str, platform_url: str, **extra: str) -> Process:
    """A `serve --role worker` process (no HTTP): ready once it prints its banner."""
    process = Process(
        [sys.executable, "-m", "bot.cli", "serve", "--role", "worker"],
        bot_env(redis_url, platform_url, free_port(), **extra),
        name="bot-worker",
    )
    deadline = time.monotonic() + 30
    while "reshipbot worker" not in process.log.read_text():
        if process.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"worker did not start:\n{process.log.read_text()[-3000:]}")
        time.sleep(0.05)
    return process


def start_platform() -> tuple[Process, str]:
    port = free_port()
    env = {"RESHIPBOT_APP_KEY": APP_KEY, "RESHIPBOT_APP_SECRET": APP_SECRET}
    process = Process(
        [sys.executable, "-m", "bot.cli", "sandbox", "--port", str(port)],
        env,
        ready_url=f"http://127.0.0.1:{port}/_sandbox/state",
        name="platform",
    )
    return process, f"http://127.0.0.1:{port}"


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is needed for the webhook benchmark: apt-get install wrk")
    return found
