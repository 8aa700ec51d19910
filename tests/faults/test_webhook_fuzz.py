"""Fuzzing `POST /webhooks/chat` on the Redis store: no 500, and no write without a signature.

The in-process server (tests/e2e) on a Redis key prefix of its own holds one request
(so there is state to damage). Before the requests without a valid signature, and after
each of them, every key under the prefix is read and hashed (names, types, values; TTLs
tick and are left out): the hashes must be equal. Signed requests with random data may
change state, but are answered only 200, 400, 413 or 422.
(tests/e2e/test_webhook_errors.py fuzzes signed bodies on the memory store.)
"""

from __future__ import annotations

import json
import string
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.platforms.generic.signing import sign_body
from storage import RedisStore
from tests.e2e.conftest import MakeBot
from tests.e2e.harness import BotHarness
from tests.faults.support import RedisProbe, Report

LIMIT = 262_144  # RESHIPBOT_MAX_BODY_BYTES, the default
TYPES = [
    "reshipment.requested",
    "chat.message",
    "card.action",
    "logistics.updated",
    "reshipment.cancelled",
    "shop.renamed",  # unknown: ignored with 200 when signed
]
FIELDS = {
    "reshipment.requested": [
        "request_id", "conversation_id", "requested_at", "reason", "items", "evidence",
        "buyer", "seller", "order",
    ],
    "chat.message": ["conversation_id", "message_id", "sender", "text"],
    "card.action": ["conversation_id", "card_id", "action", "token", "actor", "form"],
    "logistics.updated": ["tracking_number", "carrier", "status", "description", "occurred_at"],
    "reshipment.cancelled": ["request_id", "cancelled_at"],
    "shop.renamed": ["name"],
}  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)
    | st.sampled_from(["RQ-1", "conv-1", "buyer", "seller", "12.50", "/approve", "delivered"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def envelopes(draw: st.DrawFn) -> dict[str, Any]:
    """A structurally valid envelope of one of the types, its `data` random per field."""
    type_ = draw(st.sampled_from(TYPES))
    names = draw(st.lists(st.sampled_from(FIELDS[type_]), unique=True))
    data = {name: draw(values) for name in names}
    return {
        "type": type_,
        "event_id": draw(st.from_regex(r"fz-[a-z0-9]{1,16}", fullmatch=True)),
        "shop_id": "shop-1",
        "timestamp": draw(st.sampled_from([0, 1_700_000_000, None])) or int(time.time()),
        "data": data,
    }


bodies = (
    st.binary(max_size=600)
    | values.map(lambda v: json.dumps(v).encode())
    | envelopes().map(orjson.dumps)
)
printable = st.text(alphabet=string.printable.strip() + " ", max_size=120)


@dataclass
class Seeded:
    bot: BotHarness
    probe: RedisProbe
    baseline: tuple[int, str]
    unsigned: Counter[int] = field(default_factory=Counter)  # answers without a signature
    signed: Counter[int] = field(default_factory=Counter)


@pytest.fixture
async def seeded(make_bot: MakeBot, redis_url: str, report: Report) -> AsyncIterator[Seeded]:
    bot = await make_bot("redis")
    assert bot.services is not None and isinstance(bot.services.store, RedisStore)
    await bot.requested()  # a request, its card delivered: state to protect
    await bot.settle()
    probe = RedisProbe(redis_url, bot.services.store.prefix)
    seeded = Seeded(bot, probe, await probe.snapshot())
    try:
        yield seeded
    finally:
        await probe.close()
    if seeded.unsigned:
        report(
            f"{sum(seeded.unsigned.values())} requests without a valid signature (random "
            f"bytes, JSON and envelopes; missing, empty, garbage, huge and near-miss "
            f"signatures; odd content types): answers {dict(seeded.unsigned)}; the "
            f"{seeded.baseline[0]} keys under the prefix hashed identical after each"
        )
    if seeded.signed:
        report(
            f"{sum(seeded.signed.values())} signed random bodies: answers "
            f"{dict(seeded.signed)}, no 500, no 503"
        )


@st.composite
def bad_signatures(draw: st.DrawFn, body: bytes) -> str | None:
    """A missing, empty, garbage, huge, or almost right `Authorization` for `body`."""
    kind = draw(
        st.sampled_from(["missing", "empty", "text", "hex", "huge", "other_body", "no_key", "old"])
    )
    if kind == "missing":
        return None
    if kind == "empty":
        return ""
    if kind == "text":
        return draw(printable)
    if kind == "hex":
        return draw(st.from_regex(r"[0-9a-f]{1,80}", fullmatch=True))
    if kind == "huge":
        return "a" * draw(st.integers(1_000, 7_000))
    if kind == "other_body":
        return sign_body("e2e-app-key", "e2e-app-secret-0123456789", body + b" ")
    if kind == "no_key":  # the secret right, the app key left out of the message
        return sign_body("", "e2e-app-secret-0123456789", body)
    return sign_body("e2e-app-key", "not-the-secret-at-all-0123456789", body)


content_types = st.sampled_from(
    ["application/json", "text/plain", "", "application/x-www-form-urlencoded", "x/y; q=1"]
)


async def post(bot: BotHarness, body: bytes, signature: str | None, content_type: str) -> int:
    headers = {"Content-Type": content_type} if content_type else {}
    if signature is not None:
        headers["Authorization"] = signature
    async with bot.session.post(f"{bot.base_url}/webhooks/chat", data=body, headers=headers) as r:
        await r.read()
        return r.status


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), body=bodies, content_type=content_types)
async def test_nothing_changes_without_a_valid_signature(
    seeded: Seeded, data: st.DataObject, body: bytes, content_type: str
) -> None:
    signature = data.draw(bad_signatures(body))
    status = await post(seeded.bot, body, signature, content_type)
    seeded.unsigned[status] += 1
    assert status in {400, 401, 413}, (status, signature, body[:200])
    assert await seeded.probe.snapshot() == seeded.baseline


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, content_type=content_types)
async def test_signed_random_bodies_get_an_answer_never_a_fault(
    seeded: Seeded, body: bytes, content_type: str
) -> None:
    bot = seeded.bot
    status = await post(bot, body, sign_body(bot.app_key, bot.secret, body), content_type)
    seeded.signed[status] += 1
    assert status in {200, 400, 413, 422}, (status, body[:300])


