"""No input of a buyer or a seller leads to an error: any chat text and any card form,
through the real dispatcher (the rules, and the texts rendered for the outbox), is
processed, refused with a reply, or ignored — never an exception (which would be a 503,
and a message the platform retries for ever)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.clock import FakeClock
from bot.core.events import InboundEvent
from bot.core.tokens import TokenClaims, TokenSigner
from bot.platforms.generic.signing import sign_body
from bot.runtime.config import load_settings
from bot.runtime.services import Services
from storage import MemoryStore
from tests.e2e.harness import BUYER, SELLER, requested_data
from tests.factories import NOW

ACTIONS = ("approve", "reject", "offer_partial_refund", "refund_only", "arrange_shipment")
FORM_KEYS = ("amount", "reason_code", "comment", "carrier", "tracking_number")
WORDS = ("/offer", "/reject", "/ship", "/approve", "/refund", "/accept", "/help", "/status")

# text a person could type: anything, or a command word followed by anything
texts = st.one_of(
    st.text(max_size=300),
    st.builds(lambda word, rest: f"{word} {rest}", st.sampled_from(WORDS), st.text(max_size=200)),
    st.builds(
        lambda digits, tail: f"/offer {digits}{tail}",
        st.text(alphabet="0123456789.,-+eE_%$", min_size=1, max_size=60),
        st.text(max_size=5),
    ),
)
# numbers of every size, as people type amounts and percentages
amounts = st.builds(
    lambda sign, whole, tail: f"{sign}{whole}{tail}",
    st.sampled_from(["", "-", "+", "$"]),
    st.integers(min_value=0, max_value=10**45),
    st.sampled_from(["", ".5", ".99", ".001", "%", ".5%", ",50", " %"]),
)
texts = st.one_of(texts, amounts.map(lambda amount: f"/offer {amount}"))
forms = st.dictionaries(
    st.sampled_from(FORM_KEYS), st.one_of(st.text(max_size=300), amounts), max_size=5
)


def _event(services: Services, n: int, type_: str, data: dict[str, Any]) -> InboundEvent:
    """The event as the platform hands it over: a signed webhook, verified and parsed."""
    envelope = {
        "type": type_,
        "event_id": f"evt-{n}",
        "shop_id": "shop-1",
        "timestamp": int(services.clock.now().timestamp()),
        "data": data,
    }
    body = orjson.dumps(envelope)
    settings = services.settings
    signature = sign_body(settings.app_key, settings.signing_secret.get_secret_value(), body)
    received = services.platform.receive(body, {"Authorization": signature}, services.clock.now())
    assert isinstance(received, InboundEvent), received
    return received


async def _answer(type_: str, make_data: Callable[[TokenSigner], dict[str, Any]]) -> str:
    """A fresh bot (rules, texts, memory store) with one open request answers one event."""
    clock = FakeClock(NOW)
    services = Services(load_settings({}), clock, store=MemoryStore(clock), role="web")
    await services.start()
    try:
        raw = requested_data("RQ-1", "conv-1", clock)
        opened = await services.dispatcher.handle(_event(services, 1, "reshipment.requested", raw))
        assert opened.verdict == "processed"
        event = _event(services, 2, type_, make_data(services.tokens))
        handled = await services.dispatcher.handle(event)
        return handled.verdict
    finally:
        await services.stop()


def _token(tokens: TokenSigner, action: str) -> str:
    claims = TokenClaims("RQ-1", "RQ-1.request.seller", 1, action, "seller", SELLER["id"])
    return tokens.sign(claims)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, as_seller=st.booleans())
def test_any_chat_text_is_answered_never_raised(text: str, as_seller: bool) -> None:
    sender = SELLER if as_seller else BUYER
    data = {"conversation_id": "conv-1", "message_id": "m-1", "sender": sender, "text": text}

    verdict = asyncio.run(_answer("chat.message", lambda _: data))

    assert verdict in ("processed", "ignored")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=st.sampled_from(ACTIONS), form=forms)
def test_any_card_form_is_answered_never_raised(action: str, form: dict[str, str]) -> None:
    def click(tokens: TokenSigner) -> dict[str, Any]:
        return {
            "conversation_id": "conv-1",
            "card_id": "RQ-1.request.seller",
            "action": action,
            "token": _token(tokens, action),
            "actor": SELLER,
            "form": form,
        }

    verdict = asyncio.run(_answer("card.action", click))

    assert verdict == "processed"
