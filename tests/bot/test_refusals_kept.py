"""Refused attempts cannot grow a request (T14, `bot.rules.REFUSALS_KEPT`): the timeline
keeps the latest refusals only, every other entry stays, and `refused_attempts` counts
them all. A person sending too many commands is told to slow down, once, and nothing is
recorded.
"""

from __future__ import annotations

import pytest

from bot.core.commands import Approve, DeliveryFailed
from bot.core.effects import Notify
from bot.core.models import Actor, Audience, TimelineEntry
from bot.core.outcome import Outcome
from bot.core.rules import REFUSALS_KEPT, slow_down
from tests.bot.builders import AGENT, BUYER, HOUR, MINUTE, SELLER, Flow, created


def _refused_at(timeline: tuple[TimelineEntry, ...]) -> list[int]:
    return [index for index, entry in enumerate(timeline) if entry.type == "refused"]


def _refuse_times(flow: Flow, count: int) -> None:
    for _ in range(count):
        outcome = flow.attempt(Approve(BUYER), after=MINUTE)
        assert outcome.refusal is not None and outcome.refusal.code == "only_seller"


def test_up_to_the_limit_every_refusal_is_kept() -> None:
    flow = created()
    start = len(flow.request.timeline)
    _refuse_times(flow, REFUSALS_KEPT)
    assert len(flow.request.timeline) == start + REFUSALS_KEPT
    assert flow.request.refused_attempts == REFUSALS_KEPT


def test_past_the_limit_the_oldest_refusal_goes_and_the_count_goes_on() -> None:
    flow = created()
    _refuse_times(flow, REFUSALS_KEPT)
    kept = [flow.request.timeline[i] for i in _refused_at(flow.request.timeline)]
    _refuse_times(flow, 1)
    timeline = flow.request.timeline
    assert [timeline[i] for i in _refused_at(timeline)] == [*kept[1:], timeline[-1]]
    assert flow.request.refused_attempts == REFUSALS_KEPT + 1


def test_the_other_entries_stay_where_they_were_between_refusals() -> None:
    flow = created()
    _refuse_times(flow, 2)
    flow.do(DeliveryFailed("SendCard", "400"), after=HOUR)
    _refuse_times(flow, REFUSALS_KEPT)  # the first two refusals go, one by one
    timeline = flow.request.timeline
    types = [entry.type for entry in timeline]
    assert types[0] != "refused"
    assert types[-REFUSALS_KEPT - 1 :] == ["delivery_failed"] + ["refused"] * REFUSALS_KEPT
    assert types.count("refused") == REFUSALS_KEPT
    assert len(timeline) == 1 + 1 + REFUSALS_KEPT  # created, delivery_failed, the refusals
    assert flow.request.refused_attempts == 2 + REFUSALS_KEPT


@pytest.mark.parametrize("actor", [BUYER, SELLER])
def test_a_person_sending_too_much_is_asked_to_slow_down(actor: Actor) -> None:
    assert slow_down(actor) == Outcome(None, (Notify(Audience(actor.role.value), "slow_down", {}),))


def test_an_agent_sending_too_much_is_not_answered() -> None:
    assert slow_down(AGENT) == Outcome(None)
