"""Each person reads their own language: a Thai buyer and a Spanish seller on one request.

The rules' effects go through `bot.outbound.OutboxPlanner` with the real renderer, as
they do at commit time, and cards through `CardMaterializer` as they are at delivery;
the bodies of the platform calls are checked: every card and every chat text reaches its
audience in that audience's locale, money in that locale's format, deadlines on that
person's clock.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.core.commands import AcceptOffer, Approve, Command, CreateRequest, Help, OfferPartialRefund
from bot.core.effects import Effect
from bot.core.models import ReshipmentRequest
from bot.core.rules import decide
from bot.platforms.generic.outbound import call_for
from bot.runtime.outbound import CardMaterializer, OutboxPlanner
from cards.render import Renderer
from storage.base import ConversationView
from tests.cards.builders import (
    BUYER,
    POLICY,
    SELLER,
    T0,
    Flow,
    create_command,
    created,
    offered,
)

THAI = re.compile("[\u0e00-\u0e7f]")
SPANISH = re.compile(r"\b(solicitud|reenvío|comprador|oferta|reembolso)\b", re.IGNORECASE)


class _Committed:
    """The store as the outbox worker sees it: the request as committed."""

    def __init__(self, request: ReshipmentRequest) -> None:
        self._request = request

    async def read_conversation(
        self, conversation_id: str, event_id: str | None = None
    ) -> ConversationView:
        return ConversationView(conversation_id, False, (self._request,))


def delivered(
    renderer: Renderer, request: ReshipmentRequest, effects: Sequence[Effect], now: datetime
) -> list[Mapping[str, Any]]:
    """The bodies the generic platform gets: texts from the commit, cards rendered at
    delivery."""
    entries = OutboxPlanner(renderer).plan("conv-1", request, effects, now, "k")
    materialize = CardMaterializer(_Committed(request), renderer)

    async def ready() -> list[Mapping[str, Any]]:
        rendered = [await materialize(entry) for entry in entries]
        return [call_for(entry).body for entry in rendered if entry is not None]

    return asyncio.run(ready())


def bodies(renderer: Renderer, flow: Flow, command: Command) -> list[Mapping[str, Any]]:
    """The platform calls that `command` leads to, rendered as the outbox stores them.

    As in the dispatcher, a reply that changes nothing (/help) is rendered against the
    request as it is.
    """
    now = flow.now + timedelta(minutes=30)
    outcome = decide(flow.request, command, now, POLICY)
    subject = outcome.request or flow.request
    calls = delivered(renderer, subject, outcome.effects, now)
    return [body for body in calls if "message" in body or "card" in body]


@pytest.fixture
def command() -> CreateRequest:
    return create_command(
        currency="EUR",
        buyer_locale="th-TH",
        buyer_timezone="Asia/Bangkok",
        seller_locale="es-ES",
        seller_timezone="Europe/Madrid",
        region="ES",
    )


@pytest.fixture
def flow(command: CreateRequest) -> Flow:
    return created(command)


def audience_and_text(body: Mapping[str, Any]) -> tuple[str, str]:
    """Who a call is for and everything it says (a card's fallback text has all of it)."""
    card = body.get("card") or body["message"].get("card")
    if card is not None:
        return card["audience"], card["fallback_text"]
    return body["audience"], body["message"]["text"]


def assert_each_reads_their_own(calls: list[Mapping[str, Any]]) -> None:
    assert calls
    for body in calls:
        audience, text = audience_and_text(body)
        card = body.get("card") or body["message"].get("card")
        if audience == "buyer":
            assert THAI.search(text) and not SPANISH.search(text), text
            assert card is None or card["locale"] == "th"
        else:
            assert audience == "seller"
            assert SPANISH.search(text) and not THAI.search(text), text
            assert card is None or card["locale"] == "es"


def test_the_new_request_card_is_spanish_and_the_buyers_receipt_thai(
    renderer: Renderer, command: CreateRequest
) -> None:
    outcome = decide(None, command, T0, POLICY)
    assert outcome.request is not None
    calls = delivered(renderer, outcome.request, outcome.effects, T0)
    assert_each_reads_their_own(calls)
    card, receipt = calls[0]["message"]["card"], calls[1]["message"]["text"]
    assert card["title"] == "Solicitud de reenvío RQ-1001"
    assert "Responde a más tardar el sáb, 28 nov, 10:00 (Europe/Madrid)" in card["lines"][1]
    assert receipt == (
        "เราได้รับคำขอส่งสินค้าใหม่ RQ-1001 ของคุณแล้ว ผู้ขายมีเวลาตอบกลับถึง "
        "ส. 28 พ.ย. 16:00 น. (Asia/Bangkok) หากไม่มีการตอบกลับ คำขอจะได้รับการอนุมัติโดยอัตโนมัติ"
    )


def test_decisions_reach_each_party_in_their_language(renderer: Renderer, flow: Flow) -> None:
    assert_each_reads_their_own(bodies(renderer, flow, Approve(SELLER)))
    with_offer = offered(flow)
    accepted = bodies(renderer, with_offer, AcceptOffer(BUYER))
    assert_each_reads_their_own(accepted)
    texts = {audience_and_text(body) for body in accepted}
    assert (
        "seller",
        "El comprador aceptó tu oferta: se reembolsa un importe de 9,00\xa0€ por la solicitud "
        "RQ-1001.",
    ) in texts
    outcome_card = next(b["message"]["card"] for b in accepted if b.get("message", {}).get("card"))
    assert outcome_card["title"] == "คุณจะได้รับเงินคืน"
    assert "€9.00" in outcome_card["fallback_text"]


def test_deadlines_are_on_each_persons_clock(renderer: Renderer, flow: Flow) -> None:
    calls = bodies(renderer, flow, OfferPartialRefund(SELLER, amount="9.00"))
    assert_each_reads_their_own(calls)
    said = {"buyer": "", "seller": ""}  # the buyer's offer card; the seller's card and text
    for audience, text in map(audience_and_text, calls):
        said[audience] += text
    # offered at 09:30 UTC on Thursday; one day to answer
    assert "ศ. 27 พ.ย. 16:30 น. (Asia/Bangkok)" in said["buyer"]
    assert "vie, 27 nov, 10:30 (Europe/Madrid)" in said["seller"]
    assert "Madrid" not in said["buyer"] and "Bangkok" not in said["seller"]


def test_help_and_refusals_explain_commands_in_the_readers_language(
    renderer: Renderer, flow: Flow
) -> None:
    buyer_help, seller_help = (
        bodies(renderer, flow, Help(BUYER)),
        bodies(renderer, flow, Help(SELLER)),
    )
    buyer_text = audience_and_text(buyer_help[0])[1]
    seller_text = audience_and_text(seller_help[0])[1]
    assert buyer_text.startswith("สิ่งที่คุณทำได้ตอนนี้:\n/cancel — ยกเลิกคำขอส่งสินค้าใหม่ของคุณ")
    assert seller_text.startswith("Lo que puedes hacer ahora:\n/approve — aprobar el reenvío")
    assert "/reject CODE COMMENT — rechazar con un código de motivo" in seller_text

    refused = bodies(renderer, flow, Approve(BUYER))  # only the seller may approve
    assert [audience_and_text(body) for body in refused] == [
        ("buyer", "เฉพาะผู้ขายเท่านั้นที่ทำรายการนี้ได้สำหรับคำขอ RQ-1001")
    ]
