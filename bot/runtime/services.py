"""Everything the running service is made of, wired once, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from datetime import timedelta
from typing import Literal

from aiohttp import web

from bot.core import workdays
from bot.core.clock import Clock
from bot.core.policy import Policy
from bot.core.tokens import TokenSigner
from bot.platforms.base import Platform, PlatformSettings
from bot.platforms.registry import make_platform
from bot.runtime.config import Settings, is_loopback
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.metrics import Metrics
from bot.runtime.outbound import CardMaterializer, OutboxPlanner
from bot.runtime.outbox import OutboxWorker
from bot.runtime.scheduler import Scheduler
from cards.render import Renderer
from storage import open_store
from storage.base import OutboxEntry, Store

log = logging.getLogger("reshipbot.services")

Role = Literal["all", "web", "worker"]
STOP_GRACE = 10.0
OUTBOX_MIN_LEASE = timedelta(seconds=15)  # seconds to finish in-flight work on shutdown


class Services:
    """The parts of one reshipbot process; `start()` opens the store and starts workers."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        *,
        role: Role = "all",
        store: Store | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.role = role
        self.platform: Platform = make_platform(settings.platform, platform_settings(settings))
        self.metrics = Metrics()
        self.policy: Policy = settings.policy()
        self.tokens = TokenSigner(*(s.get_secret_value() for s in settings.token_secret))
        self.renderer = Renderer(self.tokens, self.policy)
        self.planner = OutboxPlanner(self.renderer)
        self.outbox: OutboxWorker | None = None
        self.scheduler: Scheduler | None = None
        self._store = store
        self._owns_store = False
        self._dispatcher: Dispatcher | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the services are not started")
        return self._store

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            raise RuntimeError("the services are not started")
        return self._dispatcher

    async def start(self) -> None:
        # one-off costs paid now rather than by the first webhooks: holiday calendars
        # and compiled card templates for every locale
        workdays.preload()
        self.renderer.preload()
        # Everything loaded so far lives as long as the process: keep it out of the
        # collector's full passes, which otherwise stall the loop for ~100 ms at a time.
        gc.collect()
        gc.freeze()
        if self._store is None:
            redis_url = self.settings.redis_url
            self._store = open_store(
                redis_url.get_secret_value() if redis_url else None,
                self.clock,
                self.settings.event_ttl,
                self.settings.redis_prefix,
            )
            self._owns_store = True
        self._dispatcher = Dispatcher(
            self._store,
            self.policy,
            self.planner,
            self.tokens,
            self.clock,
            on_commit=self._wake_outbox,
            observer=self.metrics,
            commands_per_minute=self.settings.commands_per_minute,
        )
        if self.role in ("all", "worker"):
            await self._start_workers(self._store, self._dispatcher)

    async def _start_workers(self, store: Store, dispatcher: Dispatcher) -> None:
        platform = self.platform
        await platform.start()

        async def record_dead(entry: OutboxEntry, error: str) -> None:
            call = platform.describe(entry)
            await dispatcher.record_dead(entry, error, f"{call.method} {call.path}")

        self.outbox = OutboxWorker(
            store,
            platform,
            self.clock,
            on_result=dispatcher.apply_result,
            on_dead=record_dead,
            materialize=CardMaterializer(store, self.renderer),
            metrics=self.metrics,
            # a lease must outlive a slow platform call, or the entry is sent twice
            lease=max(self.settings.worker_lease, OUTBOX_MIN_LEASE),
            # few at a time: rendering a card is CPU work that would otherwise come in
            # bursts and hold up the webhooks sharing this loop (p99 latency)
            concurrency=self.settings.outbox_concurrency,
            batch=4 * self.settings.outbox_concurrency,
        )
        self.scheduler = Scheduler(
            store,
            dispatcher,
            self.clock,
            lease=self.settings.worker_lease,
            concurrency=self.settings.timer_concurrency,
            observer=self.metrics,
        )
        self._tasks = [
            asyncio.create_task(self.outbox.run(), name="reshipbot-outbox"),
            asyncio.create_task(self.scheduler.run(), name="reshipbot-scheduler"),
        ]

    def _wake_outbox(self) -> None:
        if self.outbox is not None:
            self.outbox.wake()

    async def stop(self) -> None:
        """Stop claiming work, let in-flight deliveries and timers finish, then close."""
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.outbox is not None:
            await self.outbox.stop()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=STOP_GRACE)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.platform.close()
        if self._store is not None and self._owns_store:
            await self._store.close()


def platform_settings(settings: Settings) -> PlatformSettings:
    """What the settings tell the platform (`bot.platforms.base.PlatformSettings`)."""
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    return PlatformSettings(
        app_key=settings.app_key,
        app_secrets=tuple(secret.get_secret_value() for secret in settings.app_secret),
        platform_url=settings.platform_url,
        own_url=f"http://{host}:{settings.port}",
        max_event_age=settings.max_event_age,
        loopback=is_loopback(settings.host),
        agent_tokens=tuple(token.get_secret_value() for token in settings.agent_token),
        options=settings.platform_options(),
    )


SERVICES = web.AppKey("reshipbot_services", Services)
