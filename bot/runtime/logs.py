"""How the service writes its log: one line per record, whatever an outsider sends.

Paths, methods, headers and ids come from outside and end up in log messages. A value
holding a line break (`%0a` in a path), a carriage return, an ANSI escape or a Unicode
line separator could start what looks like a new record, or hide one. `SafeFormatter`
escapes every character that is not printable (`\\n`, `\\x1b`, `\\u2028`, …) in the message
and in the structured fields (`extra=`), and indents each line of a traceback, so that a
line that starts at column 0 is always a record this service wrote. Messages are cut to
`MAX_MESSAGE` characters.

Clients that send a malformed request or go away are not the service's errors: aiohttp
logs those with a traceback at ERROR; `ClientNoise` turns them into one DEBUG line.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
MAX_MESSAGE = 2000
MAX_FIELD = 200
CONTINUATION = "    "  # the indent of a traceback's lines: never the start of a record

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def escape(text: str) -> str:
    """`text` with every non-printable character written as its escape (`\\n`, `\\x1b`)."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape_char(char) for char in text)


def _escape_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…(+{len(text) - limit} characters)"


def _indented(text: str) -> str:
    return "\n".join(CONTINUATION + escape(line) for line in text.splitlines())


class SafeFormatter(logging.Formatter):
    """One line per record (escaped message, then `key=value` fields); tracebacks indented."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(_cut(record.message, MAX_MESSAGE))
        return super().formatMessage(record) + _fields(record)

    def formatException(self, ei: Any) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _fields(record: logging.LogRecord) -> str:
    names = sorted(name for name in vars(record) if name not in _RECORD_ATTRIBUTES)
    return "".join(f" {escape(name)}={_value(getattr(record, name))}" for name in names)


def _value(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return escape(_cut(text, MAX_FIELD))


class ClientNoise(logging.Filter):
    """aiohttp's server logs a malformed request or a vanished client as an ERROR with a
    traceback; those are the client's doing, so they become one DEBUG line."""

    def filter(self, record: logging.LogRecord) -> bool:
        problem = record.exc_info[1] if record.exc_info else None
        if not isinstance(problem, HttpProcessingError | ConnectionError):
            return True
        record.msg = f"{record.getMessage()}: {type(problem).__name__}"
        record.args = ()
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def configure_logging(level: str) -> None:
    """The process's log: `FORMAT` on stderr through `SafeFormatter`, at `level`."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.server").addFilter(ClientNoise())
