"""The generic platform's outbound half against the sandbox over real HTTP: signing, the
Idempotency-Key, how each answer is classified (done, retry, dead) and read back."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core.commands import RefundIssued
from bot.platforms.base import MAX_ERROR_CHARS, Delivery, DeliveryStatus, PlatformCall
from bot.platforms.generic.client import PlatformClient
from bot.platforms.generic.outbound import call_for
from bot.platforms.generic.platform import GenericOutbound
from bot.platforms.generic.sandbox import SandboxState
from bot.platforms.generic.signing import sign_body, verify_body
from tests.outbox.support import (
    APP_KEY,
    APP_SECRET,
    card,
    card_entry,
    card_update_entry,
    refund_entry,
    text_entry,
)
from tests.timing import patience

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

TIKTOK_BODY = (
    b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":'
    b'{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT",'
    b'"update_time":1664095610}}'
)
TIKTOK_SIGNATURE = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"


def test_signing_matches_the_tiktok_vector_of_spec_3_1() -> None:
    assert sign_body("fake_app_key", "fake_app_secret", TIKTOK_BODY) == TIKTOK_SIGNATURE
    assert verify_body("fake_app_key", ["old", "fake_app_secret"], TIKTOK_BODY, TIKTOK_SIGNATURE)
    assert not verify_body("fake_app_key", ["old"], TIKTOK_BODY, TIKTOK_SIGNATURE)


# --- done ---------------------------------------------------------------------------------
async def test_a_delivered_call_is_signed_keyed_and_done(
    platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    entry = text_entry(text="Your request was received.")

    delivery = await platform_client.deliver(entry)

    assert delivery == Delivery.done()  # a text: nothing for the request to record
    [recorded] = platform_state.calls
    assert recorded.signature_valid  # the sandbox checked APP_KEY + raw body
    assert recorded.idempotency_key == entry.idempotency_key
    assert recorded.content_type == "application/json"
    assert recorded.body == call_for(entry).body
    assert platform_state.conversation("conv-1")[0].text == "Your request was received."


async def test_every_retry_sends_the_same_idempotency_key(
    platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    entry = refund_entry()
    platform_state.fail_next(2)

    outcomes = [(await platform_client.deliver(entry)).status for _ in range(4)]

    retry, done = DeliveryStatus.retry, DeliveryStatus.done
    assert outcomes == [retry, retry, done, done]
    assert {c.idempotency_key for c in platform_state.calls} == {"refund:req-1"}
    assert platform_state.effect_count("refund:req-1") == 1
    assert len(platform_state.refunds) == 1


async def test_409_already_done_counts_as_done(
    platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    await platform_client.deliver(card_entry())
    update = card_update_entry(card_body=card(version=2, status="accepted"))
    await platform_client.deliver(update)
    stale = card_update_entry(card_body=card(version=2, status="expired"), idempotency_key="x")

    delivery = await platform_client.deliver(stale)

    assert delivery.status is DeliveryStatus.done
    assert platform_state.calls[-1].status == 409
    assert platform_state.card("req-1.offer.buyer") == card(version=2, status="accepted")


async def test_409_passes_the_existing_effects_id_on(
    platform_client: GenericOutbound,
) -> None:
    first = await platform_client.deliver(refund_entry())
    second = await platform_client.deliver(refund_entry(idempotency_key="refund:again"))

    assert second.status is DeliveryStatus.done
    assert isinstance(first.result, RefundIssued) and second.result == first.result


# --- retry ----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_server_error_is_retried(
    platform_client: GenericOutbound, platform_state: SandboxState, status: int
) -> None:
    platform_state.fail_next(1, status=status)

    delivery = await platform_client.deliver(text_entry())

    assert delivery.status is DeliveryStatus.retry
    assert delivery.error == f"HTTP {status}: sandbox_fault failure injected by the sandbox"


async def test_a_timeout_is_retried_and_the_retry_replays_the_effect(
    platform_url: str, http_session: aiohttp.ClientSession, platform_state: SandboxState
) -> None:
    impatient = GenericOutbound(
        PlatformClient(platform_url, APP_KEY, APP_SECRET, http_session, timeout=0.05)
    )
    entry = refund_entry()
    platform_state.delay(0.3)

    first = await impatient.deliver(entry)
    platform_state.delay(0)
    deadline = time.monotonic() + patience()
    # the platform still finishes the call it was sent
    while not platform_state.effect_count(entry.idempotency_key):
        assert time.monotonic() < deadline, "the platform never finished the first call"
        await asyncio.sleep(0.02)
    # the retry, by a client that waits long enough (the effect is in the entry's key)
    patient = GenericOutbound(PlatformClient(platform_url, APP_KEY, APP_SECRET, http_session))
    second = await patient.deliver(entry)

    assert (first.status, first.error) == (DeliveryStatus.retry, "timeout after 0.05s")
    assert second.status is DeliveryStatus.done
    assert second.result == RefundIssued(platform_state.refunds[0]["refund_id"])
    assert platform_state.effect_count(entry.idempotency_key) == 1
    assert [c.replayed for c in platform_state.calls] == [False, True]


async def test_a_refused_connection_is_retried(http_session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PlatformClient(f"http://127.0.0.1:{port}", APP_KEY, APP_SECRET, http_session)

    delivery = await GenericOutbound(client).deliver(text_entry())

    assert delivery.status is DeliveryStatus.retry
    assert delivery.error is not None and delivery.error.startswith("connection: ")


# --- dead ------------------------------------------------------------------------------------
async def test_a_refused_body_is_dead(
    platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    delivery = await platform_client.deliver(refund_entry(amount="12.505"))

    assert delivery.status is DeliveryStatus.dead
    assert delivery.error is not None and delivery.error.startswith("HTTP 422: invalid_body amount")
    assert platform_state.refunds == []


async def test_a_refund_the_platform_refuses_is_dead(
    platform_client: GenericOutbound, platform_state: SandboxState
) -> None:
    platform_state.fail_path("/v1/refunds", 422)

    assert (await platform_client.deliver(refund_entry())).status is DeliveryStatus.dead


async def test_updating_an_unknown_card_is_dead(platform_client: GenericOutbound) -> None:
    delivery = await platform_client.deliver(card_update_entry())

    assert (delivery.status, delivery.error) == (
        DeliveryStatus.dead,
        "HTTP 404: card_not_found no card with this card_id was posted",
    )


async def test_a_wrong_secret_is_dead_and_the_error_keeps_it_secret(
    platform_url: str, http_session: aiohttp.ClientSession
) -> None:
    client = PlatformClient(platform_url, APP_KEY, "not-the-secret", http_session)

    delivery = await GenericOutbound(client).deliver(text_entry())

    assert delivery.status is DeliveryStatus.dead
    assert delivery.error is not None and delivery.error.startswith("HTTP 401: invalid_signature")
    assert "not-the-secret" not in repr(client) + delivery.error


# --- answers the sandbox never gives -------------------------------------------------------------
def odd_platform() -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind == "not-json":
            return web.Response(status=200, text="OK")
        if kind == "list":
            return web.json_response([1, 2])
        if kind == "empty-201":
            return web.Response(status=201)
        if kind == "busy":
            return web.json_response({}, status=429, headers={"Retry-After": "7"})
        if kind == "redirect":
            raise web.HTTPFound("/elsewhere")
        return web.json_response({"error": {"code": "bad", "message": "x" * 5000}}, status=400)

    app = web.Application()
    app.router.add_post("/{kind}", answer)
    return app


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("not-json", Delivery.done()),
        ("list", Delivery.done()),
        ("empty-201", Delivery.done()),
        ("busy", Delivery.retry("HTTP 429: Too Many Requests", retry_after=7.0)),
        ("redirect", Delivery.dead("HTTP 302: Found")),
    ],
)
async def test_odd_answers(
    aiohttp_server: ServerFactory,
    http_session: aiohttp.ClientSession,
    kind: str,
    outcome: Delivery,
) -> None:
    server = await aiohttp_server(odd_platform())
    client = PlatformClient(str(server.make_url("")), APP_KEY, APP_SECRET, http_session)

    delivery, answer = await client.send(PlatformCall("POST", f"/{kind}", {"n": 1}), "key-1")

    assert delivery == outcome
    assert answer == ({"error": {"code": "bad", "message": "x" * 5000}} if kind == "long" else {})


async def test_an_error_string_is_short(
    aiohttp_server: ServerFactory, http_session: aiohttp.ClientSession
) -> None:
    server = await aiohttp_server(odd_platform())
    client = PlatformClient(str(server.make_url("")), APP_KEY, APP_SECRET, http_session)

    delivery, _ = await client.send(PlatformCall("POST", "/long", {"n": 1}), "key-1")

    assert delivery.status is DeliveryStatus.dead
    assert delivery.error is not None
    assert len(delivery.error) == MAX_ERROR_CHARS
    assert delivery.error.startswith("HTTP 400: bad xxx")
