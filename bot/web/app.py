"""The aiohttp application: routes, the platform's stand-in, start-up and shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.runtime.services import SERVICES, Services
from bot.web import agent_api, openapi, ops
from bot.web.console import console_app
from bot.web.middleware import body_deadline, no_500s
from bot.web.webhook import webhook


def build_app(services: Services) -> web.Application:
    settings = services.settings
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[no_500s, body_deadline(settings.body_timeout.total_seconds())],
    )
    app[SERVICES] = services
    app.router.add_post(services.platform.webhook_path, webhook)
    agent_api.add_routes(app)
    ops.add_routes(app)
    openapi.add_routes(app)
    app.add_subapp("/agent", console_app(services))
    for prefix, stand_in in services.platform.stand_ins().items():
        app.add_subapp(prefix, stand_in)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await services.start()
        yield
        await services.stop()

    app.cleanup_ctx.append(lifecycle)
    return app
