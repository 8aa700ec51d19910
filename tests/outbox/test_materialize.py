"""Cards are rendered when delivered, from the request as committed then.

An update overtaken by a newer one is dropped without a platform call; a new card is
sent at the newest version; texts and platform calls pass through unrendered.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.commands import Command, DeclineOffer, OfferPartialRefund
from bot.core.effects import EffectKind
from bot.core.models import ReshipmentRequest
from bot.core.policy import Policy
from bot.core.rules import decide
from bot.core.schedule import nearest_deadline, timers_for
from bot.core.tokens import TokenSigner
from bot.platforms.generic.client import Delivery
from bot.runtime.outbound import CardMaterializer, OutboxPlanner
from bot.runtime.outbox import OutboxWorker
from cards.render import Renderer
from storage import MemoryStore
from storage.base import Commit, CommitResult, OutboxEntry
from tests.cards.builders import BUYER, SELLER, T0, create_command

POLICY = Policy()


class Recorder:
    def __init__(self) -> None:
        self.sent: list[OutboxEntry] = []

    async def deliver(self, entry: OutboxEntry) -> Delivery:
        self.sent.append(entry)
        return Delivery.done()


class Bot:
    """Commits decisions with their outbox entries, as the dispatcher does."""

    def __init__(self) -> None:
        self.clock = FakeClock(T0)
        self.store = MemoryStore(self.clock)
        self.renderer = Renderer(TokenSigner("materialize-tests"), POLICY)
        self.planner = OutboxPlanner(self.renderer)
        self.platform = Recorder()
        self.worker = OutboxWorker(
            self.store,
            self.platform,
            self.clock,
            materialize=CardMaterializer(self.store, self.renderer),
        )
        self.request: ReshipmentRequest | None = None

    async def do(self, command: Command) -> ReshipmentRequest:
        base = self.request
        outcome = decide(base, command, self.clock.now(), POLICY)
        new = outcome.request
        assert new is not None and outcome.refusal is None, outcome.refusal
        entries = self.planner.plan(
            new.conversation_id,
            new,
            outcome.effects,
            self.clock.now(),
            f"{new.request_id}:v{new.version}",
        )
        result = await self.store.commit(
            Commit(
                new.conversation_id,
                self.clock.now(),
                request=new,
                expected_version=base.version if base else 0,
                timers=timers_for(new),
                queue_at=nearest_deadline(new),
                outbox=entries,
            )
        )
        assert result is CommitResult.ok
        self.clock.advance(timedelta(minutes=1))
        self.request = new
        return new

    async def deliver(self) -> list[OutboxEntry]:
        start = len(self.platform.sent)
        while await self.worker.run_once():
            pass
        return self.platform.sent[start:]


def card_calls(sent: list[OutboxEntry], card_id: str) -> list[tuple[str, int]]:
    """(effect, card version) of each delivery that carried `card_id`, rendered."""
    calls = []
    for entry in sent:
        card = entry.payload.get("card")
        if card is not None and card["card_id"] == card_id:
            calls.append((entry.effect.value, card["version"]))
    return calls


async def test_cards_go_out_rendered_and_overtaken_updates_are_dropped() -> None:
    bot = Bot()
    await bot.do(create_command())
    await bot.do(OfferPartialRefund(SELLER, amount="10.00"))  # seller card v2, offer card v1
    final = await bot.do(DeclineOffer(BUYER))  # seller card v3, offer card v2
    seller_card, offer_card = (
        f"{final.request_id}.request.seller",
        f"{final.request_id}.offer.buyer",
    )
    assert final.card(seller_card).version == 3  # type: ignore[union-attr]

    sent = await bot.deliver()
    # new cards are sent at their newest version; the update to v2 was overtaken by v3
    assert card_calls(sent, seller_card) == [("card", 3), ("card_update", 3)]
    assert card_calls(sent, offer_card) == [("card", 2), ("card_update", 2)]
    offer = next(
        e for e in sent if e.effect is EffectKind.card_update and e.payload["card_id"] == offer_card
    )
    assert offer.payload["card"]["status"] == "declined" and offer.payload["card"]["actions"] == []
    assert all("card" in entry.payload for entry in sent if entry.effect.shows_card)
    texts = [e for e in sent if e.effect is EffectKind.text]
    assert len(texts) == 3  # the receipt, "offer sent" and "offer declined"


async def test_delivered_in_step_every_version_goes_out() -> None:
    bot = Bot()
    created = await bot.do(create_command())
    card_id = created.cards[0].card_id
    assert card_calls(await bot.deliver(), card_id) == [("card", 1)]
    await bot.do(OfferPartialRefund(SELLER, amount="10.00"))
    assert card_calls(await bot.deliver(), card_id) == [("card_update", 2)]
    await bot.do(DeclineOffer(BUYER))
    assert card_calls(await bot.deliver(), card_id) == [("card_update", 3)]


async def test_a_stale_update_is_dropped_and_a_current_one_rendered() -> None:
    bot = Bot()
    created = await bot.do(create_command())
    card_id = created.cards[0].card_id
    update = OutboxEntry(
        entry_id="0000000000001-000001-aaaaaaaa",
        conversation_id=created.conversation_id,
        request_id=created.request_id,
        effect=EffectKind.card_update,
        payload={"card_id": card_id, "version": 0, "audience": "seller"},
        idempotency_key=f"card:{card_id}:v0",
        created_at=bot.clock.now(),
    )
    materialize = CardMaterializer(bot.store, bot.renderer)
    assert await materialize(update) is None
    ready = await materialize(replace(update, payload={**update.payload, "version": 1}))
    assert ready is not None
    assert ready.payload == {
        "card_id": card_id,
        "version": 1,
        "audience": "seller",
        "card": bot.renderer.card(created, card_id).model_dump(mode="json"),
    }
    text = replace(update, effect=EffectKind.text, payload={"audience": "seller", "text": "x"})
    assert await materialize(text) is text  # nothing to render: passed through
