"""The Card model is the wire contract of SPEC §2.2: strict, and refuses what is not in it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cards.model import ActionId, Card


def card_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "card_id": "RQ-1.offer.buyer",
        "request_id": "RQ-1",
        "kind": "offer",
        "version": 1,
        "locale": "en",
        "audience": "buyer",
        "status": "open",
        "title": "Partial refund offer",
        "lines": ["The seller offers $10.00."],
        "fields": [{"label": "Offer", "value": "$10.00"}],
        "actions": [
            {"id": "accept_offer", "label": "Accept", "style": "primary", "token": "v1.a.b"},
            {"id": "decline_offer", "label": "Decline", "style": "secondary", "token": "v1.c.d"},
        ],
        "fallback_text": "Partial refund offer\nReply /accept or /decline",
    }
    data.update(overrides)
    return data


def test_a_card_as_the_spec_shows_it_is_valid() -> None:
    card = Card.model_validate(card_data())
    assert card.actions[0].id is ActionId.accept_offer
    assert card.model_dump(mode="json") == card_data()


def test_every_spec_action_id_is_known() -> None:
    assert {action.value for action in ActionId} == {
        "approve",
        "reject",
        "offer_partial_refund",
        "refund_only",
        "arrange_shipment",
        "accept_offer",
        "decline_offer",
        "check_logistics",
        "cancel_request",
    }


def test_the_audience_may_be_both() -> None:
    assert Card.model_validate(card_data(audience="both")).audience.value == "both"


@pytest.mark.parametrize(
    "overrides",
    [
        {"kind": "invoice"},
        {"audience": "agent"},
        {"status": "pending"},
        {"locale": "fr"},
        {"version": 0},
        {"version": -1},
        {"version": "1"},
        {"version": 1.5},
        {"title": ""},
        {"title": "  \n"},
        {"fallback_text": ""},
        {"card_id": ""},
        {"lines": "one line"},
        {"lines": [1]},
        {"fields": [{"label": "Offer"}]},
        {"fields": [{"label": "", "value": "x"}]},
        {"fields": [{"label": "Offer", "value": "x", "extra": "y"}]},
        {"actions": [{"id": "refund_everything", "label": "x", "style": "primary", "token": "t"}]},
        {"actions": [{"id": "approve", "label": "x", "style": "loud", "token": "t"}]},
        {"actions": [{"id": "approve", "label": "x", "style": "primary", "token": ""}]},
        {"actions": [{"id": "approve", "label": "x", "style": "primary"}]},
    ],
)
def test_what_the_spec_does_not_allow_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Card.model_validate(card_data(**overrides))


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Card.model_validate({**card_data(), "html": "<b>hi</b>"})


def test_a_missing_key_is_refused() -> None:
    data = card_data()
    del data["fallback_text"]
    with pytest.raises(ValidationError):
        Card.model_validate(data)


@pytest.mark.parametrize("status", ["accepted", "declined", "expired", "closed"])
def test_a_card_that_is_not_open_has_no_actions(status: str) -> None:
    with pytest.raises(ValidationError, match="cannot have actions"):
        Card.model_validate(card_data(status=status))
    assert Card.model_validate(card_data(status=status, actions=[])).actions == ()


def test_an_action_appears_once() -> None:
    action = {"id": "approve", "label": "Approve", "style": "primary", "token": "t"}
    with pytest.raises(ValidationError, match="twice"):
        Card.model_validate(card_data(actions=[action, action]))


def test_cards_are_frozen() -> None:
    card = Card.model_validate(card_data())
    with pytest.raises(ValidationError):
        card.title = "changed"  # type: ignore[misc]
