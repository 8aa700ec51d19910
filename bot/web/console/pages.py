"""The console's pages, each with a fragment URL for its live part: read, shape, render.

Every page is `GET` and reads only. A page and its fragment share one loader; the page
wraps the fragment's template in the layout, the fragment is what the page's script
fetches when a change notice arrives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp_jinja2
from aiohttp import web

from bot.runtime.services import SERVICES, Services
from bot.web.console import views
from bot.web.console.auth import agent_data, agent_page, logout_token
from bot.web.console.live import ChangeHub, Topic, stream
from bot.web.console.reads import (
    QueueQuery,
    card_views,
    load_conversation,
    load_dead_letters,
    load_queue,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Loader = Callable[[web.Request], Awaitable[dict[str, Any] | None]]

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"
TZ_COOKIE = "rb_tz"
FALLBACK_REFRESH_SECONDS = 15
HUB = web.AppKey("reshipbot_console_hub", ChangeHub)


def services_of(request: web.Request) -> Services:
    return request.config_dict[SERVICES]


def entity_href(kind: str, identifier: str, *, fragment: bool = False) -> str:
    """`/agent/requests/<id>` (any id, escaped); `.` and `..` go in the query instead."""
    base = "/agent/fragments" if fragment else "/agent"
    if identifier in (".", ".."):
        return f"{base}/{kind}?{urlencode({'id': identifier})}"
    return f"{base}/{kind}s/{quote(identifier, safe='')}"


def request_href(request_id: str) -> str:
    return entity_href("request", request_id)


def conversation_href(conversation_id: str) -> str:
    return entity_href("conversation", conversation_id)


def _static_versions() -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.iterdir()
        if path.is_file()
    }


_VERSIONS = _static_versions()


def static_url(name: str) -> str:
    return f"/agent/static/{name}?v={_VERSIONS.get(name, '0')}"


TEMPLATE_GLOBALS: dict[str, Any] = {
    "money": views.money,
    "status_label": views.status_label,
    "words": views.words,
    "actor_label": views.actor_label,
    "card_name": views.card_name,
    "detail_items": views.detail_items,
    "next_step": views.next_step,
    "deadlines": views.deadlines,
    "safe_link": views.safe_link,
    "effect_summary": views.effect_summary,
    "reason_label": lambda reason: views.REASON_LABELS.get(str(reason), str(reason)),
    "request_href": request_href,
    "conversation_href": conversation_href,
    "static": static_url,
    "status_choices": views.STATUS_CHOICES,
}


def render(
    request: web.Request, name: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    """A console template with what every page needs: the agent's clock and zone."""
    zone = views.agent_zone(request.cookies.get(TZ_COOKIE))
    common = {
        "times": views.Times(services_of(request).clock.now(), zone),
        "refresh_seconds": FALLBACK_REFRESH_SECONDS,
        "search_text": "",
        "live": None,
        "logout_token": logout_token(request),
        "platform_call": services_of(request).platform.describe,
    }
    return aiohttp_jinja2.render_template(
        f"console/{name}", request, {**common, **context}, status=status
    )


def not_found(request: web.Request, what: str) -> web.Response:
    return render(request, "not_found.html", {"what": what}, status=404)


def page_and_fragment(name: str, what: str, load: Loader) -> tuple[Handler, Handler]:
    """The page (`<name>.html` in the layout) and its live part (`_<name>.html`)."""

    @agent_page
    async def page(request: web.Request) -> web.StreamResponse:
        context = await load(request)
        if context is None:
            return not_found(request, what)
        return render(request, f"{name}.html", context)

    @agent_data
    async def fragment(request: web.Request) -> web.StreamResponse:
        context = await load(request)
        if context is None:
            return web.Response(status=404, text=f"no such {what}\n")
        return render(request, f"_{name}.html", context)

    return page, fragment


def _live(fragment_url: str, **topic: str) -> dict[str, str]:
    query = urlencode(topic)
    return {"fragment": fragment_url, "events": "/agent/events" + (f"?{query}" if query else "")}


def _id(request: web.Request, name: str) -> str:
    return request.match_info.get(name) or request.query.get("id", "")


async def _queue(request: web.Request) -> dict[str, Any]:
    query = QueueQuery.parse(request.query)
    page = await load_queue(services_of(request), query)
    fragment = "/agent/fragments/queue" + (
        f"?{request.query_string}" if request.query_string else ""
    )
    live = _live(fragment, only="requests")
    return {"page": page, "query": query, "search_text": query.q, "live": live}


async def _request(request: web.Request) -> dict[str, Any] | None:
    request_id = _id(request, "request_id")
    found = await services_of(request).store.get_request(request_id) if request_id else None
    if found is None:
        return None
    fragment = entity_href("request", request_id, fragment=True)
    return {
        "item": found,
        "cards": card_views(services_of(request), found),
        "live": _live(fragment, request_id=request_id),
    }


async def _conversation(request: web.Request) -> dict[str, Any] | None:
    conversation_id = _id(request, "conversation_id")
    found = await load_conversation(services_of(request), conversation_id)
    if found is None:
        return None
    fragment = entity_href("conversation", conversation_id, fragment=True)
    return {"conversation": found, "live": _live(fragment, conversation_id=conversation_id)}


async def _deliveries(request: web.Request) -> dict[str, Any]:
    letters = await load_dead_letters(services_of(request))
    return {"letters": letters, "live": _live("/agent/fragments/deliveries")}


queue_page, queue_fragment = page_and_fragment("queue", "page", _queue)
request_page, request_fragment = page_and_fragment("request", "request", _request)
conversation_page, conversation_fragment = page_and_fragment(
    "conversation", "conversation", _conversation
)
deliveries_page, deliveries_fragment = page_and_fragment("deliveries", "page", _deliveries)


@agent_data
async def events(request: web.Request) -> web.StreamResponse:
    """`text/event-stream` of the notices the calling page shows (see `live`)."""
    topic = Topic(
        request_id=request.query.get("request_id") or None,
        conversation_id=request.query.get("conversation_id") or None,
        requests_only=request.query.get("only") == "requests",
    )
    return await stream(request, request.config_dict[HUB], topic)


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("", queue_page)
    router.add_get("/", queue_page)
    router.add_get("/fragments/queue", queue_fragment)
    for path, page, fragment in (
        ("request", request_page, request_fragment),
        ("conversation", conversation_page, conversation_fragment),
    ):
        # any id (braces too); `.` and `..`, which a path cannot carry, come as ?id=…
        router.add_get(f"/{path}s/{{{path}_id:[^/]+}}", page)
        router.add_get(f"/{path}", page)
        router.add_get(f"/fragments/{path}s/{{{path}_id:[^/]+}}", fragment)
        router.add_get(f"/fragments/{path}", fragment)
    router.add_get("/deliveries", deliveries_page)
    router.add_get("/fragments/deliveries", deliveries_fragment)
    router.add_get("/events", events)
    router.add_static("/static", STATIC_DIR, append_version=False)