async def test_sizes_and_headers_at_the_edges(seeded: Seeded, report: Report) -> None:
    bot = seeded.bot
    seen: dict[str, int] = {}

    def padded(size: int) -> bytes:
        """A signed-able envelope of an unknown type, exactly `size` bytes long."""
        event = bot.envelope("shop.renamed", {"pad": ""})
        bare = len(orjson.dumps(event))
        event["data"]["pad"] = "x" * (size - bare)
        body = orjson.dumps(event)
        assert len(body) == size
        return body

    for size in (LIMIT - 1, LIMIT, LIMIT + 1, 2 * LIMIT):
        body = padded(size)
        signed = sign_body(bot.app_key, bot.secret, body)
        seen[f"signed {size}"] = await post(bot, body, signed, "application/json")
        seen[f"unsigned {size}"] = await post(bot, body, None, "application/json")
        seen[f"bad signature {size}"] = await post(bot, body, "0" * 64, "application/json")
    assert seen["signed 262143"] == seen["signed 262144"] == 200
    assert seen["signed 262145"] == seen["signed 524288"] == 413
    assert seen["unsigned 262144"] == seen["bad signature 262144"] == 401
    assert seen["unsigned 262145"] == 413

    envelope = orjson.dumps(bot.envelope("chat.message", {"conversation_id": "conv-1"}))
    head = b"POST /webhooks/chat HTTP/1.1\r\nHost: bot\r\n"
    headers: dict[str, int] = {}
    for name, extra in {
        "no Authorization": b"",
        "Authorization: 20 KB": b"Authorization: " + b"f" * 20_000,
        "Authorization: not UTF-8": b"Authorization: \xff\xfe\x00",
        "two Authorization headers": b"Authorization: a\r\nAuthorization: b",
        "Content-Type: garbage": b"Content-Type: \x01\x02; ;;",
    }.items():
        headers[name] = await bot.raw_http(head + extra, envelope)
    assert headers["Authorization: 20 KB"] in {400, 431}
    assert all(status in {400, 401, 431} for status in headers.values()), headers
    assert all(seen[n] in {401, 413} for n in seen if not n.startswith("signed"))
    answers = dict(Counter([*seen.values(), *headers.values()]))
    assert await seeded.probe.snapshot() == seeded.baseline  # the signed ones changed nothing
    report(
        f"bodies around max_body_bytes={LIMIT}: signed {LIMIT - 1}/{LIMIT} → 200, "
        f"{LIMIT + 1}/{2 * LIMIT} → 413; unsigned at the limit → 401, over it → 413; "
        f"hand-made headers → {headers}; "
        f"answers {answers}; the store's {seeded.baseline[0]} keys unchanged"
    )
