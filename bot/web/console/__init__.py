"""The agent console (SPEC §3.3 `GET /agent`): server-rendered, read-only, live.

Mounted at `/agent` as its own aiohttp sub-application, so its middleware (security
headers, an HTML page when the store is down) touches only console responses:

    /agent                      the queue (filters, search)     pages.py
    /agent/requests/<id>        one request, everything about it
    /agent/conversations/<id>   a conversation's requests, messages and cards
    /agent/deliveries           dead letters: what a buyer or seller never got
    /agent/fragments/…          each page's live part, fetched by the page's script
    /agent/events               server-sent change notices            live.py
    /agent/login, /logout       sign in with the agent token          auth.py, login.py
    /agent/static/…             console.css, console.js (no build step)

Templates are Jinja2 (aiohttp-jinja2) with autoescaping and StrictUndefined; the words
and numbers they show come from `views.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.core.errors import StorageError
from bot.runtime.services import SERVICES, Services
from bot.web.console import login, pages
from bot.web.console.auth import SESSIONS, Sessions, security_headers
from bot.web.console.live import ChangeHub

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every console answer; an HTML 503 when the store is down."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        security_headers(exc.headers, request.path)
        raise
    except StorageError:
        response = pages.render(request, "unavailable.html", {}, status=503)
    if not response.prepared:  # a stream (events) set its own headers before it began
        security_headers(response.headers, request.path)
    return response


def console_app(services: Services) -> web.Application:
    app = web.Application(middlewares=[console_middleware])
    app[SERVICES] = services
    tokens = [token.get_secret_value() for token in services.settings.agent_token]
    app[SESSIONS] = Sessions(tokens)
    app[pages.HUB] = hub = ChangeHub(lambda: services.store)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(pages.TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        default_helpers=False,
    )
    env.globals.update(pages.TEMPLATE_GLOBALS)
    login.add_routes(app)
    pages.add_routes(app)

    async def end_streams(_: web.Application) -> None:
        await hub.close()

    app.on_shutdown.append(end_streams)
    return app
