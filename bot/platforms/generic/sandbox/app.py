"""The sandbox platform's HTTP side: one pipeline for every endpoint, and the factory.

Each call goes: read → (delay) → injected fault → signature (401) → `Idempotency-Key`
(400 when missing) → JSON object (400) → replay of a saved answer, or the endpoint
(422 for a body that fails validation) → record. Only 2xx answers are saved for replay
and counted as effects: a refused call may succeed later once its reason is gone.
A caller that gives up waiting does not undo the call: it completes and is recorded,
so the caller's retry finds the effect done and gets the first answer again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
from aiohttp import web
from pydantic import ValidationError

from bot.platforms.generic.sandbox.state import (
    Answer,
    SandboxCall,
    SandboxState,
    SavedAnswer,
    error,
)
from bot.platforms.generic.sandbox.wire import (
    CardUpdateIn,
    MessageIn,
    RefundIn,
    ReplacementOrderIn,
    ShipmentIn,
    describe,
)
from bot.platforms.generic.signing import bearer_matches, verify_body

SANDBOX_STATE = web.AppKey("sandbox_state", SandboxState)

Endpoint = Callable[[SandboxState, dict[str, Any], web.Request], Answer]
_NOT_JSON = object()


class _Platform:
    """The pipeline every endpoint shares: delay, faults, signature, idempotency, record."""

    def __init__(self, state: SandboxState, app_key: str, secrets: Sequence[str]) -> None:
        self.state = state
        self._app_key = app_key
        self._secrets = tuple(secrets)

    def route(
        self, path_of: Callable[[web.Request], str], endpoint: Endpoint
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            return await self._serve(request, path_of(request), endpoint)

        return handler

    async def _serve(self, request: web.Request, path: str, endpoint: Endpoint) -> web.Response:
        raw = await request.read()
        # Shielded: a caller that gives up (a timeout) does not undo the platform's work,
        # so a retry meets the effect already done, as it would on the real platform.
        return await asyncio.shield(self._process(request, path, endpoint, raw))

    async def _process(
        self, request: web.Request, path: str, endpoint: Endpoint, raw: bytes
    ) -> web.Response:
        key = request.headers.get("Idempotency-Key") or None
        signature = request.headers.get("Authorization")
        signed = verify_body(self._app_key, self._secrets, raw, signature)
        body = _decode(raw)
        if self.state.answer_delay:
            await asyncio.sleep(self.state.answer_delay)
        status, answer, replayed = self._answer(request, path, endpoint, signed, key, body)
        self.state.calls.append(
            SandboxCall(
                method=request.method,
                path=path,
                idempotency_key=key,
                content_type=request.headers.get("Content-Type"),
                signature_valid=signed,
                body=None if body is _NOT_JSON else body,
                status=status,
                replayed=replayed,
            )
        )
        return web.json_response(answer, status=status, dumps=_dumps)

    def _answer(
        self,
        request: web.Request,
        path: str,
        endpoint: Endpoint,
        signed: bool,
        key: str | None,
        body: Any,
    ) -> tuple[int, dict[str, Any], bool]:
        fault = self.state.take_fault(path)
        if fault is not None:
            return fault, error("sandbox_fault", "failure injected by the sandbox"), False
        if not signed:
            return 401, error("invalid_signature", "the Authorization signature is wrong"), False
        if key is None:
            return 400, error("missing_idempotency_key", "send an Idempotency-Key header"), False
        if not isinstance(body, dict):
            return 400, error("invalid_json", "the body must be a JSON object"), False
        fingerprint = _fingerprint(request.method, path, body)
        saved = self.state.saved(key)
        if saved is not None:
            if saved.fingerprint != fingerprint:
                reused = error("idempotency_key_reused", "this key was used for another call")
                return 422, reused, False
            return saved.status, saved.body, True
        try:
            status, answer = endpoint(self.state, body, request)
        except ValidationError as exc:
            return 422, error("invalid_body", describe(exc)), False
        if 200 <= status < 300:  # no await since `saved()`: check and effect are atomic
            self.state.remember(key, SavedAnswer(fingerprint, status, answer))
        return status, answer, False


def _decode(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _fingerprint(method: str, path: str, body: dict[str, Any]) -> str:
    canonical = orjson.dumps([method, path, body], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _post_message(state: SandboxState, body: dict[str, Any], _: web.Request) -> Answer:
    return state.post_message(MessageIn.model_validate(body))


def _update_card(state: SandboxState, body: dict[str, Any], request: web.Request) -> Answer:
    return state.update_card(request.match_info["card_id"], CardUpdateIn.model_validate(body))


def _refund(state: SandboxState, body: dict[str, Any], _: web.Request) -> Answer:
    return state.create_refund(RefundIn.model_validate(body))


def _replacement_order(state: SandboxState, body: dict[str, Any], _: web.Request) -> Answer:
    return state.create_replacement_order(ReplacementOrderIn.model_validate(body))


def _shipment(state: SandboxState, body: dict[str, Any], _: web.Request) -> Answer:
    return state.create_shipment(ShipmentIn.model_validate(body))


def _fixed(path: str) -> Callable[[web.Request], str]:
    return lambda _: path


def _card_path(request: web.Request) -> str:
    return f"/v1/chat/cards/{request.match_info['card_id']}"


def _snapshot(readers: Sequence[str] | None) -> Callable[[web.Request], Awaitable[web.Response]]:
    """`GET /_sandbox/state`: open when `readers` is None, else behind `Bearer <reader>`."""

    async def snapshot(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization")
        if readers is not None and not bearer_matches(header, readers):
            message = "send Authorization: Bearer <agent token>"
            return web.json_response(error("unauthorized", message), status=401, dumps=_dumps)
        return web.json_response(request.app[SANDBOX_STATE].snapshot(), dumps=_dumps)

    return snapshot


def sandbox_app(
    app_key: str, app_secret: str | Sequence[str], *, state_readers: Sequence[str] | None = None
) -> web.Application:
    """The sandbox platform; `app_secret` may be several secrets (rotation).

    `GET /_sandbox/state` shows everything recorded, live card tokens included: open when
    `state_readers` is None (a sandbox reachable from this machine only), else it wants
    `Authorization: Bearer` with one of them (401 otherwise).
    """
    secrets = [app_secret] if isinstance(app_secret, str) else list(app_secret)
    state = SandboxState()
    platform = _Platform(state, app_key, secrets)
    app = web.Application()
    app[SANDBOX_STATE] = state
    routes: list[tuple[str, str, Callable[[web.Request], str], Endpoint]] = [
        ("POST", "/v1/chat/messages", _fixed("/v1/chat/messages"), _post_message),
        ("PUT", "/v1/chat/cards/{card_id}", _card_path, _update_card),
        ("POST", "/v1/refunds", _fixed("/v1/refunds"), _refund),
        ("POST", "/v1/replacement-orders", _fixed("/v1/replacement-orders"), _replacement_order),
        ("POST", "/v1/shipments", _fixed("/v1/shipments"), _shipment),
    ]
    for method, pattern, path_of, endpoint in routes:
        app.router.add_route(method, pattern, platform.route(path_of, endpoint))
    app.router.add_get("/_sandbox/state", _snapshot(state_readers))
    return app
