"""The aiohttp application: routes, the sandbox platform, start-up and shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from bot.platforms.generic.sandbox import sandbox_app
from bot.runtime.services import SERVICES, Services
from bot.web import agent_api, openapi, ops
from bot.web.console import console_app
from bot.web.middleware import body_deadline, no_500s
from bot.web.serving import is_loopback
from bot.web.webhook import chat_webhook


def build_app(services: Services) -> web.Application:
    settings = services.settings
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[no_500s, body_deadline(settings.body_timeout.total_seconds())],
    )
    app[SERVICES] = services
    app.router.add_post("/webhooks/chat", chat_webhook)
    agent_api.add_routes(app)
    ops.add_routes(app)
    openapi.add_routes(app)
    app.add_subapp("/agent", console_app(services))
    if not settings.platform_url and services.platform_url is None:
        secrets = [secret.get_secret_value() for secret in settings.app_secret]
        # what the sandbox recorded holds live card tokens: open on loopback only
        readers = None
        if not is_loopback(settings.host):
            readers = [token.get_secret_value() for token in settings.agent_token]
        app.add_subapp("/sandbox", sandbox_app(settings.app_key, secrets, state_readers=readers))

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        await services.start()
        yield
        await services.stop()

    app.cleanup_ctx.append(lifecycle)
    return app
