"""The Card wire format of SPEC §2.2, validated before any card leaves the bot.

A card that does not fit this model is a bug in a template or in the renderer, never
something to send: `cards.render.Renderer` validates every card it renders.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bot.core.models import CardKind, CardStatus

__all__ = [
    "ActionId",
    "ActionStyle",
    "Card",
    "CardAction",
    "CardAudience",
    "CardField",
    "CardKind",
    "CardLocale",
    "CardStatus",
]

# Text that must say something: at least one character that is not whitespace.
Text = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]

CardLocale = Literal["en", "es", "id", "th", "vi"]


class CardAudience(StrEnum):
    buyer = "buyer"
    seller = "seller"
    both = "both"


class ActionStyle(StrEnum):
    primary = "primary"
    secondary = "secondary"
    danger = "danger"


class ActionId(StrEnum):
    """The buttons a card may carry (SPEC §2.2)."""

    # seller
    approve = "approve"
    reject = "reject"
    offer_partial_refund = "offer_partial_refund"
    refund_only = "refund_only"
    arrange_shipment = "arrange_shipment"
    # buyer
    accept_offer = "accept_offer"
    decline_offer = "decline_offer"
    check_logistics = "check_logistics"
    cancel_request = "cancel_request"


class _WireModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CardField(_WireModel):
    label: Text
    value: Text


class CardAction(_WireModel):
    id: ActionId
    label: Text
    style: ActionStyle
    token: Text


class Card(_WireModel):
    card_id: Text
    request_id: Text
    kind: CardKind
    version: Annotated[int, Field(ge=1, strict=True)]
    locale: CardLocale
    audience: CardAudience
    status: CardStatus
    title: Text
    lines: tuple[str, ...]
    fields: tuple[CardField, ...]
    actions: tuple[CardAction, ...]
    fallback_text: Text

    @model_validator(mode="after")
    def _actions_only_when_open(self) -> Card:
        if self.status is not CardStatus.open and self.actions:
            raise ValueError(f"a card whose status is {self.status.value} cannot have actions")
        ids = [action.id for action in self.actions]
        if len(ids) != len(set(ids)):
            raise ValueError("a card cannot offer the same action twice")
        return self
