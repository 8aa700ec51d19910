"""The sandbox platform answers like the real one (SPEC §3.2): signatures, bodies,
idempotency, cards updated in place, and the record tests and the console read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from bot.platforms.generic.sandbox import SANDBOX_STATE, SandboxState, sandbox_app
from tests.outbox.support import APP_KEY, APP_SECRET, Client, call, card

ClientFactory = Callable[[web.Application], Awaitable[Client]]

TEXT = {
    "conversation_id": "conv-1",
    "audience": "buyer",
    "message": {"type": "text", "text": "Your request was received."},
}
REFUND = {
    "request_id": "req-1",
    "order_id": "order-1",
    "amount": "12.50",
    "currency": "USD",
    "kind": "full",
}
ORDER = {
    "request_id": "req-1",
    "order_id": "order-1",
    "lines": [{"line_id": "L1", "quantity": 2}],
    "shipping_option": "platform",
    "shipping_fee_paid_by": "seller",
    "ship_by": "2026-11-30T16:59:59Z",
}


@pytest.fixture
async def client(aiohttp_client: ClientFactory) -> Client:
    return await aiohttp_client(sandbox_app(APP_KEY, APP_SECRET))


def state_of(client: Client) -> SandboxState:
    return client.app[SANDBOX_STATE]


def post_card(card_body: dict[str, Any]) -> dict[str, Any]:
    return {
        "conversation_id": "conv-1",
        "audience": "buyer",
        "message": {"type": "card", "card": card_body},
    }


# --- signatures ---------------------------------------------------------------------------
async def test_a_bad_signature_is_401_and_has_no_effect(client: Client) -> None:
    status, answer = await call(client, "POST", "/v1/refunds", REFUND, secret="wrong-secret")

    assert status == 401
    assert answer["error"]["code"] == "invalid_signature"
    state = state_of(client)
    assert state.refunds == []
    assert [(c.status, c.signature_valid) for c in state.calls] == [(401, False)]


async def test_a_missing_signature_is_401(client: Client) -> None:
    async with client.post(
        "/v1/refunds", data=orjson.dumps(REFUND), headers={"Idempotency-Key": "k"}
    ) as response:
        assert response.status == 401


async def test_any_configured_secret_verifies(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(sandbox_app(APP_KEY, ["old-secret", APP_SECRET]))

    assert (await call(client, "POST", "/v1/chat/messages", TEXT, secret="old-secret"))[0] == 200
    assert (await call(client, "POST", "/v1/chat/messages", TEXT, key="k2"))[0] == 200


# --- idempotency --------------------------------------------------------------------------
async def test_the_same_key_replays_the_first_answer_with_one_effect(client: Client) -> None:
    first = await call(client, "POST", "/v1/refunds", REFUND, key="refund:req-1")
    again = await call(client, "POST", "/v1/refunds", REFUND, key="refund:req-1")

    assert first == again == (200, {"refund_id": first[1]["refund_id"]})
    state = state_of(client)
    assert state.effect_count("refund:req-1") == 1
    assert len(state.refunds) == 1
    assert [c.replayed for c in state.calls] == [False, True]


async def test_a_key_reused_for_another_call_is_refused(client: Client) -> None:
    await call(client, "POST", "/v1/chat/messages", TEXT, key="k")
    other = TEXT | {"message": {"type": "text", "text": "Something else"}}

    status, answer = await call(client, "POST", "/v1/chat/messages", other, key="k")

    assert (status, answer["error"]["code"]) == (422, "idempotency_key_reused")
    assert state_of(client).effect_count("k") == 1


async def test_a_failed_call_is_not_replayed(client: Client) -> None:
    state_of(client).fail_next(1, status=503)

    assert (await call(client, "POST", "/v1/refunds", REFUND, key="k"))[0] == 503
    assert (await call(client, "POST", "/v1/refunds", REFUND, key="k"))[0] == 200
    assert state_of(client).effect_count("k") == 1


async def test_a_second_refund_under_another_key_is_409_naming_the_first(
    client: Client,
) -> None:
    _, first = await call(client, "POST", "/v1/refunds", REFUND, key="a")
    status, answer = await call(client, "POST", "/v1/refunds", REFUND, key="b")

    assert (status, answer["refund_id"]) == (409, first["refund_id"])
    assert len(state_of(client).refunds) == 1


async def test_a_missing_idempotency_key_is_400(client: Client) -> None:
    status, answer = await call(client, "POST", "/v1/chat/messages", TEXT, key=None)

    assert (status, answer["error"]["code"]) == (400, "missing_idempotency_key")


# --- bodies -------------------------------------------------------------------------------
async def test_a_body_that_is_not_a_json_object_is_400(client: Client) -> None:
    assert (await call(client, "POST", "/v1/refunds", b"not json"))[0] == 400
    assert (await call(client, "POST", "/v1/refunds", [1, 2]))[0] == 400


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/refunds", REFUND | {"amount": "12.505"}, "amount"),
        ("/v1/refunds", REFUND | {"amount": "-1"}, "above zero"),
        ("/v1/refunds", {k: v for k, v in REFUND.items() if k != "order_id"}, "order_id"),
        ("/v1/chat/messages", TEXT | {"audience": "everyone"}, "audience"),
        ("/v1/chat/messages", post_card(card(actions=[{"id": "x"}])), "card.actions"),
        ("/v1/replacement-orders", ORDER | {"lines": []}, "lines"),
        ("/v1/replacement-orders", ORDER | {"ship_by": "2026-11-30T16:59:59"}, "ship_by"),
    ],
)
async def test_an_invalid_body_is_422_naming_the_field(
    client: Client, path: str, body: dict[str, Any], field: str
) -> None:
    status, answer = await call(client, "POST", path, body)

    assert (status, answer["error"]["code"]) == (422, "invalid_body")
    assert field in answer["error"]["message"]
    assert state_of(client).effect_count("key-1") == 0


async def test_a_refund_in_jpy_takes_no_fraction(client: Client) -> None:
    body = REFUND | {"currency": "JPY", "amount": "1500.5"}
    assert (await call(client, "POST", "/v1/refunds", body))[0] == 422
    assert (await call(client, "POST", "/v1/refunds", body | {"amount": "1500"}))[0] == 200


# --- chat: texts and cards ------------------------------------------------------------------
async def test_a_card_is_updated_in_place_and_keeps_its_latest_version(client: Client) -> None:
    await call(client, "POST", "/v1/chat/messages", TEXT, key="m1")
    await call(client, "POST", "/v1/chat/messages", post_card(card()), key="m2")
    await call(client, "POST", "/v1/chat/messages", TEXT, key="m3")
    accepted = card(version=2, status="accepted", actions=[])

    status, answer = await call(
        client,
        "PUT",
        "/v1/chat/cards/req-1.offer.buyer",
        {"conversation_id": "conv-1", "card": accepted},
        key="card:v2",
    )

    assert (status, answer) == (200, {"card_id": "req-1.offer.buyer", "version": 2})
    thread = state_of(client).conversation("conv-1")
    assert [m.type for m in thread] == ["text", "card", "text"]
    assert thread[1].card == accepted
    assert thread[1].updates == 1
    assert state_of(client).card("req-1.offer.buyer") == accepted


async def test_a_card_update_with_an_old_version_is_409(client: Client) -> None:
    await call(client, "POST", "/v1/chat/messages", post_card(card(version=3)), key="m")
    stale = {"conversation_id": "conv-1", "card": card(version=3, status="expired")}

    status, answer = await call(client, "PUT", "/v1/chat/cards/req-1.offer.buyer", stale, key="u")

    assert (status, answer["error"]["code"]) == (409, "stale_card_version")
    assert state_of(client).card("req-1.offer.buyer") == card(version=3)


async def test_updating_a_card_never_posted_is_404(client: Client) -> None:
    body = {"conversation_id": "conv-1", "card": card(version=2)}

    status, answer = await call(client, "PUT", "/v1/chat/cards/req-1.offer.buyer", body)

    assert (status, answer["error"]["code"]) == (404, "card_not_found")


async def test_a_card_update_must_name_the_card_of_its_path(client: Client) -> None:
    await call(client, "POST", "/v1/chat/messages", post_card(card()), key="m")
    body = {"conversation_id": "conv-1", "card": card(card_id="other", version=2)}

    assert (await call(client, "PUT", "/v1/chat/cards/req-1.offer.buyer", body))[0] == 422


# --- orders and shipments --------------------------------------------------------------------
async def test_platform_shipping_gets_a_carrier_and_tracking_number(client: Client) -> None:
    _, order = await call(client, "POST", "/v1/replacement-orders", ORDER, key="o")
    shipment = {
        "request_id": "req-1",
        "replacement_order_id": order["replacement_order_id"],
        "shipping_option": "platform",
    }

    status, answer = await call(client, "POST", "/v1/shipments", shipment, key="s")

    assert status == 200
    assert answer["carrier"] and answer["tracking_number"]
    assert state_of(client).shipments[0]["tracking_number"] == answer["tracking_number"]


async def test_seller_shipping_echoes_the_sellers_tracking(client: Client) -> None:
    seller = ORDER | {"shipping_option": "seller"}
    _, order = await call(client, "POST", "/v1/replacement-orders", seller, key="o")
    shipment = {
        "request_id": "req-1",
        "replacement_order_id": order["replacement_order_id"],
        "shipping_option": "seller",
    }

    missing = await call(client, "POST", "/v1/shipments", shipment, key="s0")
    given = shipment | {"carrier": "J&T", "tracking_number": "JT123"}
    status, answer = await call(client, "POST", "/v1/shipments", given, key="s1")

    assert missing[0] == 422
    assert (status, answer) == (200, {"carrier": "J&T", "tracking_number": "JT123"})


async def test_a_shipment_for_an_unknown_replacement_order_is_404(client: Client) -> None:
    shipment = {
        "request_id": "req-1",
        "replacement_order_id": "nope",
        "shipping_option": "platform",
    }

    assert (await call(client, "POST", "/v1/shipments", shipment))[0] == 404


# --- knobs, mounting, the record ---------------------------------------------------------------
async def test_fault_knobs_fail_calls_without_effects(client: Client) -> None:
    state = state_of(client)
    state.fail_next(2, status=502)
    state.fail_path("/v1/refunds", 422)

    statuses = [
        (await call(client, "POST", "/v1/chat/messages", TEXT, key=f"m{i}"))[0] for i in range(3)
    ]
    refund = await call(client, "POST", "/v1/refunds", REFUND, key="r")
    state.clear_faults()

    assert statuses == [502, 502, 200]
    assert refund[0] == 422
    assert state.refunds == []
    assert (await call(client, "POST", "/v1/refunds", REFUND, key="r"))[0] == 200


async def test_mounted_under_a_prefix_it_records_platform_paths(
    aiohttp_client: ClientFactory,
) -> None:
    sandbox = sandbox_app(APP_KEY, APP_SECRET)
    root = web.Application()
    root.add_subapp("/sandbox", sandbox)
    client = await aiohttp_client(root)

    await call(client, "POST", "/sandbox/v1/chat/messages", post_card(card()), key="m")
    body = {"conversation_id": "conv-1", "card": card(version=2)}
    status, _ = await call(client, "PUT", "/sandbox/v1/chat/cards/req-1.offer.buyer", body, key="u")

    assert status == 200
    paths = [c.path for c in sandbox[SANDBOX_STATE].calls]
    assert paths == ["/v1/chat/messages", "/v1/chat/cards/req-1.offer.buyer"]


async def test_every_call_is_recorded(client: Client) -> None:
    await call(client, "POST", "/v1/chat/messages", TEXT, key="m1")

    [recorded] = state_of(client).calls
    assert (recorded.method, recorded.path, recorded.idempotency_key) == (
        "POST",
        "/v1/chat/messages",
        "m1",
    )
    assert recorded.content_type == "application/json"
    assert (recorded.body, recorded.status, recorded.signature_valid) == (TEXT, 200, True)
    async with client.get("/_sandbox/state") as response:
        snapshot = await response.json()
    assert snapshot["messages"]["conv-1"][0]["text"] == TEXT["message"]["text"]  # type: ignore[index]
