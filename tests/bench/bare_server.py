"""The baseline: a bare aiohttp endpoint that parses a JSON body and answers JSON."""

from __future__ import annotations

import sys

import orjson
from aiohttp import web

OK = orjson.dumps({"ok": True})


async def handle(request: web.Request) -> web.Response:
    body = await request.read()
    orjson.loads(body)
    return web.Response(body=OK, content_type="application/json")


def main() -> None:
    app = web.Application()
    app.router.add_post("/webhooks/chat", handle)
    app.router.add_get("/readyz", lambda _: web.Response(body=OK))
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
