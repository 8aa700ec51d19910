"""Talking to Redis: its failures as reshipbot's errors, its replies as values.

Replies are bytes with the default client and str with `decode_responses=True`; both work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from redis import exceptions as redis_errors

from bot.errors import StorageError, StorageUnavailable
from bot.models import ReshipmentRequest
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


def decode_request(raw: bytes | str | None) -> ReshipmentRequest | None:
    return None if raw is None else ReshipmentRequest.model_validate_json(raw)


def decode_requests(
    fields: Iterable[tuple[bytes | str, bytes | str]],
) -> tuple[ReshipmentRequest, ...]:
    """The requests of a conversation hash (fields `r:<id>`; `v:<id>` are versions)."""
    requests = [
        ReshipmentRequest.model_validate_json(value)
        for field, value in fields
        if text(field).startswith("r:")
    ]
    return order_requests(requests)
