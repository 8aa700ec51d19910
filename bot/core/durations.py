"""Durations as operators write them: `90s`, `15m`, `48h`, `2d`."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"\s*([0-9]+)\s*([smhd])\s*", re.ASCII)
_MAX_DIGITS = 15  # int() refuses huge digit strings with a confusing message
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """Parse `90s`, `15m`, `48h` or `2d`; raise ValueError with a helpful message otherwise."""
    match = _DURATION.fullmatch(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit: 90s, 15m, 48h, 2d"
        )
    if len(match.group(1)) > _MAX_DIGITS:
        raise ValueError(f"{text!r} is too long a duration")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None


def format_duration(delta: timedelta) -> str:
    """The shortest exact form of a duration, the inverse of `parse_duration`."""
    seconds = int(delta.total_seconds())
    for unit in ("d", "h", "m"):
        size = _UNIT_SECONDS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
