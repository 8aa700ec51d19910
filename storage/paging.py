"""The agents' queue: requests ordered by nearest deadline, paged with an opaque cursor.

A request's place is its *position* (queue score, queue member): the deadline in epoch
ms (terminal or none: last), then `"<request_id> <conversation_id>"`, so requests with
the same deadline keep a stable order by request id. A cursor is the position of the
last request of a page; the next page starts strictly after it, so no request is seen
twice or skipped when the queue does not change in between.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

import orjson

from bot.core.models import ReshipmentRequest
from storage.base import RequestFilter, RequestPage

Position = tuple[int, str]


def encode_cursor(position: Position) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(position))).decode()


def decode_cursor(cursor: str) -> Position:
    """The position after which the next page starts; ValueError if it is not a cursor."""
    try:
        score, member = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError("not a cursor of this store") from exc
    if not isinstance(score, int) or not isinstance(member, str):
        raise ValueError("not a cursor of this store")
    return score, member


def check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError("a page holds at least one request")


class PageBuilder:
    """Collects matching requests in queue order until it knows whether a next page exists."""

    def __init__(self, where: RequestFilter, limit: int) -> None:
        check_limit(limit)
        self._where = where
        self._limit = limit
        self._found: list[tuple[Position, ReshipmentRequest]] = []

    @property
    def full(self) -> bool:
        """One match beyond the page is found: there is a next page."""
        return len(self._found) > self._limit

    def offer(self, position: Position, request: ReshipmentRequest | None) -> None:
        if request is not None and not self.full and self._where.matches(request):
            self._found.append((position, request))

    def page(self) -> RequestPage:
        items = self._found[: self._limit]
        next_cursor = encode_cursor(items[-1][0]) if self.full else None
        return RequestPage(items=tuple(request for _, request in items), next_cursor=next_cursor)


def paginate(
    candidates: Iterable[tuple[Position, ReshipmentRequest]],
    where: RequestFilter,
    limit: int,
    cursor: str | None,
) -> RequestPage:
    """A page out of candidates already known in full (any order)."""
    after = decode_cursor(cursor) if cursor is not None else None
    builder = PageBuilder(where, limit)
    for position, request in sorted(candidates, key=lambda candidate: candidate[0]):
        if after is None or position > after:
            builder.offer(position, request)
            if builder.full:
                break
    return builder.page()
