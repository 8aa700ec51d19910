"""Talking to Redis: its failures as reshipbot's errors, its replies as values.

Replies are bytes with the default client and str with `decode_responses=True`; both work.
"""

from __future__ import annotations

import base64
import contextlib
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from redis import exceptions as redis_errors

from bot.core.errors import StorageError, StorageUnavailable
from bot.core.models import ReshipmentRequest
from storage.codec import order_requests


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Redis down, refusing or slow: `StorageUnavailable` (a 503); other faults: `StorageError`."""
    try:
        yield
    except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError) as exc:
        raise StorageUnavailable(f"Redis unavailable: {exc}") from exc
    except redis_errors.RedisError as exc:
        raise StorageError(f"Redis error: {exc}") from exc


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


DEFLATED = b"z:"


def encode_request(request: ReshipmentRequest) -> bytes:
    """A request as Redis keeps it: `z:` and its JSON deflated, in base64 (less than
    half the size, ~15 µs).

    Nothing in Redis reads a request's fields (the scripts store it whole), so it can be
    compressed (level 6: a tenth smaller than 1, for ~5 µs more); it is most of the
    memory an open request costs (SPEC §6: ≤ 4 KB). Base64
    keeps the value text, for clients that decode replies.
    """
    return DEFLATED + base64.b64encode(zlib.compress(request.model_dump_json().encode(), 6))


def _document(raw: bytes | str) -> bytes | str:
    """The JSON of a stored request, deflated or (as once stored) plain."""
    data = raw.encode() if isinstance(raw, str) else raw
    if data.startswith(DEFLATED):
        return zlib.decompress(base64.b64decode(data[len(DEFLATED) :]))
    return raw


def decode_request(raw: bytes | str | None) -> ReshipmentRequest | None:
    return None if raw is None else ReshipmentRequest.model_validate_json(_document(raw))


class Lru(OrderedDict[str, Any]):
    """A bounded mapping that forgets the least recently used entries."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)

    def recall(self, key: str) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value


class DecodedRequests:
    """Requests already decoded, by id and version: a version's content never changes.

    Decoding a stored request is most of the cost of a read; the process that committed
    a version (or read it before) keeps the object and skips the JSON next time.
    """

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._known: OrderedDict[str, tuple[int, ReshipmentRequest]] = OrderedDict()

    def remember(self, request: ReshipmentRequest) -> None:
        self._known[request.request_id] = (request.version, request)
        self._known.move_to_end(request.request_id)
        if len(self._known) > self._size:
            self._known.popitem(last=False)

    def decode(
        self, fields: Iterable[tuple[bytes | str, bytes | str]]
    ) -> tuple[ReshipmentRequest, ...]:
        """The requests of a conversation hash (fields `r:<id>`; `v:<id>` are versions)."""
        documents: dict[str, bytes | str] = {}
        versions: dict[str, int] = {}
        for field, value in fields:
            name = text(field)
            if name.startswith("r:"):
                documents[name[2:]] = value
            elif name.startswith("v:"):
                versions[name[2:]] = int(value)
        requests = []
        for request_id, document in documents.items():
            known = self._known.get(request_id)
            if known is not None and known[0] == versions.get(request_id):
                requests.append(known[1])
                continue
            request = ReshipmentRequest.model_validate_json(_document(document))
            self.remember(request)
            requests.append(request)
        return order_requests(requests)
