"""The generic platform's API client (SPEC §3.2): one signed call per attempt.

`send` never raises for anything the network or the platform does; it classifies
the answer so the outbox knows what to do next:

- `done`: 2xx, or 409 (the platform already has this effect). The JSON object of the
  answer is handed back (empty when there is none or it is not a JSON object).
- `retry`: 5xx, 408, 429, timeouts and connection errors. 408 and 429 are 4xx, but
  they say "not now" rather than "never", so they are retried like a 5xx (a `Retry-After`
  in seconds is passed on).
- `dead`: every other answer (other 4xx, an unexpected redirect): retrying cannot help.

Error strings are short (status, platform error code, a truncated message): never a
secret, a signature or a whole body, since they are stored and shown to agents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from bot.platforms.base import Delivery, PlatformCall
from bot.platforms.generic.signing import sign_body

_RETRYABLE_4XX = frozenset({408, 429})

Answered = tuple[Delivery, dict[str, Any]]  # how it went, and the answer's JSON object


class PlatformClient:
    """Signs and sends outbox entries to the platform at `base_url`."""

    def __init__(
        self,
        base_url: str,
        app_key: str,
        app_secret: str,
        session: aiohttp.ClientSession,
        timeout: float = 5.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._app_key = app_key
        self._app_secret = app_secret
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def __repr__(self) -> str:  # never show the secret
        return f"PlatformClient({self._base_url!r})"

    async def send(self, call: PlatformCall, idempotency_key: str) -> Answered:
        """Send `call` once and classify the answer; never raises for I/O failures."""
        try:
            body = orjson.dumps(call.body)
        except TypeError as exc:  # orjson.JSONEncodeError is a TypeError
            return Delivery.dead(f"body is not JSON: {exc}"), {}
        headers = {
            "Authorization": sign_body(self._app_key, self._app_secret, body),
            "Idempotency-Key": idempotency_key,
            "Content-Type": "application/json",
        }
        try:
            async with self._session.request(
                call.method,
                self._base_url + call.path,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                raw = await response.read()
                return _classify(response.status, response.reason, response.headers, raw)
        except TimeoutError:
            return Delivery.retry(f"timeout after {self._timeout.total:g}s"), {}
        except aiohttp.ClientError as exc:
            return Delivery.retry(f"connection: {type(exc).__name__}"), {}


def _classify(status: int, reason: str | None, headers: Mapping[str, str], raw: bytes) -> Answered:
    answer = _json_object(raw)
    if 200 <= status < 300 or status == 409:
        return Delivery.done(), answer
    error = f"HTTP {status}: {_reason(answer, reason)}"
    if status >= 500 or status in _RETRYABLE_4XX:
        return Delivery.retry(error, _retry_after(headers.get("Retry-After"))), answer
    return Delivery.dead(error), answer


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _reason(answer: dict[str, Any], fallback: str | None) -> str:
    """The platform's `{"error": {"code", "message"}}` if it sent one, else the status text."""
    error = answer.get("error")
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        parts = [str(part) for part in (code, message) if isinstance(part, str) and part]
        if parts:
            return " ".join(parts)
    return fallback or "no reason"


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds; the HTTP-date form is ignored (the backoff applies)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds < float("inf") else None
