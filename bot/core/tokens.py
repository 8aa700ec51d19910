"""Signed card action tokens (SPEC §2.2).

A token binds request, card, card version, action and the actor allowed to use it.
Format: `v1.<base64url payload>.<base64url HMAC-SHA256>`; opaque to everybody else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import orjson

_PREFIX = "v1"


@dataclass(frozen=True)
class TokenClaims:
    request_id: str
    card_id: str
    version: int
    action: str
    role: str
    actor_id: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key(secret: str) -> bytes:
    if not secret:
        raise ValueError("the token secret must not be empty")
    return hashlib.sha256(b"reshipbot card tokens\x00" + secret.encode()).digest()


def _mac(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


class TokenSigner:
    """Signs with the first secret; verifies with any of them (rotation)."""

    def __init__(self, *secrets: str) -> None:
        if not secrets:
            raise ValueError("at least one token secret is needed")
        self._keys = [_key(secret) for secret in secrets]

    def sign(self, claims: TokenClaims) -> str:
        payload = _b64(
            orjson.dumps(
                [
                    claims.request_id,
                    claims.card_id,
                    claims.version,
                    claims.action,
                    claims.role,
                    claims.actor_id,
                ]
            )
        )
        return f"{_PREFIX}.{payload}.{_mac(self._keys[0], payload)}"

    def verify(self, token: str) -> TokenClaims | None:
        """The claims of a token this bot signed, or None for anything else."""
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 3 or parts[0] != _PREFIX or len(token) > 2048:
            return None
        payload, mac = parts[1], parts[2]
        matched = False
        for key in self._keys:
            matched |= hmac.compare_digest(_mac(key, payload).encode(), mac.encode())
        if not matched:
            return None
        try:
            values = orjson.loads(_unb64(payload))
        except (ValueError, orjson.JSONDecodeError):
            return None
        if not (isinstance(values, list) and len(values) == 6):
            return None
        request_id, card_id, version, action, role, actor_id = values
        if not isinstance(version, int) or not all(
            isinstance(v, str) for v in (request_id, card_id, action, role, actor_id)
        ):
            return None
        return TokenClaims(request_id, card_id, version, action, role, actor_id)
