"""schemathesis against `GET /openapi.json`: the bot answers as its document says.

The in-process server on the Redis store (one request in it, so reads find something);
schemathesis generates requests for every operation from the document the bot serves and
sends them from a worker thread (its client is synchronous; the server runs in the test's
event loop). Webhook bodies are signed, API calls carry the agent token, so generated data
gets past authentication; positive and negative data, a bounded number of each.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from bot.platforms.generic.signing import sign_body
from tests.e2e.conftest import MakeBot
from tests.e2e.harness import AGENT_TOKEN, BotHarness
from tests.faults.support import Report

EXAMPLES = 12  # per operation and mode
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Credentials(requests.auth.AuthBase):
    """The webhook's HMAC over the body as sent; the agent token everywhere else."""

    def __init__(self, bot: BotHarness) -> None:
        self.bot = bot

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if (request.path_url or "").startswith("/webhooks/"):
            body = request.body or b""
            raw = body.encode() if isinstance(body, str) else body
            request.headers["Authorization"] = sign_body(self.bot.app_key, self.bot.secret, raw)
        else:
            request.headers["Authorization"] = f"Bearer {AGENT_TOKEN}"
        return request


def _drops_credentials(case: schemathesis.Case) -> bool:
    """A negative case whose headers leave out `Authorization` on purpose."""
    meta = case.meta
    headers = meta.components.get(ParameterLocation.HEADER) if meta is not None else None
    negative = headers is not None and headers.mode is schemathesis.GenerationMode.NEGATIVE
    return negative and "Authorization" not in (case.headers or {})


def run(bot: BotHarness, document: dict[str, Any]) -> dict[str, Counter[int]]:
    """Every operation, positive then negative data; the statuses seen per operation."""
    schema = schemathesis.openapi.from_dict(document)
    seen: dict[str, Counter[int]] = {}
    with requests.Session() as signed, requests.Session() as plain:
        signed.auth = Credentials(bot)
        for result in schema.get_all_operations():
            operation = result.ok()
            statuses = seen.setdefault(f"{operation.method.upper()} {operation.path}", Counter())
            for mode in schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE:
                checks = [*CHECKS, negative_data_rejection] if mode.name == "NEGATIVE" else CHECKS
                cases = operation.as_strategy(generation_mode=mode)

                def send(
                    case: schemathesis.Case, checks: list[Any], statuses: Counter[int]
                ) -> None:
                    session = plain if _drops_credentials(case) else signed
                    response = case.call(base_url=bot.base_url, session=session, timeout=10)
                    statuses[response.status_code] += 1
                    case.validate_response(response, checks=checks)

                exercise(cases, functools.partial(send, checks=checks, statuses=statuses))
    return seen


def exercise(cases: Any, send: Any) -> None:
    """Run `send` on up to `EXAMPLES` cases drawn from `cases` (shrinking any failure)."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def check(case: schemathesis.Case) -> None:
        send(case)

    with contextlib.suppress(Unsatisfiable):  # nothing to negate (no parameters, no body)
        check()


@pytest.mark.timeout(90)
async def test_the_bot_answers_as_its_openapi_document_says(
    make_bot: MakeBot, report: Report
) -> None:
    bot = await make_bot("redis")
    await bot.requested()
    answer = await bot.api("/openapi.json", token=None)
    assert answer.status == 200 and answer.body["openapi"] == "3.1.0"
    seen = await asyncio.to_thread(run, bot, answer.body)
    total = sum(sum(counter.values()) for counter in seen.values())
    report(
        f"schemathesis {schemathesis.__version__}: {len(seen)} operations, {total} requests "
        f"({EXAMPLES} positive + {EXAMPLES} negative examples at most each); no server "
        f"error, every status, content type and body as documented"
    )
    for label, statuses in sorted(seen.items()):
        report(f"  {label}: {dict(sorted(statuses.items()))}")
    assert all(500 not in statuses for statuses in seen.values())
    assert total > 0


DIGITS = ("\u00b2", "\u0663", "\uff11", "3")  # superscript two, Arabic-Indic three, fullwidth one


async def test_a_limit_written_in_other_digits_is_a_400_not_a_fault(
    make_bot: MakeBot, report: Report
) -> None:
    """Regression: `?limit=²` passed `str.isdigit()`, then `int()` raised: a logged 503."""
    bot = await make_bot("memory")
    seen = {}
    for digits in DIGITS:
        for path in ("/api/requests", "/api/deliveries"):
            answer = await bot.api(f"{path}?limit={quote(digits)}")
            seen[f"{path}?limit={digits}"] = answer.status
    report(f"limits in other scripts: {seen}")
    assert seen == {
        f"{path}?limit={digits}": 200 if digits == "3" else 400
        for digits in DIGITS
        for path in ("/api/requests", "/api/deliveries")
    }


def _conforms(bot: BotHarness, document: dict[str, Any], path: str, **parameters: Any) -> Any:
    """One documented operation called with `parameters`; its answer checked against the
    document (status, content type, body); the answer's body."""
    operation = schemathesis.openapi.from_dict(document)[path]["GET"]
    case = operation.Case(**parameters)
    with requests.Session() as session:
        session.auth = Credentials(bot)
        response = case.call(base_url=bot.base_url, session=session, timeout=10)
    case.validate_response(response, checks=CHECKS)
    return response.json()


async def test_cards_and_dead_letters_answer_as_documented_without_tokens(
    make_bot: MakeBot, report: Report
) -> None:
    """The agent API shows cards without their action tokens; the document says so (its
    card action allows no `token`), and the answers conform to it."""
    bot = await make_bot("redis")
    await bot.offered("10.00")
    bot.platform.fail_path("/v1/chat/messages", 422)
    assert (await bot.request("RQ-2")).status == 200

    async def dead() -> bool:
        return bool((await bot.api("/api/deliveries?state=dead")).body["items"])

    await bot.eventually(dead, what="a dead letter")
    document = (await bot.api("/openapi.json", token=None)).body
    action = document["components"]["schemas"]["AgentCardAction"]
    assert "token" not in action["properties"] and action["additionalProperties"] is False
    conversation = await asyncio.to_thread(
        _conforms,
        bot,
        document,
        "/api/conversations/{conversation_id}",
        path_parameters={"conversation_id": "conv-1"},
    )
    letters = await asyncio.to_thread(
        _conforms, bot, document, "/api/deliveries", query={"state": "dead"}
    )
    buttons = sum(len(card["actions"]) for card in conversation["cards"])
    report(
        f"agent API without tokens: {len(conversation['cards'])} cards ({buttons} buttons) and "
        f"{len(letters['items'])} dead letters as documented, no action token"
    )
    assert buttons >= 2 and letters["items"]
