"""Durations as operators write them (SPEC §4): `90s`, `15m`, `48h`, `2d`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("48h", timedelta(hours=48)),
        ("2d", timedelta(days=2)),
        ("0s", timedelta(0)),
        (" 12h ", timedelta(hours=12)),
        ("12 h", timedelta(hours=12)),
        ("007m", timedelta(minutes=7)),
    ],
)
def test_parse(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=90), "90s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=48), "2d"),
        (timedelta(hours=36), "36h"),
        (timedelta(days=2), "2d"),
        (timedelta(0), "0s"),
        (timedelta(seconds=3601), "3601s"),
    ],
)
def test_format_is_the_shortest_exact_form(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "48",
        "h",
        "3 days",
        "1.5h",
        "-1h",
        "+1h",
        "1h30m",
        "48H",
        "2w",
        "PT48H",
        "\u0661\u0662h",  # Arabic-Indic digits
        "1e3s",
        "99999999999999d",  # beyond what timedelta holds
        "9" * 5000 + "s",  # beyond what int() parses
    ],
)
def test_bad_inputs_raise_a_value_error_that_shows_the_format_or_the_problem(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert "not a duration; write a number and a unit: 90s, 15m, 48h, 2d" in message or (
        "too long a duration" in message
    )


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10**6)))
def test_format_then_parse_round_trips_whole_seconds(delta: timedelta) -> None:
    whole = timedelta(seconds=int(delta.total_seconds()))
    assert parse_duration(format_duration(whole)) == whole


@given(st.integers(min_value=0, max_value=10**8), st.sampled_from("smhd"))
def test_parse_then_format_gives_an_equal_duration(number: int, unit: str) -> None:
    delta = parse_duration(f"{number}{unit}")
    assert parse_duration(format_duration(delta)) == delta
    assert len(format_duration(delta)) <= len(f"{number}{unit}")
