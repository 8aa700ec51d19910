"""How long a test waits: for a condition, up to a ceiling that load cannot eat.

Tests never sleep to let something happen; they poll a condition and give up only
after a generous ceiling. On a slow or busy machine every ceiling stretches by one
setting, `RESHIPBOT_TEST_TIME_SCALE` (default 1; e.g. 3 on a machine three times
slower), and so does each test's own time limit (pytest-timeout).
"""

from __future__ import annotations

import os

WAIT = 30.0
"""The default ceiling, in seconds, of a wait on a condition."""


def _scale() -> float:
    raw = os.environ.get("RESHIPBOT_TEST_TIME_SCALE", "1")
    try:
        scale = float(raw)
    except ValueError:
        raise ValueError(f"RESHIPBOT_TEST_TIME_SCALE must be a number, not {raw!r}") from None
    if not scale >= 1:
        raise ValueError(f"RESHIPBOT_TEST_TIME_SCALE must be 1 or more, not {raw!r}")
    return scale


TIME_SCALE = _scale()


def patience(seconds: float = WAIT) -> float:
    """A ceiling of `seconds` on this machine: stretched by RESHIPBOT_TEST_TIME_SCALE."""
    return seconds * TIME_SCALE


def patience_ms(seconds: float = WAIT) -> float:
    """`patience()` in milliseconds, for Playwright."""
    return patience(seconds) * 1000
