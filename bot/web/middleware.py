"""The application's middleware: every answer is one the contract knows, whatever arrives.

- `body_deadline(seconds)`: a request body must arrive within `seconds` of the headers.
  A body still trickling in then is answered `408` (`body_timeout`) and the connection is
  closed, so a slow sender cannot hold a connection and a handler open.
- `no_500s`: a client that went away mid-body or sent a broken body (bad chunking) is not
  a fault of ours: one DEBUG line, no traceback, nothing of the body; an unexpected fault
  is a logged `503` the sender can retry, never a bare `500`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.streams import StreamReader
from aiohttp.typedefs import Middleware

from bot.web.responses import error

log = logging.getLogger("reshipbot.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BodyTimeout(TimeoutError):
    """The request body did not arrive in time.

    A `TimeoutError`: after a handler answered without reading the whole body, aiohttp
    reads the rest for a while and stops at a timeout, closing the connection — which is
    what a body past its deadline should get.
    """


def body_deadline(seconds: float) -> Middleware:
    """Reads of a request body fail with `BodyTimeout` once `seconds` have passed."""

    @web.middleware
    async def deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        body = request.content
        if not request.body_exists or body.is_eof():
            return await handler(request)
        timer = asyncio.get_running_loop().call_later(seconds, _expire, body, seconds)
        try:
            return await handler(request)
        except BodyTimeout:
            log.debug("body too slow on %s %s", request.method, request.path)
            late = error(408, "body_timeout", f"the body did not arrive within {seconds:g} s")
            late.force_close()
            return late
        finally:
            timer.cancel()

    return deadline


def _expire(body: StreamReader, seconds: float) -> None:
    if not body.is_eof() and body.exception() is None:
        body.set_exception(BodyTimeout(f"the body did not arrive within {seconds:g} s"))


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
