"""The per-conversation log of chat messages the bot delivered, and change notices.

Both backends keep, per conversation, the last `MESSAGE_LOG_SIZE` chat messages the
outbox delivered (or gave up on), written in the same atomic step that acknowledges (or
dead-letters) the entry. Only new chat messages are logged — texts and new cards, not
the in-place updates of a card — as a positional JSON array: a text cut to
`MESSAGE_TEXT_MAX` characters, a card as its id, version and status only (not its
title, lines or action tokens; the console renders a request's cards itself). The log
is for agents to see what a buyer or seller was told, and it must stay small in Redis
(SPEC §6: about 60 bytes a card entry, up to ~200 a text).

A `Change` travels between processes as compact JSON on the changes channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import orjson

from bot.core.effects import EffectKind
from storage.base import Change, OutboxEntry, SentMessage
from storage.codec import from_ms

MESSAGE_LOG_SIZE = 100  # entries kept per conversation
MESSAGE_LOG_TTL = timedelta(days=30)  # a log nobody wrote to for this long is dropped
MESSAGE_TEXT_MAX = 160  # characters of a text kept in the log (most texts fit whole)
MESSAGE_ERROR_MAX = 200


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _card_message(entry: OutboxEntry) -> dict[str, Any] | None:
    """A new card as its reader saw it: rendered at delivery (`payload["card"]`), or
    only named when it never got that far."""
    payload = entry.payload
    card = payload.get("card")
    card = card if isinstance(card, Mapping) else {}
    card_id = card.get("card_id", payload.get("card_id"))
    version = card.get("version", payload.get("version"))
    if not isinstance(card_id, str) or not isinstance(version, int):
        return None
    return {
        "kind": "card",
        "audience": str(payload.get("audience") or card.get("audience") or ""),
        "text": _cut(str(card.get("title") or ""), MESSAGE_TEXT_MAX),
        "card_id": card_id,
        "card_version": version,
        "card_status": str(card.get("status") or "") or None,
    }


def _chat_fields(entry: OutboxEntry) -> dict[str, Any] | None:
    """What the log keeps of a chat message; None for any other effect."""
    if entry.effect is EffectKind.text:
        text = entry.payload.get("text")
        return {
            "kind": "text",
            "audience": str(entry.payload.get("audience") or ""),
            "text": _cut(text if isinstance(text, str) else "", MESSAGE_TEXT_MAX),
        }
    if entry.effect is EffectKind.card:
        return _card_message(entry)
    # A card update edits a message already logged: not a new message, not logged.
    return None


def message_record(
    entry: OutboxEntry, at: datetime, *, delivered: bool = True, error: str | None = None
) -> SentMessage | None:
    """The log entry for a delivered (or dead) outbox entry; None if it is not chat."""
    fields = _chat_fields(entry)
    if fields is None:
        return None
    cut_error = None if error is None else _cut(error, MESSAGE_ERROR_MAX)
    return SentMessage(
        at=at, request_id=entry.request_id, delivered=delivered, error=cut_error, **fields
    )


_AUDIENCES = {"buyer": "b", "seller": "s", "both": "*"}
_KINDS = {"text": "t", "card": "c", "card_update": "u"}
_AUDIENCE_NAMES = {code: name for name, code in _AUDIENCES.items()}
_KIND_NAMES = {code: name for name, code in _KINDS.items()}


def encode_message(message: SentMessage) -> bytes:
    """`[unix s, request id, audience, kind, text, card id, version, status, error]`,
    trailing empties left out; a card's text (its title) is not kept, nor its request id
    when the card id starts with it."""
    is_card = message.kind != "text"
    card_id = message.card_id or ""
    request_id = message.request_id or ""
    if is_card and request_id and card_id.startswith(request_id + "."):
        request_id = ""  # the card id says it
    row: list[Any] = [
        int(message.at.timestamp()),
        request_id,
        _AUDIENCES.get(message.audience, message.audience),
        _KINDS.get(message.kind, message.kind),
        "" if is_card else message.text,
        message.card_id or "",
        message.card_version or 0,
        message.card_status or "",
        "" if message.delivered else (message.error or "not delivered"),
    ]
    while row[-1] in ("", 0):
        row.pop()
    return orjson.dumps(row)


def decode_message(raw: bytes | str) -> SentMessage:
    row = orjson.loads(raw)
    row += [""] * (9 - len(row))
    at, request_id, audience, kind, text, card_id, version, status, error = row
    if not request_id and card_id.count(".") >= 2:
        request_id = card_id.rsplit(".", 2)[0]  # `REQUEST_ID.KIND.AUDIENCE`
    return SentMessage(
        at=from_ms(int(at) * 1000),
        request_id=request_id or None,
        audience=_AUDIENCE_NAMES.get(audience, audience),
        kind=_KIND_NAMES.get(kind, kind),
        text=text,
        card_id=card_id or None,
        card_version=version or None,
        card_status=status or None,
        delivered=not error,
        error=error or None,
    )


def message_change(entry: OutboxEntry) -> Change:
    return Change("message", entry.conversation_id, entry.request_id)


def encode_change(change: Change) -> bytes:
    data: dict[str, Any] = {"k": change.kind, "c": change.conversation_id}
    if change.request_id is not None:
        data["r"] = change.request_id
    if change.kind == "request":
        data["v"] = change.version
        data["s"] = change.status
    return orjson.dumps(data)


def decode_change(raw: bytes | str) -> Change | None:
    """The notice, or None if the payload is not one (another publisher on the channel)."""
    try:
        data = orjson.loads(raw)
        kind = data["k"]
        if kind not in ("request", "message"):
            return None
        return Change(
            kind=kind,
            conversation_id=str(data["c"]),
            request_id=data.get("r"),
            version=int(data.get("v", 0)),
            status=data.get("s"),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
