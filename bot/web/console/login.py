"""`GET /agent/login` (the form), `POST /agent/login` (token in, session cookie out),
`POST /agent/logout`. The rules are in `bot.web.console.auth`."""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.web.console.auth import (
    LOGIN_PATH,
    SESSIONS,
    end_form_token,
    end_session,
    form_token_ok,
    has_session,
    logout_token_ok,
    safe_next,
    same_origin,
    set_form_token,
    set_session,
    signed_in,
)
from bot.web.console.pages import render, services_of

MAX_FORM_BYTES = 8192


def _form(request: web.Request, next_path: str, error: str = "", status: int = 200) -> web.Response:
    token = secrets.token_urlsafe(24)
    context = {"next_path": next_path, "error": error, "form_token": token}
    response = render(request, "login.html", context, status)
    set_form_token(response, request, token)
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    next_path = safe_next(request.query.get("next"))
    if signed_in(request):
        raise web.HTTPSeeOther(next_path)
    return _form(request, next_path)


async def login(request: web.Request) -> web.StreamResponse:
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        return web.Response(status=413, text="the sign-in form is at most 8 KiB\n")
    form = await request.post()
    next_path = safe_next(str(form.get("next", "")))
    if not same_origin(request) or not form_token_ok(request, str(form.get("form_token", ""))):
        return _form(request, next_path, "The sign-in form expired. Please try again.", 403)
    sessions = request.config_dict[SESSIONS]
    index = sessions.token_index(str(form.get("token", "")))
    if index is None:
        return _form(request, next_path, "That is not an agent token.", 401)
    response = web.HTTPSeeOther(next_path)
    set_session(response, request, sessions.issue(index, services_of(request).clock.now()))
    end_form_token(response)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """Ends the session, with the sign-in's checks: this site's page, and its form token.

    Without a live session there is nothing to end: on to the login form.
    """
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        return web.Response(status=413, text="the sign-out form is at most 8 KiB\n")
    if has_session(request):
        form = await request.post()
        given = str(form.get("form_token", ""))
        if not same_origin(request) or not logout_token_ok(request, given):
            return web.Response(status=403, text="sign out from the console's own page\n")
    response = web.HTTPSeeOther(LOGIN_PATH)
    end_session(response)
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
