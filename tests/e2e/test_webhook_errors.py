"""SPEC §3.1 input errors, in the order the webhook checks them: 413, 401, 400, 422, 503.

Every error answer has the one error shape; no input at all gives a 500.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import AsyncIterator
from copy import deepcopy
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.clock import OffsetClock
from bot.platforms.generic.signing import sign_body
from storage import RedisStore
from tests.e2e.conftest import MakeBot
from tests.e2e.harness import (
    OLD_APP_SECRET,
    Answer,
    BotHarness,
    memory_only,
    requested_data,
)

TIKTOK_BODY = (
    b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,'
    b'"data":{"order_id":"576684019603311365","order_status":"AWAITING_SHIPMENT",'
    b'"update_time":1664095610}}'
)
TIKTOK_SIGNATURE = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def error_of(answer: Answer, status: int, code: str | None = None) -> dict[str, Any]:
    """The answer is `status` with the one error shape (and `code`, when given)."""
    assert answer.status == status, answer
    assert isinstance(answer.body, dict) and set(answer.body) == {"error"}, answer.body
    error: dict[str, Any] = answer.body["error"]
    assert SNAKE.match(error["code"]), error
    assert isinstance(error["message"], str) and error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error


def envelope_body(bot: BotHarness, **changes: Any) -> dict[str, Any]:
    event = bot.envelope("chat.message", chat_data("/status"))
    event.update(changes)
    return event


def chat_data(text: str) -> dict[str, Any]:
    return {
        "conversation_id": "conv-1",
        "message_id": "m-1",
        "sender": {"role": "buyer", "id": "buyer-1"},
        "text": text,
    }


# --- 401: the signature ------------------------------------------------------------------


async def test_a_missing_or_wrong_signature_is_401(bot: BotHarness) -> None:
    body = orjson.dumps(bot.envelope("chat.message", chat_data("/help")))
    error_of(await bot.post_raw(body, signature=""), 401, "bad_signature")
    wrong = sign_body(bot.app_key, "not-the-secret", body)
    error_of(await bot.post_raw(body, signature=wrong), 401, "bad_signature")
    other_body = sign_body(bot.app_key, bot.secret, body + b" ")
    error_of(await bot.post_raw(body, signature=other_body), 401, "bad_signature")
    no_key = sign_body("", bot.secret, body)  # HMAC over the body alone, without APP_KEY
    error_of(await bot.post_raw(body, signature=no_key), 401, "bad_signature")
    error_of(await bot.post_raw(b"", signature=""), 401)
    assert bot.platform.calls == []


async def test_the_second_configured_secret_is_accepted(bot: BotHarness) -> None:
    """Rotation: APP_SECRET lists the new and the old secret; both verify."""
    await bot.requested()
    body = orjson.dumps(bot.envelope("chat.message", chat_data("/status")))
    answer = await bot.post_raw(body, signature=sign_body(bot.app_key, OLD_APP_SECRET, body))
    assert answer.status == 200 and answer.body == {"ok": True}
    await bot.reply("Request RQ-1: waiting for the seller", audience="buyer")


async def test_the_tiktok_vector_passes_the_signature(make_bot: MakeBot) -> None:
    assert sign_body("fake_app_key", "fake_app_secret", TIKTOK_BODY) == TIKTOK_SIGNATURE
    tiktok = await make_bot(
        env={"RESHIPBOT_APP_KEY": "fake_app_key", "RESHIPBOT_APP_SECRET": "fake_app_secret"}
    )
    answer = await tiktok.post_raw(TIKTOK_BODY, signature=TIKTOK_SIGNATURE)
    error = error_of(answer, 400, "bad_envelope")  # "type": 1 is an int, and no event_id
    assert "type" in error["message"] and "event_id" in error["message"]
    tampered = TIKTOK_BODY.replace(b"AWAITING_SHIPMENT", b"AWAITING_COLLECTION")
    error_of(await tiktok.post_raw(tampered, signature=TIKTOK_SIGNATURE), 401)


# --- 413: the size -----------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413(make_bot: MakeBot) -> None:
    small = await make_bot(env={"RESHIPBOT_MAX_BODY_BYTES": "2048"})
    event = small.envelope("chat.message", chat_data("/status"))
    padding = 2048 - len(orjson.dumps(event)) - len(',"pad":""')
    fits = orjson.dumps({**event, "pad": "x" * padding})
    assert len(fits) == 2048
    assert (await small.post_raw(fits)).status == 200
    too_big = orjson.dumps({**event, "pad": "x" * (padding + 1)})
    error_of(await small.post_raw(too_big), 413, "body_too_large")
    error_of(await small.post_raw(b"x" * 100_000, signature=""), 413)  # before the signature

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(10):
            yield b"x" * 1000

    async with small.session.post(f"{small.base_url}/webhooks/chat", data=chunks()) as response:
        assert response.status == 413
        body = await response.json()
        assert body["error"]["code"] == "body_too_large"


# --- 400: not the envelope -----------------------------------------------------------------


async def test_a_body_that_is_not_an_envelope_is_400(bot: BotHarness) -> None:
    for raw in (b"{not json", b"\xff\xfe{}", b"", b"   "):
        error_of(await bot.post_raw(raw), 400, "not_json")
    for value in ([1, 2], "chat.message", 42, None, True):
        error_of(await bot.post_raw(orjson.dumps(value)), 400, "bad_envelope")
    for missing in ("type", "event_id", "shop_id", "timestamp", "data"):
        event = envelope_body(bot)
        del event[missing]
        error = error_of(await bot.post_raw(orjson.dumps(event)), 400, "bad_envelope")
        assert missing in error["message"]
    wrong_types: dict[str, Any] = {
        "type": 7,
        "event_id": 12,
        "shop_id": ["shop-1"],
        "timestamp": "1700000000",
        "data": [],
    }
    for name, value in wrong_types.items():
        error = error_of(await bot.post_raw(orjson.dumps(envelope_body(bot, **{name: value}))), 400)
        assert name in error["message"], error
    error_of(await bot.post_raw(orjson.dumps(envelope_body(bot, timestamp=1.7e9))), 400)
    error_of(await bot.post_raw(orjson.dumps(envelope_body(bot, event_id="has space"))), 400)
    assert bot.platform.calls == []


# --- 422: the data of each type, and the time ------------------------------------------------


def _requested(bot: BotHarness, change: Any) -> dict[str, Any]:
    data = requested_data("RQ-9", "conv-9", bot.clock)
    change(data)
    return data


def _delete(path: list[str | int]) -> Any:
    def change(data: Any) -> None:
        for part in path[:-1]:
            data = data[part]
        del data[path[-1]]

    return change


def _put(path: list[str | int], value: Any) -> Any:
    def change(data: Any) -> None:
        for part in path[:-1]:
            data = data[part]
        data[path[-1]] = value

    return change


# (case, how the data is spoiled, the field the answer must name)
REQUESTED_CASES = [
    ("negative quantity", _put(["items", 0, "quantity"], -1), "data.items[0].quantity"),
    ("zero quantity", _put(["items", 0, "quantity"], 0), "items[0].quantity"),
    ("unknown reason", _put(["reason"], "changed_my_mind"), "data.reason"),
    ("missing timezone", _delete(["seller", "timezone"]), "data.seller.timezone"),
    ("bad timezone", _put(["seller", "timezone"], "Mars/Olympus_Mons"), "seller.timezone"),
    ("float price", _put(["order", "lines", 0, "unit_price"], 12.5), "unit_price"),
    ("price as words", _put(["order", "lines", 0, "unit_price"], "twelve"), "unit_price"),
    ("too precise price", _put(["order", "lines", 0, "unit_price"], "12.505"), "unit_price"),
    ("item not in order", _put(["items", 0, "line_id"], "L404"), "items[0].line_id"),
    ("above ordered", _put(["items", 0, "quantity"], 4), "items[0].quantity"),
    ("unknown currency", _put(["order", "currency"], "ABC"), "order.currency"),
    ("lowercase currency", _put(["order", "currency"], "usd"), "data.order.currency"),
    ("bad shipping option", _put(["order", "shipping_option"], "drone"), "shipping_option"),
    ("no items", _put(["items"], []), "data.items"),
    ("bad region", _put(["seller", "region"], "Thailand"), "data.seller.region"),
    ("missing buyer", _delete(["buyer"]), "data.buyer"),
]


@memory_only
@pytest.mark.parametrize(
    ("case", "spoil", "field"), REQUESTED_CASES, ids=[c[0] for c in REQUESTED_CASES]
)
async def test_invalid_request_data_is_422_naming_the_field(
    bot: BotHarness, case: str, spoil: Any, field: str
) -> None:
    answer = await bot.send("reshipment.requested", _requested(bot, spoil))
    error = error_of(answer, 422, "invalid_data")
    assert field in error["message"], (case, error)
    assert any(field in problem["field"] for problem in error["fields"]), error
    assert (await bot.api("/api/requests/RQ-9")).status == 404


OTHER_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "chat role",
        "chat.message",
        {**chat_data("/help"), "sender": {"role": "admin", "id": "x"}},
        "data.sender.role",
    ),
    ("chat text type", "chat.message", {**chat_data("/help"), "text": 5}, "data.text"),
    ("chat without id", "chat.message", {"conversation_id": "c", "text": "/help"}, "data.sender"),
    (
        "card without token",
        "card.action",
        {
            "conversation_id": "conv-1",
            "card_id": "RQ-1.request.seller",
            "action": "approve",
            "actor": {"role": "seller", "id": "seller-1"},
        },
        "data.token",
    ),
    (
        "card form values",
        "card.action",
        {
            "conversation_id": "conv-1",
            "card_id": "RQ-1.request.seller",
            "action": "approve",
            "token": "t",
            "actor": {"role": "seller", "id": "seller-1"},
            "form": {"amount": 10},
        },
        "data.form.amount",
    ),
    (
        "logistics status",
        "logistics.updated",
        {"tracking_number": "T1", "carrier": "C", "status": "teleported", "occurred_at": 1},
        "data.status",
    ),
    (
        "logistics time",
        "logistics.updated",
        {"tracking_number": "T1", "carrier": "C", "status": "delivered", "occurred_at": "now"},
        "data.occurred_at",
    ),
    (
        "cancel time",
        "reshipment.cancelled",
        {"request_id": "RQ-1", "cancelled_at": -5},
        "data.cancelled_at",
    ),
]


@memory_only
@pytest.mark.parametrize(
    ("case", "type_", "data", "field"), OTHER_CASES, ids=[c[0] for c in OTHER_CASES]
)
async def test_invalid_data_of_other_types_is_422_naming_the_field(
    bot: BotHarness, case: str, type_: str, data: dict[str, Any], field: str
) -> None:
    error = error_of(await bot.send(type_, data), 422, "invalid_data")
    assert field in error["message"], (case, error)
    assert any(problem["field"] == field for problem in error["fields"]), error


async def test_event_time_outside_the_window_is_422(bot: BotHarness) -> None:
    now = int(bot.clock.now().timestamp())
    data = chat_data("/help")
    error_of(await bot.send("chat.message", data, timestamp=now - 24 * 3600 - 60), 422)
    error_of(await bot.send("chat.message", data, timestamp=now + 6 * 60), 422, "future_event")
    assert (await bot.send("chat.message", data, timestamp=now + 4 * 60)).status == 200
    assert (await bot.send("chat.message", data, timestamp=now - 23 * 3600)).status == 200
    await bot.reply("What you can do now", audience="buyer")
    await bot.settle()
    assert len(bot.texts()) == 2  # the two in-window events only


async def test_unknown_types_are_ignored_and_unknown_targets_are_422(bot: BotHarness) -> None:
    answer = await bot.send("order.status_changed", {"order_id": "ORD-1", "anything": [1, 2]})
    assert (answer.status, answer.body) == (200, {"ok": True})
    error = error_of(await bot.logistics("NOPE123", "in_transit"), 422, "unknown_tracking_number")
    assert "NOPE123" in error["message"]
    cancel = {"request_id": "RQ-404", "cancelled_at": int(bot.clock.now().timestamp())}
    error_of(await bot.send("reshipment.cancelled", cancel), 422, "unknown_request")
    # a tracking number only becomes known when the request ships
    await bot.approved()
    error_of(await bot.logistics("NOPE123", "in_transit"), 422, "unknown_tracking_number")
    await bot.settle()
    assert not bot.calls("/v1/shipments")


# --- 503: the store is down ----------------------------------------------------------------


async def test_storage_down_is_503_and_not_ready(make_bot: MakeBot) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RedisStore.from_url(f"redis://127.0.0.1:{port}/0", prefix="rbtest-down")
    down = await make_bot(store=store)
    try:
        error_of(await down.request(), 503, "storage_unavailable")
        error_of(await down.chat("/status"), 503, "storage_unavailable")
        error_of(await down.api("/readyz", token=None), 503, "storage_unavailable")
        assert (await down.api("/healthz", token=None)).status == 200
        # input errors are still answered as such: they need no store
        error_of(await down.post_raw(b"{}", signature=""), 401)
        error_of(await down.post_raw(b"[]"), 400)
    finally:
        await store.close()


# --- never a 500 ---------------------------------------------------------------------------

TYPES = [
    "reshipment.requested",
    "chat.message",
    "card.action",
    "logistics.updated",
    "reshipment.cancelled",
    "something.else",
]
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
"""Any JSON value, also what orjson cannot write (big integers, NaN): `json.dumps` is used."""
JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)

DATA_KEYS = sorted(
    {
        *requested_data("RQ-H", "conv-h", OffsetClock()),
        *chat_data(""),
        *("card_id", "action", "token", "actor", "form"),
        *("tracking_number", "carrier", "status", "description", "occurred_at", "cancelled_at"),
    }
)


def _near_valid(bot: BotHarness, type_: str, noise: dict[str, Any]) -> dict[str, Any]:
    """A plausible `data` for the type with some fields replaced by noise."""
    base: dict[str, Any] = {
        "reshipment.requested": requested_data("RQ-H", "conv-h", bot.clock),
        "chat.message": chat_data("/offer 10"),
        "card.action": {
            "conversation_id": "conv-1",
            "card_id": "RQ-1.request.seller",
            "action": "approve",
            "token": "v1.x.y",
            "actor": {"role": "seller", "id": "seller-1"},
            "form": {},
        },
        "logistics.updated": {
            "tracking_number": "T1",
            "carrier": "C",
            "status": "delivered",
            "occurred_at": 1,
        },
        "reshipment.cancelled": {"request_id": "RQ-1", "cancelled_at": 1},
    }.get(type_, {})
    data = deepcopy(base)
    data.update(noise)
    return data


@memory_only
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shape=st.sampled_from(["bytes", "json", "envelope", "envelope", "envelope"]),
    raw=st.binary(max_size=200),
    value=JSON,
    type_=st.sampled_from(TYPES),
    noise=st.dictionaries(st.sampled_from(DATA_KEYS) | st.text(max_size=8), JSON, max_size=3),
    skew=st.integers(-100, 100) | st.integers(),
)
async def test_no_input_gives_a_500(
    bot: BotHarness,
    shape: str,
    raw: bytes,
    value: Any,
    type_: str,
    noise: dict[str, Any],
    skew: int,
) -> None:
    if shape == "bytes":
        body = raw
    elif shape == "json":
        body = json.dumps(value).encode()
    else:
        event = bot.envelope(type_, _near_valid(bot, type_, noise))
        event["timestamp"] += skew
        body = json.dumps(event).encode()
    answer = await bot.post_raw(body)
    assert answer.status in {200, 400, 401, 413, 422}, (answer, body[:300])
    if answer.status != 200:
        error_of(answer, answer.status)


async def test_an_undecodable_authorization_header_is_401_not_a_fault(bot: BotHarness) -> None:
    """Regression: header bytes that are not UTF-8 made the signature check raise (503)."""
    body = orjson.dumps(bot.envelope("chat.message", chat_data("/help")))
    for signature in (b"\xff\xfe", "ü".encode("latin-1"), "é".encode()):
        head = b"POST /webhooks/chat HTTP/1.1\r\nHost: bot\r\nAuthorization: " + signature
        assert await bot.raw_http(head, body) == 401, signature
        head = b"GET /api/requests HTTP/1.1\r\nHost: bot\r\nAuthorization: Bearer " + signature
        assert await bot.raw_http(head) == 401, signature
    good = b"Authorization: " + sign_body(bot.app_key, bot.secret, body).encode()
    assert await bot.raw_http(b"POST /webhooks/chat HTTP/1.1\r\nHost: bot\r\n" + good, body) == 200
