"""JSON answers, and the one error shape: `{"error": {"code", "message"}}`."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

JSON = "application/json"


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=orjson.dumps(payload), status=status, content_type=JSON, headers=headers
    )


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return json_response({"error": {"code": code, "message": message, **extra}}, status)


OK = orjson.dumps({"ok": True})


def ok() -> web.Response:
    return web.Response(body=OK, content_type=JSON)
