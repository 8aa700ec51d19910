"""What an outsider can make a real `reshipbot serve` write to its log.

Regression: an upload aborted mid-body logged an ERROR with a traceback, before any
signature check (1,500 connections, 1,505 tracebacks), and a request path with `%0a`
wrote a line of the attacker's choosing into the log. Now a client that goes away is a
DEBUG line without the body, a malformed request head too, and every value from outside
is escaped: a line that starts at column 0 is always a record the bot wrote.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.runtime.logs import SafeFormatter
from tests.faults.raw_http import RawConnection, get_head, post_head, serving
from tests.faults.support import Report
from tests.processes import BotProcess
from tests.timing import patience

RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
FORGED = "2026-01-01 00:00:00,000 ERROR reshipbot.webhook FORGED by the sender"
ABORTS = 40


async def aborted_upload(port: int, head: bytes) -> None:
    """Headers and half the body, then the connection is dropped."""
    connection = await RawConnection.open(port)
    connection.send(head + b'{"type": "chat.message", "event_id": "e-1"')
    await connection.writer.drain()
    await connection.close()


def records(process: BotProcess) -> list[str]:
    """The log lines after the start-up banner."""
    lines = process.output().splitlines()
    start = max(i for i, line in enumerate(lines) if "reshipbot send chat" in line) + 1
    return lines[start:]


async def logged(process: BotProcess, text: str, count: int) -> list[str]:
    deadline = asyncio.get_running_loop().time() + patience()
    while asyncio.get_running_loop().time() < deadline:
        lines = records(process)
        if sum(text in line for line in lines) >= count:
            return lines
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} lines with {text!r}:\n{process.output()[-3000:]}")


async def test_aborted_uploads_and_forged_paths_write_one_escaped_line_each(
    tmp_path: Path, report: Report
) -> None:
    async with serving(tmp_path, RESHIPBOT_LOG_LEVEL="DEBUG") as process:
        for _ in range(ABORTS):
            await aborted_upload(process.port, post_head("/webhooks/chat", 4096))
        forged_path = "/sandbox/v1/chat/cards/x%0a" + FORGED.replace(" ", "%20")
        forged = post_head(forged_path, 4096).replace(b"POST", b"PUT", 1)
        await aborted_upload(process.port, forged)
        for bad_head in (b"GET /healthz HTTP/1.1\r\nHost: bot\r\nno colon here\r\n\r\n",) * 5:
            connection = await RawConnection.open(process.port)
            assert (await connection.request(bad_head)).status == 400
            await connection.close()
        lines = await logged(process, "incomplete body on", ABORTS + 1)
        await logged(process, "Error handling request", 5)

        assert [line for line in lines if not RECORD.match(line)] == []
        levels = {RECORD.match(line).group(1) for line in lines}  # type: ignore[union-attr]
        assert levels <= {"DEBUG", "INFO", "WARNING"}, levels
        assert [line for line in lines if "Traceback" in line] == []
        assert not any(line.startswith(FORGED[:23]) for line in lines)
        [escaped] = [line for line in lines if "FORGED" in line]
        assert " DEBUG reshipbot.web incomplete body on PUT /sandbox/v1/chat/cards/x\\n" in escaped
        assert '{"type"' not in "\n".join(lines), "the body is never logged"
        report(
            f"{ABORTS} uploads aborted mid-body, 1 with a forged log line in its path, 5 "
            f"malformed heads: {len(lines)} log lines, each one DEBUG record, no traceback, "
            "the path's line break written as \\n"
        )


async def test_at_the_default_level_an_aborted_upload_writes_nothing(
    tmp_path: Path, report: Report
) -> None:
    async with serving(tmp_path) as process:
        for _ in range(ABORTS):
            await aborted_upload(process.port, post_head("/webhooks/chat", 4096))
        await webhooks_answered(process, ABORTS)  # every abort seen through
        lines = records(process)
        assert [line for line in lines if " WARNING " not in line] == [], lines
        report(f"{ABORTS} aborted uploads at LOG_LEVEL=INFO: no log line")


async def webhooks_answered(process: BotProcess, count: int) -> None:
    """Wait until the webhook has finished `count` requests (its latency histogram)."""
    connection = await RawConnection.open(process.port)
    try:
        deadline = asyncio.get_running_loop().time() + patience()
        while asyncio.get_running_loop().time() < deadline:
            text = (await connection.request(get_head("/metrics"))).body.decode()
            found = re.search(r"^reshipbot_webhook_seconds_count (\S+)$", text, re.MULTILINE)
            if found and float(found.group(1)) >= count:
                return
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    raise AssertionError(f"the webhook did not finish {count} requests")


# --- the formatter alone --------------------------------------------------------------


def _format(message: str, *args: object, **fields: object) -> str:
    record = logging.makeLogRecord(
        {"name": "reshipbot.test", "levelname": "INFO", "levelno": 20, "msg": message,
         "args": args, **fields}
    )  # fmt: skip
    return SafeFormatter("%(levelname)s %(name)s %(message)s").format(record)


@given(st.text(), st.text(), st.text())
def test_no_value_can_start_a_new_log_line(path: str, header: str, event_id: str) -> None:
    text = _format("on %s with %s", path, header, event_id=event_id)
    assert len(text.splitlines()) == 1
    assert text.startswith("INFO reshipbot.test on ")
    assert text.isprintable()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a\nb", "a\\nb"),
        ("a\r\nb", "a\\r\\nb"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("a\u2028b\u2029c\x85d", "a\\u2028b\\u2029c\\x85d"),
        ("\u202egnp.exe", "\\u202egnp.exe"),
        ("\udcff", "\\udcff"),
        ("plain /path?q=1", "plain /path?q=1"),
    ],
)
def test_control_characters_are_written_as_escapes(value: str, shown: str) -> None:
    assert _format("%s", value) == f"INFO reshipbot.test {shown}"


def test_a_traceback_is_indented_and_fields_are_shown_escaped() -> None:
    try:
        raise ValueError("bad\nFORGED line")
    except ValueError:
        record = logging.makeLogRecord(
            {"name": "x", "levelname": "ERROR", "msg": "failed", "exc_info": sys.exc_info(),
             "event_id": "evt\n1"}
        )  # fmt: skip
    text = SafeFormatter("%(levelname)s %(message)s").format(record)
    first, *rest = text.split("\n")
    assert first == "ERROR failed event_id='evt\\n1'"
    assert rest and all(line.startswith("    ") for line in rest)
    assert "FORGED" in text and not any(line.startswith("FORGED") for line in text.split("\n"))
