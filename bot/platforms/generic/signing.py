"""HMAC-SHA256 signatures of the wire (SPEC §3.1): lowercase hex over APP_KEY + raw body."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def sign_body(app_key: str, app_secret: str, body: bytes) -> str:
    """The `Authorization` value for `body`, as TikTok Shop computes it for webhooks."""
    message = app_key.encode() + body
    return hmac.new(app_secret.encode(), message, hashlib.sha256).hexdigest()


def verify_body(app_key: str, secrets: Iterable[str], body: bytes, signature: str | None) -> bool:
    """True if `signature` matches `body` under any of `secrets` (rotation).

    Every secret is tried, and each comparison is constant-time, so the answer's timing
    tells nothing about which secret or how many characters matched.
    """
    if not signature:
        return False
    given = signature.strip().lower().encode()
    matched = False
    for secret in secrets:
        expected = sign_body(app_key, secret, body).encode()
        matched |= hmac.compare_digest(expected, given)
    return matched


def bearer_matches(header: str | None, tokens: Iterable[str]) -> bool:
    """True if `header` is `Bearer <one of tokens>` (the scheme in any case, RFC 9110 §11.1).

    Every token is compared, each in constant time; a header that is not ASCII (undecodable
    bytes) holds no token.
    """
    scheme, _, credentials = (header or "").strip().partition(" ")
    given = credentials.strip()
    if scheme.lower() != "bearer" or not given or not given.isascii():
        return False
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(token.encode(), given.encode())
    return matched
