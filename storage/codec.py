"""How stored values are written: epoch milliseconds, outbox entries, dead letters.

Both backends use these, so an entry read back from either store is the same value
(the body as a JSON object, datetimes as aware UTC datetimes, times cut to milliseconds
where they become sorted-set scores).
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from bot.core.effects import EffectKind
from bot.core.models import ReshipmentRequest
from storage.base import Commit, DeadLetter, OutboxEntry
from storage.keys import NO_DEADLINE_MS

DEFAULT_EVENT_TTL = timedelta(hours=72)  # how long a processed event is remembered
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
_sequence = itertools.count()


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (exact, no float rounding)."""
    return (moment - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    return EPOCH + ms * _MS


def duration_ms(delta: timedelta) -> int:
    return delta // _MS


class _Process:
    """This process's random mark, drawn again in a forked child."""

    pid = 0
    mark = ""

    @classmethod
    def current(cls) -> str:
        if cls.pid != os.getpid():
            cls.pid, cls.mark = os.getpid(), secrets.token_hex(4)
        return cls.mark


def new_entry_id(now: datetime) -> str:
    """An outbox entry id that sorts in creation order (ms, then a per-process counter).

    The process's random mark makes ids from different processes distinct without
    asking the system for randomness on every entry.
    """
    sequence = next(_sequence) % 1_000_000
    return f"{to_ms(now):013d}-{sequence:06d}-{_Process.current()}"


def queue_score(request: ReshipmentRequest, queue_at: datetime | None) -> int:
    """Place in the agents' queue: the nearest deadline; terminal or none sorts last."""
    if queue_at is None or request.status.terminal:
        return NO_DEADLINE_MS
    return to_ms(queue_at)


def order_requests(requests: Iterable[ReshipmentRequest]) -> tuple[ReshipmentRequest, ...]:
    """A conversation's requests as both stores list them: oldest first."""
    return tuple(sorted(requests, key=lambda request: (request.created_at, request.request_id)))


def check_commit(commit: Commit) -> None:
    """Programming errors that would break the compare-and-set or the bucket layout."""
    request = commit.request
    if request is None:
        return
    if request.conversation_id != commit.conversation_id:
        raise ValueError("the request belongs to another conversation than the commit")
    if request.version <= commit.expected_version:
        raise ValueError("a committed request must carry a version above expected_version")
    for entry in commit.outbox:
        if entry.conversation_id != commit.conversation_id:
            raise ValueError("an outbox entry belongs to another conversation than the commit")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in an outbox entry")


def _entry_dict(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "conversation_id": entry.conversation_id,
        "request_id": entry.request_id,
        "effect": entry.effect.value,
        "payload": dict(entry.payload),
        "idempotency_key": entry.idempotency_key,
        "created_at": entry.created_at,
        "attempts": entry.attempts,
        "last_error": entry.last_error,
    }


def _entry_from(data: dict[str, Any]) -> OutboxEntry:
    if "effect" in data:
        effect, payload = EffectKind(data["effect"]), data["payload"]
    else:
        effect, payload = _from_platform_call(data)
    return OutboxEntry(
        entry_id=data["entry_id"],
        conversation_id=data["conversation_id"],
        request_id=data["request_id"],
        effect=effect,
        payload=payload,
        idempotency_key=data["idempotency_key"],
        created_at=datetime.fromisoformat(data["created_at"]),
        attempts=data["attempts"],
        last_error=data["last_error"],
    )


_RESULT_PATHS = {
    "/v1/refunds": EffectKind.refund,
    "/v1/replacement-orders": EffectKind.replacement_order,
    "/v1/shipments": EffectKind.shipment,
}


def _from_platform_call(data: dict[str, Any]) -> tuple[EffectKind, dict[str, Any]]:
    """An entry stored by an earlier version as a generic platform call, read as the
    effect it stands for (an upgrade loses no entry waiting in the outbox)."""
    body: dict[str, Any] = dict(data["body"])
    if data["path"] in _RESULT_PATHS:
        body.pop("request_id", None)
        body.pop("shipping_fee_paid_by", None)
        return _RESULT_PATHS[data["path"]], body
    message = body.get("message") or {}
    card = body.get("card") or message.get("card")
    kind = EffectKind.card_update if data["method"] == "PUT" else EffectKind.card
    if isinstance(card, dict):
        shown = {"card_id": card.get("card_id"), "version": card.get("version")}
        return kind, shown | {"audience": card.get("audience"), "card": card}
    if data.get("render") == "card":
        return kind, {key: body.get(key) for key in ("card_id", "version", "audience")}
    return EffectKind.text, {"audience": body.get("audience"), "text": message.get("text", "")}


def encode_entry(entry: OutboxEntry) -> bytes:
    return orjson.dumps(_entry_dict(entry), default=_default)


def decode_entry(raw: bytes | str) -> OutboxEntry:
    return _entry_from(orjson.loads(raw))


def encode_dead_letter(dead: DeadLetter) -> bytes:
    data = {"entry": _entry_dict(dead.entry), "error": dead.error, "failed_at": dead.failed_at}
    return orjson.dumps(data, default=_default)


def decode_dead_letter(raw: bytes | str) -> DeadLetter:
    data = orjson.loads(raw)
    return DeadLetter(
        entry=_entry_from(data["entry"]),
        error=data["error"],
        failed_at=datetime.fromisoformat(data["failed_at"]),
    )


def failed_attempt(entry: OutboxEntry, error: str) -> OutboxEntry:
    """The entry after one more failed delivery."""
    return replace(entry, attempts=entry.attempts + 1, last_error=error)


def copy_entry(entry: OutboxEntry) -> OutboxEntry:
    """The entry as a store gives it back (what Redis returns after a round trip)."""
    return decode_entry(encode_entry(entry))
