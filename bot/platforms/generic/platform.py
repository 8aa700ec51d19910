"""The generic platform of SPEC §3 as a plug-in: its webhooks in, its API out, its sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import aiohttp
from aiohttp import web

from bot.platforms.base import (
    Capabilities,
    Delivery,
    DeliveryStatus,
    PlatformCall,
    PlatformSettings,
    Received,
)
from bot.platforms.generic.client import PlatformClient
from bot.platforms.generic.inbound import GenericInbound
from bot.platforms.generic.outbound import call_for, result_of
from bot.platforms.generic.sandbox import sandbox_app
from bot.platforms.generic.wire import DATA_MODELS
from storage.base import OutboxEntry

CLIENT_TIMEOUT = 5.0  # seconds one API call may take


class GenericOutbound:
    """Effects as SPEC §3.2's calls, sent by `client`; answers read back as commands."""

    def __init__(self, client: PlatformClient) -> None:
        self._client = client

    async def deliver(self, entry: OutboxEntry) -> Delivery:
        delivery, answer = await self._client.send(call_for(entry), entry.idempotency_key)
        if delivery.status is DeliveryStatus.done:
            return Delivery.done(result_of(entry.effect, answer))
        return delivery

    def describe(self, entry: OutboxEntry) -> PlatformCall:
        return call_for(entry)


class GenericPlatform:
    """Signed JSON webhooks at `/webhooks/chat`; a signed JSON API at `base_url`.

    With no platform URL configured the bot talks to the in-process sandbox, mounted at
    `/sandbox` (`stand_ins`); `sandbox_readers` are the bearer tokens its recorded state
    wants (None: open, for a bot bound to loopback).
    """

    name = "generic"
    capabilities = Capabilities()
    webhook_path = "/webhooks/chat"
    event_kinds = frozenset(DATA_MODELS)

    def __init__(
        self,
        *,
        app_key: str,
        secrets: Sequence[str],
        base_url: str,
        max_event_age: timedelta,
        sandboxed: bool = False,
        sandbox_readers: Sequence[str] | None = None,
        timeout: float | None = None,  # None: CLIENT_TIMEOUT when started
    ) -> None:
        self._app_key = app_key
        self._secrets = list(secrets)
        self._base_url = base_url
        self._inbound = GenericInbound(app_key, secrets, max_event_age)
        self._sandboxed = sandboxed
        self._sandbox_readers = sandbox_readers
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._outbound: GenericOutbound | None = None

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> GenericPlatform:
        sandboxed = settings.platform_url is None
        return cls(
            app_key=settings.app_key,
            secrets=settings.app_secrets,
            base_url=settings.platform_url or f"{settings.own_url}/sandbox",
            max_event_age=settings.max_event_age,
            sandboxed=sandboxed,
            # what the sandbox records holds live card tokens: open on loopback only
            sandbox_readers=None if settings.loopback else settings.agent_tokens,
        )

    def __repr__(self) -> str:  # never show a secret
        return f"GenericPlatform({self._base_url!r})"

    # --- inbound -------------------------------------------------------------------------
    def receive(self, body: bytes, headers: Mapping[str, str], now: datetime) -> Received:
        return self._inbound.receive(body, headers, now)

    # --- outbound ------------------------------------------------------------------------
    async def deliver(self, entry: OutboxEntry) -> Delivery:
        if self._outbound is None:
            raise RuntimeError("the platform is not started")
        return await self._outbound.deliver(entry)

    def describe(self, entry: OutboxEntry) -> PlatformCall:
        return call_for(entry)

    # --- life ----------------------------------------------------------------------------
    def stand_ins(self) -> Mapping[str, web.Application]:
        if not self._sandboxed:
            return {}
        readers = self._sandbox_readers
        return {"/sandbox": sandbox_app(self._app_key, self._secrets, state_readers=readers)}

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            client = PlatformClient(
                self._base_url,
                self._app_key,
                self._secrets[0],
                self._session,
                timeout=self._timeout or CLIENT_TIMEOUT,
            )
            self._outbound = GenericOutbound(client)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session, self._outbound = None, None
