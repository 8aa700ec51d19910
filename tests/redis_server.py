"""A private, throw-away redis-server for tests (a free local port, no persistence unless
asked), and what tests do when there is no Redis to test against.

For fault tests a server can be hung (`pause()`: SIGSTOP, `resume()`: SIGCONT), stopped
and started again on the same port (`restart()`; with `persistent=True` it keeps its data
across that in an append-only file synced on every write), and have its clients' connections
cut (`kill_clients()`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import NoReturn

import pytest
import redis

from storage import RedisStore
from tests.timing import patience

START_TIMEOUT = 30.0  # a ceiling, stretched by patience()

MakeRedisStore = Callable[..., RedisStore]  # the `make_redis_store` fixture


def no_redis(reason: str) -> NoReturn:
    """Skip, or fail when RESHIPBOT_REQUIRE_REDIS=1 (CI must not silently skip Redis)."""
    if os.environ.get("RESHIPBOT_REQUIRE_REDIS") == "1":
        pytest.fail(f"RESHIPBOT_REQUIRE_REDIS=1 but {reason}", pytrace=False)
    pytest.skip(f"no Redis for tests: {reason} (set RESHIPBOT_TEST_REDIS_URL to use one)")


class RedisServerError(RuntimeError):
    """redis-server is missing or did not come up; the message says why."""


def free_port() -> int:
    """A local TCP port nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def find_redis_server() -> str | None:
    if found := shutil.which("redis-server"):
        return found
    return "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None


class RedisServer:
    """`with RedisServer(tmpdir) as server:` runs redis-server until the block ends."""

    def __init__(self, workdir: Path, *, persistent: bool = False) -> None:
        self.workdir = workdir
        self.persistent = persistent
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = find_redis_server()
        if binary is None:
            raise RedisServerError("no redis-server binary on PATH")
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--dir", str(self.workdir)]
        if self.persistent:
            command += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            command += ["--appendonly", "no"]
        with (self.workdir / "redis.log").open("ab") as log:
            try:
                self._process = subprocess.Popen(
                    command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
                )
            except OSError as exc:
                raise RedisServerError(f"redis-server did not start: {exc}") from exc
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + patience(START_TIMEOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    code = self._process.returncode
                    raise RedisServerError(f"redis-server exited with code {code}")
                try:
                    client.ping()
                    return
                except redis.exceptions.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        raise RedisServerError(f"redis-server did not answer within {START_TIMEOUT:.0f}s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def pause(self) -> None:
        """Hang the server (SIGSTOP): connections stay open, nothing answers."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """Start again on the same port after `stop()` (data survives only if persistent)."""
        if self.running:
            self.stop()
        self.start()

    def kill_clients(self) -> int:
        """Close every normal client connection (CLIENT KILL TYPE normal); how many."""
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            # our own connection is normal too: SKIPME (default yes) keeps it
            killed: int = client.client_kill_filter(_type="normal")
            return killed
        finally:
            client.close()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
