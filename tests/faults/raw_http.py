"""HTTP/1.1 by hand over real sockets, for clients no library would be: one that sends its
headers and then trickles (or abandons) the body, one that holds a connection open, one
that connects from another loopback address (127.0.0.2, …) to count as another client.

`serving()` starts a `reshipbot serve` of a test's own on the embedded store (no Redis:
these tests are about the HTTP layer), with the sandbox platform mounted in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from tests.e2e.harness import AGENT_TOKEN, APP_KEY, APP_SECRET, TOKEN_SECRET
from tests.processes import BotProcess
from tests.timing import patience

SERVE_ENV = {
    "RESHIPBOT_APP_KEY": APP_KEY,
    "RESHIPBOT_APP_SECRET": APP_SECRET,
    "RESHIPBOT_AGENT_TOKEN": AGENT_TOKEN,
    "RESHIPBOT_TOKEN_SECRET": TOKEN_SECRET,
    "RESHIPBOT_REDIS_URL": "",
    "RESHIPBOT_PLATFORM_URL": "",
}


@contextlib.asynccontextmanager
async def serving(log_dir: Path, **env: str) -> AsyncIterator[BotProcess]:
    """A `reshipbot serve` process with `env`; stopped (SIGTERM, then kill -9) on exit."""
    process = BotProcess({**SERVE_ENV, **env}, log_dir)
    try:
        await process.start()
        yield process
    finally:
        await process.stop()


@dataclass
class RawAnswer:
    status: int | None  # None: closed without an answer
    body: bytes
    closed: bool  # the server closed the connection after it
    seconds: float  # from the headers sent to the answer (or the close)

    def json(self) -> object:
        return orjson.loads(self.body)


class RawConnection:
    """One TCP connection to a test server, written and read by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, source: str = "127.0.0.1") -> RawConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        return cls(reader, writer)

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def request(self, head: bytes, body: bytes = b"") -> RawAnswer:
        """A whole request on this (kept-alive) connection; its answer."""
        self.send(head + body)
        return await self.answer(time.monotonic(), keep_open=True)

    async def answer(self, since: float, keep_open: bool = False) -> RawAnswer:
        """The server's next answer: status, body and whether it then closed."""
        async with asyncio.timeout(patience()):
            status_line = await self.reader.readline()
            if not status_line:
                return RawAnswer(None, b"", True, time.monotonic() - since)
            length = 0
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await self.reader.readexactly(length)
            seconds = time.monotonic() - since
            closed = False if keep_open else await self._closed()
        return RawAnswer(int(status_line.split()[1]), body, closed, seconds)

    async def _closed(self) -> bool:
        """Whether the server closes the connection now that it answered (waits for it)."""
        try:
            return await self.reader.read(1) == b""
        except ConnectionError:  # closed while the client was still sending: a reset
            return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def post_head(path: str, length: int, content_type: str = "application/json") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: bot\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def get_head(path: str, *headers: str) -> bytes:
    extra = "".join(f"{header}\r\n" for header in headers)
    return f"GET {path} HTTP/1.1\r\nHost: bot\r\n{extra}\r\n".encode()


async def trickle(connection: RawConnection, every: float = 0.1) -> None:
    """Send the body one byte at a time, `every` seconds apart, until the server hangs up."""
    with contextlib.suppress(ConnectionError):
        while not connection.writer.is_closing() and not connection.reader.at_eof():
            connection.send(b"{")
            await connection.writer.drain()
            await asyncio.sleep(every)
