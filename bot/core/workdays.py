"""Working days for `ship_by` (SPEC §1.2): per-region working week minus public holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=64)
def _supported() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


@lru_cache(maxsize=512)
def _holidays(region: str, year: int) -> frozenset[date]:
    if region not in _supported():
        return frozenset()
    return frozenset(holidays.country_holidays(region, years=year).keys())


def preload(regions: tuple[str, ...] = ("US", "ES", "ID", "TH", "VN"), year: int = 0) -> None:
    """Load the holiday calendars now: the first lookup imports every country's module."""
    this_year = year or date.today().year
    for region in regions:
        for offset in (0, 1):
            _holidays(region, this_year + offset)


def is_public_holiday(region: str, day: date) -> bool:
    return day in _holidays(region.upper(), day.year)


def is_working_day(day: date, region: str, working_week: frozenset[int]) -> bool:
    return day.weekday() in working_week and not is_public_holiday(region, day)


def nth_working_day_after(start: date, n: int, region: str, working_week: frozenset[int]) -> date:
    """The `n`th working day strictly after `start` (n ≥ 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if not working_week:
        raise ValueError("a working week needs at least one day")
    day, found = start, 0
    while found < n:
        day += timedelta(days=1)
        if is_working_day(day, region, working_week):
            found += 1
    return day


def ship_by(
    approved_at: datetime,
    *,
    timezone: str,
    region: str,
    working_days: int,
    working_week: frozenset[int],
) -> datetime:
    """23:59:59 in the seller's timezone on the Nth working day after the day of approval.

    The day of approval is the seller's local date; the result is in UTC.
    """
    if approved_at.tzinfo is None or approved_at.utcoffset() is None:
        raise ValueError("approved_at must be timezone-aware")
    zone = ZoneInfo(timezone)
    local_day = approved_at.astimezone(zone).date()
    due_day = nth_working_day_after(local_day, working_days, region, working_week)
    return datetime.combine(due_day, END_OF_DAY, tzinfo=zone).astimezone(UTC)


def is_known_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True
