"""Operations endpoints: liveness, readiness (the store answers), Prometheus metrics."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.core.errors import StorageError
from bot.platforms.generic.signing import bearer_matches
from bot.runtime.services import SERVICES
from bot.web.responses import error, json_response


async def healthz(request: web.Request) -> web.StreamResponse:
    return json_response({"ok": True})


async def readyz(request: web.Request) -> web.StreamResponse:
    try:
        await request.app[SERVICES].store.ping()
    except StorageError:
        return error(503, "storage_unavailable", "the store does not answer")
    return json_response({"ok": True})


async def metrics(request: web.Request) -> web.StreamResponse:
    """Prometheus text; behind `Authorization: Bearer METRICS_TOKEN` when that is set."""
    services = request.app[SERVICES]
    token = services.settings.metrics_token
    header = request.headers.get("Authorization")
    if token is not None and not bearer_matches(header, [token.get_secret_value()]):
        return error(401, "unauthorized", "send Authorization: Bearer <metrics token>")
    body = services.metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
