"""Who may see the console: agents holding an agent token.

A browser signs in once with the token (`POST /agent/login`) and then carries a session
cookie: `v1.<issued unix s>.<nonce>.<HMAC-SHA256>` keyed by a key derived from the token
it signed in with — never the token itself. The cookie is HttpOnly, SameSite=Strict,
Path=/agent, Secure over HTTPS, and lives `SESSION_MAX_AGE`; removing a token from
`RESHIPBOT_AGENT_TOKEN` ends its sessions. Scripts may send `Authorization: Bearer
<agent token>` on any console URL instead.

The login form is the only POST that reads a secret: it is protected by a same-origin
check (`Sec-Fetch-Site`, else `Origin`) and a form token that must match a
SameSite=Strict cookie set with the form. Logout has the same two checks; its form token
is derived from the session cookie (`logout_token`), which another site cannot read.

A cookie of any other shape — too long, not ASCII, digits `int()` does not take (`²`) —
is no session: the page asks to sign in, as without a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.runtime.services import SERVICES, Services
from bot.web.agent_api import bearer_ok

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSION_COOKIE = "rb_agent_session"
LOGIN_COOKIE = "rb_agent_login"
COOKIE_PATH = "/agent"
SESSION_MAX_AGE = timedelta(hours=12)
LOGIN_FORM_MAX_AGE = timedelta(hours=1)
CLOCK_SKEW = timedelta(minutes=5)
HOME = "/agent"
LOGIN_PATH = "/agent/login"
_NOT_NEXT = ("/agent/login", "/agent/logout", "/agent/events", "/agent/fragments", "/agent/static")
_KEY_LABEL = b"reshipbot console session v1"
_LOGOUT_LABEL = b"reshipbot console logout v1."
MAX_COOKIE = 200
MAX_ISSUED_DIGITS = 12  # unix seconds until the year 33658

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def security_headers(headers: MutableMapping[str, str], path: str) -> None:
    """On every console answer: no inline script or style, no framing, no sniffing, no
    referrer, and nothing with personal data kept in a cache."""
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cache-Control"] = "no-cache" if path.startswith("/agent/static/") else "no-store"


def _mac(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


class Sessions:
    """Issues and checks session cookie values for the configured agent tokens."""

    def __init__(self, tokens: list[str]) -> None:
        self._tokens = [token.encode() for token in tokens]
        self._keys = [
            hmac.new(token, _KEY_LABEL, hashlib.sha256).digest() for token in self._tokens
        ]

    def token_index(self, given: str) -> int | None:
        """Which configured token `given` is (every one compared, in constant time)."""
        found = None
        candidate = given.encode()
        for index, token in enumerate(self._tokens):
            if hmac.compare_digest(token, candidate) and found is None:
                found = index
        return found

    def issue(self, token_index: int, now: datetime) -> str:
        payload = f"v1.{int(now.timestamp())}.{secrets.token_hex(8)}"
        return f"{payload}.{_mac(self._keys[token_index], payload)}"

    def valid(self, value: str | None, now: datetime) -> bool:
        """Whether `value` is a live session cookie; False (never an error) for any text."""
        if not value or len(value) > MAX_COOKIE or not value.isascii():
            return False
        parts = value.split(".")
        if len(parts) != 4 or parts[0] != "v1" or not _unix_seconds(parts[1]):
            return False
        issued = int(parts[1])
        age = now.timestamp() - issued
        if age > SESSION_MAX_AGE.total_seconds() or age < -CLOCK_SKEW.total_seconds():
            return False
        payload, mac = ".".join(parts[:3]), parts[3]
        matched = False
        for key in self._keys:
            matched |= hmac.compare_digest(_mac(key, payload), mac)
        return matched


def _unix_seconds(text: str) -> bool:
    """ASCII digits only: `²` is a digit to `str.isdigit()` but `int()` refuses it."""
    return 0 < len(text) <= MAX_ISSUED_DIGITS and text.isascii() and text.isdigit()


SESSIONS = web.AppKey("reshipbot_console_sessions", Sessions)


def signed_in(request: web.Request) -> bool:
    services: Services = request.config_dict[SERVICES]
    if bearer_ok(services, request.headers.get("Authorization")):
        return True
    return has_session(request)


def has_session(request: web.Request) -> bool:
    """A live session cookie (a bearer token is not one)."""
    services: Services = request.config_dict[SERVICES]
    sessions = request.config_dict[SESSIONS]
    return sessions.valid(request.cookies.get(SESSION_COOKIE), services.clock.now())


def logout_token(request: web.Request) -> str:
    """The sign-out form's token: a digest of the session cookie ("" without one).

    Another site can neither read the cookie (HttpOnly, SameSite=Strict) nor this page,
    so it cannot fill in the token.
    """
    session = request.cookies.get(SESSION_COOKIE, "")
    if not has_session(request):
        return ""
    return hashlib.sha256(_LOGOUT_LABEL + session.encode()).hexdigest()


def logout_token_ok(request: web.Request, given: str) -> bool:
    expected = logout_token(request)
    if not (expected and given.isascii()):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def safe_next(value: str | None) -> str:
    """A console path to go to after signing in; anything else (another site) is HOME."""
    if not value or len(value) > 2000 or "\\" in value:
        return HOME
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in value):
        return HOME
    parts = urlsplit(value)
    if (
        parts.scheme
        or parts.netloc
        or not (parts.path == HOME or parts.path.startswith(HOME + "/"))
    ):
        return HOME
    if parts.path.startswith(_NOT_NEXT):
        return HOME
    return value


def login_url(next_path: str) -> str:
    return f"{LOGIN_PATH}?next={quote(next_path, safe='')}"


def agent_page(handler: Handler) -> Handler:
    """A page: without a session or bearer token, 303 to the login form (and back)."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if not signed_in(request):
            raise web.HTTPSeeOther(login_url(safe_next(request.raw_path)))
        return await handler(request)

    return guarded


def agent_data(handler: Handler) -> Handler:
    """A fragment or the event stream: 401 without a session (the page then reloads)."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        if not signed_in(request):
            return web.Response(status=401, text="sign in at /agent/login\n")
        return await handler(request)

    return guarded


def same_origin(request: web.Request) -> bool:
    """A form post from this site's own pages, not another site's form.

    `Sec-Fetch-Site` when the browser sends it; else `Origin` — except `null`, which a
    browser sends for its own page's post under `Referrer-Policy: no-referrer`. Without
    either signal (an old browser, a script) the form token alone decides.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        return urlsplit(origin).netloc == request.host
    return True


def _set_private_cookie(
    response: web.StreamResponse,
    request: web.Request,
    name: str,
    value: str,
    max_age: timedelta,
    path: str,
) -> None:
    """HttpOnly, SameSite=Strict, and Secure whenever the console is served over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=int(max_age.total_seconds()),
        path=path,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def set_session(response: web.StreamResponse, request: web.Request, value: str) -> None:
    _set_private_cookie(response, request, SESSION_COOKIE, value, SESSION_MAX_AGE, COOKIE_PATH)


def set_form_token(response: web.StreamResponse, request: web.Request, token: str) -> None:
    """The login form's token, in a cookie the form's post must match."""
    _set_private_cookie(response, request, LOGIN_COOKIE, token, LOGIN_FORM_MAX_AGE, LOGIN_PATH)


def form_token_ok(request: web.Request, given: str) -> bool:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not (expected and expected.isascii() and given.isascii()):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def end_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path=COOKIE_PATH)


def end_form_token(response: web.StreamResponse) -> None:
    response.del_cookie(LOGIN_COOKIE, path=LOGIN_PATH)
