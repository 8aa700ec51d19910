"""Serving the application on a port, with a cap on connections per client and in total.

`run_web(app, settings, metrics)` is what `reshipbot serve` runs: aiohttp's runner behind
a listener of our own, so each connection is counted before aiohttp sees it. A
connection over `MAX_CONNECTIONS_PER_IP` for its client, or over `MAX_CONNECTIONS` in
all, is answered `503` (the JSON error shape, `Connection: close`) and closed at once;
it never reaches the application. Clients are told apart by IP address, IPv6 ones by
their /64 (one host usually has a whole /64). Refusals are counted in
`reshipbot_connections_refused_total` and logged at most once a minute.

SIGTERM and SIGINT stop the listener, let requests in flight finish (10 s at most) and
stop the services.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import signal
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web

from bot.runtime.config import Settings
from bot.runtime.metrics import Metrics

log = logging.getLogger("reshipbot.web")

SHUTDOWN_TIMEOUT = 10.0
REFUSAL_LOG_EVERY = 60.0  # seconds between two log lines about refused connections

_REFUSAL_BODY = orjson.dumps(
    {"error": {"code": "too_many_connections", "message": "too many connections; retry later"}}
)
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: %d\r\n"
    b"Retry-After: 1\r\n"
    b"Connection: close\r\n\r\n%s" % (len(_REFUSAL_BODY), _REFUSAL_BODY)
)


def client_of(peer: Any) -> str:
    """The client a connection counts against: its IP address (IPv6: its /64)."""
    host = peer[0] if isinstance(peer, tuple) and peer else str(peer)
    try:
        address = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return str(host)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ConnectionLimits:
    """Open connections per client and in total, against their caps."""

    def __init__(self, total: int, per_client: int, metrics: Metrics | None = None) -> None:
        self.total = total
        self.per_client = per_client
        self.open: Counter[str] = Counter()
        self._metrics = metrics
        self._refused = 0
        self._last_report = -REFUSAL_LOG_EVERY

    def admit(self, client: str) -> bool:
        """Count a new connection of `client`, or say no (and count the refusal)."""
        if self.open[client] >= self.per_client:
            self._refuse("per_ip")
            return False
        if self.open.total() >= self.total:
            self._refuse("total")
            return False
        self.open[client] += 1
        return True

    def release(self, client: str) -> None:
        self.open[client] -= 1
        if self.open[client] <= 0:
            del self.open[client]

    def _refuse(self, limit: str) -> None:
        if self._metrics is not None:
            self._metrics.connection_refused(limit)
        self._refused += 1
        now = time.monotonic()
        if now - self._last_report >= REFUSAL_LOG_EVERY:
            log.warning(
                "refused %d connection(s) over the caps (%d per client, %d in all) "
                "since the last report",
                self._refused,
                self.per_client,
                self.total,
            )
            self._refused, self._last_report = 0, now


class GuardedConnection(asyncio.Protocol):
    """One accepted connection: refused over the caps, else handed to aiohttp's handler."""

    def __init__(self, limits: ConnectionLimits, make_handler: Callable[[], Any]) -> None:
        self._limits = limits
        self._make_handler = make_handler
        self._handler: Any = None
        self._client: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        client = client_of(transport.get_extra_info("peername"))
        if not self._limits.admit(client):
            if isinstance(transport, asyncio.WriteTransport):
                transport.write(REFUSAL)
            transport.close()
            return
        self._client = client
        self._handler = self._make_handler()
        self._handler.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._handler is not None:
            self._handler.connection_lost(exc)
        if self._client is not None:
            self._limits.release(self._client)
            self._client = None

    def data_received(self, data: bytes) -> None:
        if self._handler is not None:
            self._handler.data_received(data)

    def eof_received(self) -> bool | None:
        if self._handler is not None:
            result: bool | None = self._handler.eof_received()
            return result
        return None

    def pause_writing(self) -> None:
        if self._handler is not None:
            self._handler.pause_writing()

    def resume_writing(self) -> None:
        if self._handler is not None:
            self._handler.resume_writing()


async def run_web(app: web.Application, settings: Settings, metrics: Metrics | None) -> None:
    """Serve `app` on `settings.host:port` until SIGTERM or SIGINT, then shut down."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    limits = ConnectionLimits(settings.max_connections, settings.max_connections_per_ip, metrics)
    runner = web.AppRunner(
        app,
        access_log=None,
        shutdown_timeout=SHUTDOWN_TIMEOUT,
        # after an early answer (408, 413) the rest of a body is read and dropped for at
        # most this long, so the client can read the answer, then the connection closes
        lingering_time=settings.body_timeout.total_seconds(),
    )
    await runner.setup()
    try:
        handlers = runner.server
        assert handlers is not None  # set by setup()
        listener = await loop.create_server(
            lambda: GuardedConnection(limits, handlers), settings.host, settings.port
        )
        try:
            await stop.wait()
        finally:
            listener.close()
    finally:
        await runner.cleanup()
