"""Who gets in: the login form and its session cookie, bearer tokens, and nothing else."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.web.console.auth import SESSION_COOKIE, Sessions, safe_next
from tests.console.conftest import MakeBot
from tests.console.support import Agent
from tests.e2e.harness import AGENT_TOKEN, BotHarness

PAGES = [
    "/agent",
    "/agent?status=all&q=RQ-1",
    "/agent/requests/RQ-1",
    "/agent/conversations/conv-1",
    "/agent/deliveries",
]
DATA = [
    "/agent/fragments/queue",
    "/agent/fragments/requests/RQ-1",
    "/agent/fragments/conversations/conv-1",
    "/agent/fragments/deliveries",
    "/agent/events",
]


def login_next(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/agent/login", location
    return parse_qs(parts.query)["next"][0]


async def test_pages_without_a_session_redirect_to_login_and_back(
    bot: BotHarness, agent: Agent
) -> None:
    await bot.requested()
    for path in PAGES:
        answer = await agent.get(path)
        assert answer.status == 303, path
        assert login_next(answer.headers["Location"]) == path

    signed = await agent.sign_in(next_path="/agent/requests/RQ-1")
    assert signed.status == 303
    assert signed.headers["Location"] == "/agent/requests/RQ-1"
    for path in PAGES:
        assert (await agent.get(path)).status == 200, path


async def test_fragments_and_the_event_stream_answer_401_without_a_session(
    bot: BotHarness, agent: Agent
) -> None:
    await bot.requested()
    for path in DATA:
        answer = await agent.get(path)
        assert answer.status == 401, path
        assert "/agent/login" in answer.text


async def test_the_session_cookie_is_httponly_strict_scoped_and_not_the_token(
    bot: BotHarness, agent: Agent
) -> None:
    answer = await agent.sign_in()
    [cookie] = [c for c in answer.headers.getall("Set-Cookie") if c.startswith(SESSION_COOKIE)]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= attributes
    assert "SameSite=Strict" in cookie and "Path=/agent;" in cookie + ";"
    value = agent.cookie(SESSION_COOKIE)
    assert value and AGENT_TOKEN not in value and AGENT_TOKEN not in cookie
    assert re.fullmatch(r"v1\.\d+\.[0-9a-f]{16}\.[0-9a-f]{64}", value)


async def test_a_wrong_token_gets_the_form_again_with_401(bot: BotHarness, agent: Agent) -> None:
    for wrong in ("", "nope", AGENT_TOKEN + "x", AGENT_TOKEN[:-1], AGENT_TOKEN.upper()):
        answer = await agent.sign_in(token=wrong)
        assert answer.status == 401, wrong
        assert "That is not an agent token." in answer.text
        assert 'name="token"' in answer.text
        assert agent.cookie(SESSION_COOKIE) is None
    assert (await agent.get("/agent")).status == 303


async def test_bearer_tokens_open_pages_fragments_and_the_api(
    bot: BotHarness, agent: Agent
) -> None:
    await bot.requested()
    for path in [*PAGES, *DATA[:-1]]:
        assert (await agent.get(path, bearer=AGENT_TOKEN)).status == 200, path
        assert (await agent.get(path, bearer="wrong")).status in (303, 401), path
    assert (await agent.get("/api/requests/RQ-1", bearer=AGENT_TOKEN)).status == 200


async def test_the_api_still_wants_a_bearer_token_even_with_a_console_session(
    bot: BotHarness, agent: Agent
) -> None:
    await bot.requested()
    await agent.sign_in()
    session = agent.cookie(SESSION_COOKIE)
    assert (await agent.get("/agent/requests/RQ-1")).status == 200
    for path in ("/api/requests/RQ-1", "/api/requests", "/api/deliveries?state=dead"):
        answer = await agent.get(path, Cookie=f"{SESSION_COOKIE}={session}")
        assert answer.status == 401, path
        assert '"unauthorized"' in answer.text


async def test_logout_ends_the_session(bot: BotHarness, agent: Agent) -> None:
    await agent.sign_in()
    assert (await agent.get("/agent")).status == 200
    answer = await agent.post("/agent/logout", {"form_token": await agent.form_token("/agent")})
    assert answer.status == 303 and answer.headers["Location"] == "/agent/login"
    assert agent.cookie(SESSION_COOKIE) in (None, "")
    assert (await agent.get("/agent")).status == 303


async def test_login_refuses_another_sites_form(bot: BotHarness, agent: Agent) -> None:
    form_token = await agent.form_token()
    form = {"token": AGENT_TOKEN, "next": "/agent", "form_token": form_token}
    cross_site = await agent.post("/agent/login", form, origin="https://evil.example")
    assert cross_site.status == 403
    fetch_site = await agent.post(
        "/agent/login", form, origin=None, **{"Sec-Fetch-Site": "cross-site"}
    )
    assert fetch_site.status == 403
    assert agent.cookie(SESSION_COOKIE) is None
    # a browser under Referrer-Policy: no-referrer sends Origin: null for its own form
    own = await agent.post(
        "/agent/login",
        {**form, "form_token": await agent.form_token()},
        origin="null",
        **{"Sec-Fetch-Site": "same-origin"},
    )
    assert own.status == 303


async def test_login_needs_the_forms_own_token(bot: BotHarness, agent: Agent) -> None:
    await agent.form_token()
    for token in ("", "forged-token"):
        form = {"token": AGENT_TOKEN, "next": "/agent", "form_token": token}
        answer = await agent.post("/agent/login", form)
        assert answer.status == 403, token
        assert "expired" in answer.text
    assert agent.cookie(SESSION_COOKIE) is None


async def test_logout_refuses_another_sites_form(bot: BotHarness, agent: Agent) -> None:
    await agent.sign_in()
    form = {"form_token": await agent.form_token("/agent")}
    answer = await agent.post("/agent/logout", form, origin="https://evil.example")
    assert answer.status == 403
    assert (await agent.get("/agent")).status == 200


async def test_logout_needs_the_pages_form_token_whatever_the_origin_says(
    bot: BotHarness, agent: Agent
) -> None:
    """Regression: `Origin: null` without `Sec-Fetch-Site` (another site's form under
    no-referrer, or a sandboxed frame) signed the agent out: logout had no form token."""
    await agent.sign_in()
    own_token = await agent.form_token("/agent")
    for origin, headers, form in (
        ("null", {}, {}),
        ("null", {}, {"form_token": ""}),
        ("null", {}, {"form_token": "0" * 64}),
        (None, {}, {}),
        ("null", {"Sec-Fetch-Site": "same-origin"}, {"form_token": "forged"}),
        ("null", {"Sec-Fetch-Site": "cross-site"}, {"form_token": own_token}),
    ):
        answer = await agent.post("/agent/logout", form, origin=origin, **headers)
        assert answer.status == 403, (origin, headers, form)
        assert agent.cookie(SESSION_COOKIE), "the session cookie was not touched"
        assert (await agent.get("/agent")).status == 200, "still signed in"
    # the console's own sign-out button: the browser sends Origin: null (no-referrer)
    answer = await agent.post(
        "/agent/logout",
        {"form_token": own_token},
        origin="null",
        **{"Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status == 303 and answer.headers["Location"] == "/agent/login"
    assert (await agent.get("/agent")).status == 303


async def test_logout_without_a_session_just_goes_to_the_login_form(
    bot: BotHarness, agent: Agent
) -> None:
    answer = await agent.post("/agent/logout", {}, origin="null")
    assert answer.status == 303 and answer.headers["Location"] == "/agent/login"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/agent/requests/RQ-1", "/agent/requests/RQ-1"),
        ("/agent?status=all&q=x", "/agent?status=all&q=x"),
        ("/agent", "/agent"),
        ("https://evil.example/agent", "/agent"),
        ("//evil.example/agent", "/agent"),
        ("/\\evil.example", "/agent"),
        ("/agentx", "/agent"),
        ("/api/requests", "/agent"),
        ("javascript:alert(1)", "/agent"),
        ("/agent/login?next=/agent", "/agent"),
        ("/agent/events", "/agent"),
        ("/agent/requests/a\nb", "/agent"),
        ("", "/agent"),
        (None, "/agent"),
    ],
)
def test_next_is_a_console_path_or_home(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected


async def test_next_from_the_form_cannot_leave_the_console(bot: BotHarness, agent: Agent) -> None:
    answer = await agent.sign_in(next_path="https://evil.example/")
    assert answer.status == 303 and answer.headers["Location"] == "/agent"


async def test_a_session_ends_after_12_hours(bot: BotHarness, agent: Agent) -> None:
    await agent.sign_in()
    bot.advance(timedelta(hours=11, minutes=59))
    assert (await agent.get("/agent")).status == 200
    bot.advance(timedelta(minutes=2))
    assert (await agent.get("/agent")).status == 303


async def test_a_forged_or_tampered_session_is_refused(bot: BotHarness, agent: Agent) -> None:
    await agent.sign_in()
    value = agent.cookie(SESSION_COOKIE)
    assert value is not None
    version, issued, nonce, mac = value.split(".")
    later = str(int(issued) + 3600)
    agent.session.cookie_jar.clear()  # only the forged value is sent
    assert (await agent.get("/agent", Cookie=f"{SESSION_COOKIE}={value}")).status == 200
    for forged in (
        f"{version}.{later}.{nonce}.{mac}",
        f"{version}.{issued}.{nonce}.{'0' * 64}",
        AGENT_TOKEN,
        "",
        "v1.1.2.3",
    ):
        answer = await agent.get("/agent", Cookie=f"{SESSION_COOKIE}={forged}")
        assert answer.status == 303, forged


async def test_removing_a_token_ends_the_sessions_it_opened(make_bot: MakeBot) -> None:
    old, new = "old-agent-token-0123456789", "new-agent-token-0123456789"
    first = await make_bot(env={"RESHIPBOT_AGENT_TOKEN": f"{new},{old}"})
    agent = Agent(first)
    try:
        assert (await agent.sign_in(token=old)).status == 303
        session = agent.cookie(SESSION_COOKIE)
        assert (await agent.get("/agent")).status == 200
        rotated = await make_bot(env={"RESHIPBOT_AGENT_TOKEN": new})
        other = Agent(rotated)
        try:
            answer = await other.get("/agent", Cookie=f"{SESSION_COOKIE}={session}")
            assert answer.status == 303
        finally:
            await other.close()
    finally:
        await agent.close()


async def test_the_login_page_for_a_signed_in_agent_goes_on(bot: BotHarness, agent: Agent) -> None:
    await agent.sign_in()
    answer = await agent.get("/agent/login?next=/agent/deliveries")
    assert answer.status == 303 and answer.headers["Location"] == "/agent/deliveries"


MALFORMED_SESSIONS = [
    "v1.\u00b2.a.b",  # a digit to str.isdigit(), not to int(): was a 503 on every page
    "v1.\u0663\u0663.a.b",  # Arabic-Indic digits
    "v1.\uff11\uff12.a.b",  # fullwidth digits
    "v1." + "9" * 180 + ".a.b",  # a time far beyond any clock
    "v1.1700000000.a.\u00e9",  # a non-ASCII signature (compare_digest refuses str)
    "v1.1700000000.a." + "\u00e9" * 64,
    "v1...",
    "v1.-5.a.b",
    "v1. 5.a.b",
    "v2.1700000000.a.b",
    "v1.1700000000.a.b.c",
    "\u00b2",
    ".",
    "x" * 5000,
]


async def test_a_malformed_session_cookie_is_no_session(bot: BotHarness, agent: Agent) -> None:
    """Regression: `rb_agent_session=v1.².a.b` answered 503 on every console page."""
    await bot.requested()
    for value in MALFORMED_SESSIONS:
        # sent raw: the cookie jar would not send every shape
        cookie = f"{SESSION_COOKIE}={quote(value) if len(value) > 1000 else value}"
        for path in PAGES:
            answer = await agent.get(path, Cookie=cookie)
            assert answer.status == 303, (value, path, answer.status)
            assert login_next(answer.headers["Location"]) == path
        for path in DATA[:-1]:
            assert (await agent.get(path, Cookie=cookie)).status == 401, (value, path)


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_sessions = Sessions([AGENT_TOKEN, "other-agent-token-0123456789"])
_issued = _sessions.issue(0, NOW)
_numbers = st.one_of(
    st.from_regex(r"\A[0-9]{0,400}\Z"),
    # digits of other scripts, superscripts, fractions: str.isdigit() and int() disagree
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4),
    st.sampled_from(["\u00b2", "\u0663", "\uff11", "", "-1", "1e3", "0x10", " 1", "1_0"]),
)
_session_parts = st.one_of(st.text(), _numbers, st.sampled_from(_issued.split(".")))


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.binary().map(lambda raw: raw.decode("utf-8", "surrogateescape")),
        st.lists(_session_parts, min_size=1, max_size=6).map(".".join),
        st.tuples(
            st.sampled_from(["v1", "V1", "v2"]), _numbers, _session_parts, _session_parts
        ).map(".".join),
    )
)
def test_the_session_parser_never_raises(value: str) -> None:
    """Any cookie text is a session or not; nothing makes the parser raise."""
    assert _sessions.valid(value, NOW) in (True, False)
    assert _sessions.valid(value, NOW) == (value == _issued)


def test_the_session_parser_takes_what_it_issued() -> None:
    assert _sessions.valid(_issued, NOW)
    assert _sessions.valid(_sessions.issue(1, NOW), NOW)
    assert not _sessions.valid(_issued, NOW + timedelta(hours=13))
