"""The inbound webhook's wire format (SPEC §3.1) as pydantic models.

The envelope is checked first (400 when wrong), then `data` against the model of its
`type` (422 with one message per field). Ids are short tokens of printable ASCII (no
spaces, no control characters: they travel in HTTP headers and log lines); money arrives
as plain decimal strings of ASCII digits, never floats.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
)

from bot.core.models import LogisticsStatus, Reason, ShippingOption

_ID = re.compile(r"[\x21-\x7e]{1,128}")
_DECIMAL = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,15})?")


def _id_text(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError("must be 1 to 128 printable ASCII characters, without spaces")
    return value


def _decimal_text(value: str) -> str:
    if not _DECIMAL.fullmatch(value):
        raise ValueError(
            'must be a decimal number written as a string of ASCII digits, like "12.50" '
            "(no sign, exponent, spaces or separators)"
        )
    return value


Id = Annotated[StrictStr, Field(min_length=1, max_length=128), AfterValidator(_id_text)]
ShortText = Annotated[StrictStr, Field(max_length=200)]
UnixTime = Annotated[StrictInt, Field(ge=0, le=32503680000)]
Url = Annotated[StrictStr, Field(max_length=2048)]
Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]


DecimalText = Annotated[
    StrictStr, Field(min_length=1, max_length=32), AfterValidator(_decimal_text)
]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Envelope(_Wire):
    type: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    event_id: Id
    shop_id: Id
    timestamp: StrictInt
    data: dict[str, Any]


class ItemIn(_Wire):
    line_id: Id
    quantity: Count


class EvidenceIn(_Wire):
    note: Annotated[StrictStr, Field(max_length=4000)] = ""
    image_urls: Annotated[
        list[Annotated[StrictStr, Field(max_length=2048)]], Field(max_length=20)
    ] = []


class BuyerIn(_Wire):
    id: Id
    locale: Annotated[StrictStr, Field(max_length=35)] = "en"
    timezone: Annotated[StrictStr, Field(max_length=64)] | None = None


class SellerIn(_Wire):
    id: Id
    locale: Annotated[StrictStr, Field(max_length=35)] = "en"
    timezone: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    region: Annotated[StrictStr, Field(pattern=r"^[A-Za-z]{2}$")]


class OrderLineIn(_Wire):
    line_id: Id
    sku: ShortText
    name: Annotated[StrictStr, Field(min_length=1, max_length=500)]
    quantity: Count
    unit_price: DecimalText


class OrderIn(_Wire):
    order_id: Id
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")]
    shipping_option: ShippingOption
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]


class RequestedData(_Wire):
    request_id: Id
    conversation_id: Id
    requested_at: UnixTime
    reason: Reason
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=500)]
    evidence: EvidenceIn = EvidenceIn()
    buyer: BuyerIn
    seller: SellerIn
    order: OrderIn


class SenderIn(_Wire):
    role: Literal["buyer", "seller", "agent"]
    id: Id


class ChatMessageData(_Wire):
    conversation_id: Id
    message_id: Id
    sender: SenderIn
    text: Annotated[StrictStr, Field(max_length=8000)]


class CardActionData(_Wire):
    conversation_id: Id
    card_id: Annotated[StrictStr, Field(min_length=1, max_length=400)]
    action: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    token: Annotated[StrictStr, Field(min_length=1, max_length=2048)]
    actor: SenderIn
    form: dict[str, Annotated[StrictStr, Field(max_length=4000)]] = {}


class LogisticsData(_Wire):
    tracking_number: Id
    carrier: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    status: LogisticsStatus
    description: Annotated[StrictStr, Field(max_length=1000)] = ""
    occurred_at: UnixTime


class CancelledData(_Wire):
    request_id: Id
    cancelled_at: UnixTime


EventData = RequestedData | ChatMessageData | CardActionData | LogisticsData | CancelledData

DATA_MODELS: dict[str, type[EventData]] = {
    "reshipment.requested": RequestedData,
    "chat.message": ChatMessageData,
    "card.action": CardActionData,
    "logistics.updated": LogisticsData,
    "reshipment.cancelled": CancelledData,
}


class FieldProblem(BaseModel):
    field: str
    message: str


def field_problems(error: ValidationError, prefix: str = "") -> list[FieldProblem]:
    """One readable message per invalid field, with a path like `data.items[0].quantity`."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        path = prefix
        for part in item["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        problems.append(FieldProblem(field=path or "(body)", message=item["msg"]))
    return problems


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
