"""What a decision returns: the new request, the effects, and a refusal when refused."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.core.effects import Effect, Money, ParamValue
from bot.core.messages import MESSAGES
from bot.core.models import ReshipmentRequest, TrackingEvent


@dataclass(frozen=True)
class Refusal:
    """Why a command was not allowed: a stable code and the parameters of its message."""

    code: str
    params: dict[str, ParamValue] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        return f"refused_{self.code}"

    @property
    def message(self) -> str:
        """The message in English, for logs, tests and HTTP answers."""
        template = MESSAGES.get(self.message_id)
        if template is None:
            return self.code.replace("_", " ")
        return template.format_map(_PlainParams(self.params))


def refusal(code: str, /, **params: ParamValue) -> Refusal:
    return Refusal(code, dict(params))


@dataclass(frozen=True)
class Outcome:
    request: ReshipmentRequest | None
    effects: tuple[Effect, ...] = ()
    refusal: Refusal | None = None

    @property
    def changed(self) -> bool:
        return self.request is not None


NOTHING = Outcome(None)


def plain(value: ParamValue) -> str:
    """A parameter in plain English form (ISO moments, `12.50 USD`), for logs and tests."""
    if isinstance(value, Money):
        return f"{value.amount} {value.currency}"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, tuple):
        return ", ".join(
            f"{item.status.value} {item.description}" if isinstance(item, TrackingEvent) else item
            for item in value
        )
    return str(value)


class _PlainParams(dict[str, str]):
    def __init__(self, params: dict[str, ParamValue]) -> None:
        super().__init__({key: plain(value) for key, value in params.items()})

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
