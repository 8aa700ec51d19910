"""The bodies the platform API accepts (SPEC §3.2, the Card of §2.2), as the sandbox checks them.

Unknown fields are ignored, as a real API would; missing or mistyped ones are a 422.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot.core.money import MoneyError, minor_digits

Id = Annotated[StrictStr, Field(min_length=1, max_length=256)]
Text = Annotated[StrictStr, Field(max_length=10_000)]
ShippingOptionIn = Literal["platform", "seller"]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CardFieldIn(_In):
    label: Text
    value: Text


class CardActionIn(_In):
    id: Id
    label: Text
    style: Literal["primary", "secondary", "danger"]
    token: Annotated[StrictStr, Field(min_length=1, max_length=4096)]


class CardIn(_In):
    card_id: Id
    request_id: Id
    kind: Literal["request", "offer", "shipment", "outcome"]
    version: Annotated[StrictInt, Field(ge=1)]
    locale: Annotated[StrictStr, Field(min_length=2, max_length=35)]
    audience: Literal["buyer", "seller", "both"]
    status: Literal["open", "accepted", "declined", "expired", "closed"]
    title: Text
    lines: list[Text]
    fields: list[CardFieldIn]
    actions: list[CardActionIn]
    fallback_text: Text


class TextMessageIn(_In):
    type: Literal["text"]
    text: Annotated[StrictStr, Field(min_length=1, max_length=10_000)]


class CardMessageIn(_In):
    type: Literal["card"]
    card: CardIn


class MessageIn(_In):
    conversation_id: Id
    audience: Literal["buyer", "seller", "both"]
    message: Annotated[TextMessageIn | CardMessageIn, Field(discriminator="type")]


class CardUpdateIn(_In):
    conversation_id: Id
    card: CardIn


class RefundIn(_In):
    request_id: Id
    order_id: Id
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]  # before amount: it checks
    amount: Annotated[StrictStr, Field(min_length=1, max_length=32)]
    kind: Literal["full", "partial"]

    @field_validator("amount")
    @classmethod
    def _amount_fits_currency(cls, amount: str, info: ValidationInfo) -> str:
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise ValueError('must be a decimal string like "12.50"') from None
        if not value.is_finite() or value <= 0:
            raise ValueError("must be above zero")
        currency = info.data.get("currency")
        if currency is None:  # the currency itself is wrong and reported
            return amount
        try:
            digits = minor_digits(currency)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > digits:
            raise ValueError(f"{currency} amounts have at most {digits} decimal digits")
        return amount


class LineIn(_In):
    line_id: Id
    quantity: Annotated[StrictInt, Field(ge=1)]


class ReplacementOrderIn(_In):
    request_id: Id
    order_id: Id
    lines: Annotated[list[LineIn], Field(min_length=1)]
    shipping_option: ShippingOptionIn
    shipping_fee_paid_by: Literal["seller"]
    ship_by: AwareDatetime


class ShipmentIn(_In):
    request_id: Id
    replacement_order_id: Id
    shipping_option: ShippingOptionIn
    carrier: Annotated[StrictStr, Field(min_length=1, max_length=128)] | None = None
    tracking_number: Annotated[StrictStr, Field(min_length=1, max_length=128)] | None = None


def describe(exc: ValidationError) -> str:
    """A short message naming the first bad field (never the value sent)."""
    errors = exc.errors(include_input=False, include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
