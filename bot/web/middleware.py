"""The application's middleware: every answer is one the contract knows, whatever arrives.

- `body_deadline(seconds)`: a request body must arrive within `seconds` of the headers.
  A body still trickling in then is answered `408` (`body_timeout`) and the connection is
  closed, so a slow sender cannot hold a connection and a handler open for long.
- `no_500s`: a client that went away mid-body or sent a broken body (bad chunking) is not
  a fault of ours: one DEBUG line, no traceback, nothing of the body; an unexpected fault
  is a logged `503` the sender can retry, never a bare `500`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Middleware

from bot.web.responses import error

log = logging.getLogger("reshipbot.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def body_deadline(seconds: float) -> Middleware:
    """A request that sends a body (POST, PUT…) must have sent all of it `seconds` after its
    headers: its handler, waiting for the rest, is then stopped and the answer is `408`.

    The deadline is lifted the moment the body is complete, so a handler's own work after
    reading is never cut short. The connection is closed after the 408; the server first
    reads and discards what the client still sends for a moment (aiohttp's lingering
    close), so the client can read the 408 instead of a reset.
    """

    @web.middleware
    async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        body = request.content
        if request.method not in request.POST_METHODS or body.is_eof():
            return await handler(request)
        try:
            async with asyncio.timeout(seconds) as scope:
                body.on_eof(lambda: _lift(scope))
                return await handler(request)
        except TimeoutError:
            if not scope.expired():
                raise  # the handler's own
        log.debug("body too slow on %s %s", request.method, request.path)
        late = error(408, "body_timeout", f"the body did not arrive within {seconds:g} s")
        late.force_close()
        return late

    return deadline


def _lift(scope: asyncio.Timeout) -> None:
    """The body is complete: no deadline any more (unless it already struck or ended)."""
    with contextlib.suppress(RuntimeError):  # the handler is done, or was just stopped
        if not scope.expired():
            scope.reschedule(None)


@web.middleware
async def no_500s(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An unexpected fault becomes a logged 503 the sender can retry, never a bare 500."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (ConnectionError, HttpProcessingError) as problem:
        # the client hung up mid-body or broke the body's framing: its doing, not ours
        log.debug(
            "incomplete body on %s %s: %s", request.method, request.path, type(problem).__name__
        )
        broken = error(400, "incomplete_body", "the request body ended early or is malformed")
        broken.force_close()
        return broken
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error(503, "unavailable", "something went wrong; retry later")
