"""`GET /openapi.json`: an OpenAPI 3.1 description of the webhook and the agent API.

The webhook's bodies and the Card come from the pydantic models that validate them
(`bot.wire`, `cards.model`), so the document cannot drift from what is checked; the agent
API's answers (built by hand in `bot.api_view`) are described here. No authentication:
the document holds no secret. tests/faults/test_openapi.py runs schemathesis against it.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bot.core.models import Status
from bot.platforms.generic.wire import DATA_MODELS, Envelope
from bot.web.responses import json_response
from cards.model import Card

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
TIME = {"type": "string", "format": "date-time"}
MONEY = {"type": "string", "pattern": r"^\d+(\.\d+)?$"}
FLAG = {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)?$"}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    required = [name for name in properties if name not in optional]
    return {"type": "object", "properties": properties, "required": required}


ERROR = _object(
    {
        "error": _object(
            {
                "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                "message": STRING,
                "fields": {
                    "type": "array",
                    "items": _object({"field": STRING, "message": STRING}),
                },
            },
            optional=("fields",),
        )
    }
)

REQUEST = _object(
    {
        "request_id": STRING,
        "shop_id": STRING,
        "conversation_id": STRING,
        "status": {"enum": [status.value for status in Status]},
        "resolution": _nullable(STRING),
        "decided_by": _nullable({"enum": ["seller", "buyer", "platform"]}),
        "reason": {"enum": ["missing_items", "broken_or_unusable"]},
        "items": {
            "type": "array",
            "items": _object(
                {
                    "line_id": STRING,
                    "name": STRING,
                    "quantity": {"type": "integer"},
                    "unit_price": MONEY,
                }
            ),
        },
        "affected_value": MONEY,
        "currency": STRING,
        "buyer": {"type": "object"},
        "seller": {"type": "object"},
        "order": {"type": "object"},
        "deadlines": _object(
            {
                "seller_due_at": _nullable(TIME),
                "offer_expires_at": _nullable(TIME),
                "ship_by": _nullable(TIME),
            }
        ),
        "offer": _nullable(
            _object(
                {
                    "amount": MONEY,
                    "currency": STRING,
                    "status": {"enum": ["pending", "accepted", "declined", "expired"]},
                    "offered_at": TIME,
                    "expires_at": TIME,
                }
            )
        ),
        "offers_made": {"type": "integer", "minimum": 0},
        "rejection": _nullable(_object({"reason_code": STRING, "comment": STRING})),
        "refund": _nullable(
            _object({"amount": MONEY, "currency": STRING, "kind": {"enum": ["full", "partial"]}})
        ),
        "replacement_order_id": _nullable(STRING),
        "shipment": _nullable(
            _object(
                {
                    "carrier": _nullable(STRING),
                    "tracking_number": _nullable(STRING),
                    "shipping_option": {"enum": ["platform", "seller"]},
                    "status": _nullable(STRING),
                    "events": {
                        "type": "array",
                        "items": _object(
                            {"status": STRING, "description": STRING, "occurred_at": TIME}
                        ),
                    },
                }
            )
        ),
        "overdue": {"type": "boolean"},
        "refused_attempts": {"type": "integer", "minimum": 0},
        "version": {"type": "integer", "minimum": 1},
        "timeline": {
            "type": "array",
            "items": _object(
                {
                    "at": TIME,
                    "type": STRING,
                    "actor": _nullable(_object({"role": STRING, "id": STRING})),
                    "detail": {"type": "object"},
                }
            ),
        },
        "created_at": TIME,
        "updated_at": TIME,
    }
)

DEAD_LETTER = _object(
    {
        "entry_id": STRING,
        "conversation_id": STRING,
        "request_id": _nullable(STRING),
        "effect": {
            "enum": ["text", "card", "card_update", "refund", "replacement_order", "shipment"]
        },
        "method": STRING,
        "path": STRING,
        "idempotency_key": STRING,
        "attempts": {"type": "integer", "minimum": 0},
        "error": STRING,
        "failed_at": TIME,
        "created_at": TIME,
        "body": {"type": "object"},
    }
)


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


UNAUTHORIZED = _error("no or a wrong `Authorization: Bearer <agent token>`")
UNAVAILABLE = _error("the store cannot be reached; retry")


def _webhook() -> dict[str, Any]:
    types = ", ".join(f"`{name}` ({model.__name__})" for name, model in DATA_MODELS.items())
    return {
        "post": {
            "operationId": "chatWebhook",
            "summary": "An event from the platform (SPEC §3.1)",
            "description": (
                "`Authorization` is the lowercase hex HMAC-SHA256 of APP_KEY + the raw body "
                f"under APP_SECRET. `data` is validated for the event's type: {types}. An "
                "unknown type is answered 200 and ignored; a duplicate `event_id` is 200 with "
                "no second effect."
            ),
            "security": [{"webhookSignature": []}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Envelope")}},
            },
            "responses": {
                "200": _json(_ref("Ok"), "processed, a duplicate, or an ignored type"),
                "400": _error("not JSON, not an event envelope, or a body that ended early"),
                "401": _error("a missing or wrong signature"),
                "408": _error("the body did not arrive within body_timeout of the headers"),
                "413": _error("the body is larger than max_body_bytes"),
                "422": _error("the envelope is fine but `data` (or the timestamp) is not"),
                "503": UNAVAILABLE,
            },
        }
    }


def _get(operation_id: str, summary: str, ok: dict[str, Any], **more: Any) -> dict[str, Any]:
    parameters = more.pop("parameters", [])
    responses = {"200": ok, "401": UNAUTHORIZED, "503": UNAVAILABLE, **more}
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "security": [{"agentToken": []}],
            "parameters": parameters,
            "responses": responses,
        }
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}  # fmt: skip


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


def _agent_api() -> dict[str, Any]:
    page = _object({"items": {"type": "array", "items": _ref("Request")},
                    "next_cursor": _nullable(STRING)})  # fmt: skip
    limit = _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "page size")
    return {
        "/api/requests/{request_id}": _get(
            "getRequest",
            "One reshipment request",
            _json(_ref("Request"), "the request"),
            parameters=[_path("request_id")],
            **{"404": _error("no such request")},
        ),
        "/api/requests": _get(
            "listRequests",
            "Requests, nearest deadline first",
            _json(page, "a page of requests"),
            parameters=[
                _query("status", STRING, "statuses, comma-separated"),
                _query("shop_id", STRING, "one shop"),
                _query("conversation_id", STRING, "one conversation"),
                _query("overdue", FLAG, "overdue or not (empty: either)"),
                limit,
                _query("cursor", STRING, "the `next_cursor` of the previous page"),
            ],
            **{"400": _error("a bad query parameter or cursor")},
        ),
        "/api/conversations/{conversation_id}": _get(
            "getConversation",
            "A conversation's requests and cards",
            _json(
                _object(
                    {
                        "conversation_id": STRING,
                        "requests": {"type": "array", "items": _ref("Request")},
                        "cards": {"type": "array", "items": _ref("AgentCard")},
                    }
                ),
                "the conversation (no requests when unknown); cards without action tokens",
            ),
            parameters=[_path("conversation_id")],
        ),
        "/api/deliveries": _get(
            "listDeadLetters",
            "Effects the platform refused for good",
            _json(
                _object({"items": {"type": "array", "items": _ref("DeadLetter")}}),
                "dead letters, newest first",
            ),
            parameters=[_query("state", {"enum": ["dead"]}, "only `dead`"), limit],
            **{"400": _error("a bad query parameter")},
        ),
    }


def _ops() -> dict[str, Any]:
    ok = _json(_ref("Ok"), "up")
    return {
        "/healthz": {"get": {"operationId": "healthz", "summary": "Liveness",
                             "responses": {"200": ok}}},
        "/readyz": {"get": {"operationId": "readyz", "summary": "The store answers",
                            "responses": {"200": ok, "503": UNAVAILABLE}}},
    }  # fmt: skip


def _agent_card(schemas: dict[str, Any]) -> dict[str, Any]:
    """The Card as the agent API shows it: the same, but no action carries a token."""
    action = copy.deepcopy(schemas["CardAction"])
    del action["properties"]["token"]
    action["required"].remove("token")
    action["title"] = "AgentCardAction"
    card = copy.deepcopy(schemas["Card"])
    card["properties"]["actions"]["items"] = _ref("AgentCardAction")
    card["title"] = "AgentCard"
    card["description"] = "A card as its reader sees it; agents never act, so no tokens."
    return {"AgentCard": card, "AgentCardAction": action}


@cache
def document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [Envelope, *DATA_MODELS.values(), Card]
    _, schemas = models_json_schema([(model, "validation") for model in models], ref_template=REF)
    components = {
        **schemas.get("$defs", {}),
        **_agent_card(schemas.get("$defs", {})),
        "Ok": _object({"ok": {"const": True}}),
        "Error": ERROR,
        "Request": REQUEST,
        "DeadLetter": DEAD_LETTER,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "reshipbot",
            "version": "1",
            "description": "The chat webhook reshipbot receives and its read-only agent API.",
        },
        "paths": {"/webhooks/chat": _webhook(), **_agent_api(), **_ops()},
        "components": {
            "schemas": components,
            "securitySchemes": {
                "agentToken": {"type": "http", "scheme": "bearer"},
                "webhookSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "hex HMAC-SHA256 of APP_KEY + body under APP_SECRET",
                },
            },
        },
    }


async def openapi_json(request: web.Request) -> web.StreamResponse:
    return json_response(document())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi_json)
