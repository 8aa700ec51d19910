"""The agent API (SPEC §3.3): read-only JSON behind `Authorization: Bearer AGENT_TOKEN`.

Agents read; they never act for a buyer or a seller, so no answer carries a card's
action tokens (cards, and dead letters' bodies, are shown without them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.core.models import Status
from bot.platforms.generic.signing import bearer_matches
from bot.runtime.services import SERVICES, Services
from bot.web.api_view import iso, request_view
from bot.web.responses import error, json_response
from cards.model import Card
from storage.base import DeadLetter, RequestFilter

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_LIMIT = 200


def card_view(card: Card) -> dict[str, Any]:
    """A card as its reader sees it, without the action tokens: agents read, never act."""
    return card.model_dump(mode="json", exclude={"actions": {"__all__": {"token"}}})


def without_tokens(value: Any) -> Any:
    """`value` (a call's body) without any `token` key: a dead card keeps no live token."""
    if isinstance(value, dict):
        return {key: without_tokens(item) for key, item in value.items() if key != "token"}
    if isinstance(value, list):
        return [without_tokens(item) for item in value]
    return value


def bearer_ok(services: Services, header: str | None) -> bool:
    """Constant-time check of a bearer token against every configured agent token."""
    tokens = (token.get_secret_value() for token in services.settings.agent_token)
    return bearer_matches(header, tokens)


def require_agent(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        if not bearer_ok(request.app[SERVICES], request.headers.get("Authorization")):
            return error(401, "unauthorized", "send Authorization: Bearer <agent token>")
        return await handler(request)

    return guarded


@require_agent
async def get_request(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    found = await services.store.get_request(request.match_info["request_id"])
    if found is None:
        return error(404, "not_found", "no such request")
    return json_response(request_view(found))


def _filter(query: Any) -> RequestFilter | str:
    statuses = None
    if status := query.get("status"):
        try:
            statuses = frozenset(Status(value) for value in status.split(","))
        except ValueError:
            return f"status must be one of {', '.join(Status)} (comma-separated)"
    overdue = None
    if (flag := query.get("overdue")) is not None and flag != "":
        if flag.lower() not in ("true", "false", "1", "0"):
            return "overdue must be true or false"
        overdue = flag.lower() in ("true", "1")
    return RequestFilter(
        status=statuses,
        shop_id=query.get("shop_id") or None,
        conversation_id=query.get("conversation_id") or None,
        overdue=overdue,
    )


def _limit(query: Any) -> int | str:
    text = query.get("limit", "50")
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int() (it raised)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        return f"limit must be a number from 1 to {MAX_LIMIT}"
    return int(text)


@require_agent
async def list_requests(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    where, limit = _filter(request.query), _limit(request.query)
    if isinstance(where, str) or isinstance(limit, str):
        message = where if isinstance(where, str) else str(limit)
        return error(400, "bad_query", message)
    try:
        page = await services.store.list_requests(where, limit, request.query.get("cursor"))
    except ValueError:
        return error(400, "bad_cursor", "the cursor is not one this API gave out")
    return json_response(
        {"items": [request_view(item) for item in page.items], "next_cursor": page.next_cursor}
    )


@require_agent
async def get_conversation(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    conversation_id = request.match_info["conversation_id"]
    view = await services.store.read_conversation(conversation_id)
    requests = sorted(view.requests, key=lambda r: (r.created_at, r.request_id))
    cards = [
        card_view(services.renderer.card(item, card.card_id))
        for item in requests
        for card in item.cards
    ]
    return json_response(
        {
            "conversation_id": conversation_id,
            "requests": [request_view(item) for item in requests],
            "cards": cards,
        }
    )


@require_agent
async def list_deliveries(request: web.Request) -> web.StreamResponse:
    services = request.app[SERVICES]
    state = request.query.get("state", "dead")
    if state != "dead":
        return error(400, "bad_query", "state must be dead")
    limit = _limit(request.query)
    if isinstance(limit, str):
        return error(400, "bad_query", limit)
    letters = await services.store.dead_letters(limit=limit)
    return json_response({"items": [_dead_letter(services, letter) for letter in letters]})


def _dead_letter(services: Services, letter: DeadLetter) -> dict[str, Any]:
    """A dead letter as the platform's call it would have been (`method`, `path`, `body`)."""
    entry = letter.entry
    call = services.platform.describe(entry)
    return {
        "entry_id": entry.entry_id,
        "conversation_id": entry.conversation_id,
        "request_id": entry.request_id,
        "effect": entry.effect.value,
        "method": call.method,
        "path": call.path,
        "idempotency_key": entry.idempotency_key,
        "attempts": entry.attempts,
        "error": letter.error,
        "failed_at": iso(letter.failed_at),
        "created_at": iso(entry.created_at),
        "body": without_tokens(call.body),
    }


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/requests/{request_id}", get_request)
    app.router.add_get("/api/requests", list_requests)
    app.router.add_get("/api/conversations/{conversation_id}", get_conversation)
    app.router.add_get("/api/deliveries", list_deliveries)
