"""Working days and `ship_by` (SPEC §1.2): region weeks, public holidays, local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.policy import MONDAY_TO_FRIDAY, MONDAY_TO_SATURDAY, Policy
from bot.core.workdays import (
    is_known_timezone,
    is_public_holiday,
    is_working_day,
    nth_working_day_after,
    ship_by,
)

POLICY = Policy()


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(
    zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone))


def due(approved_at: datetime, zone: str, region: str, working_days: int = 2) -> datetime:
    return ship_by(
        approved_at,
        timezone=zone,
        region=region,
        working_days=working_days,
        working_week=POLICY.working_week(region),
    )


def public_holiday(region: str, day: date) -> bool:
    """The `holidays` package's own opinion, to check the dates the tests rely on."""
    return day in holidays.country_holidays(region, years=day.year)


# --- weekends ------------------------------------------------------------------------


def test_approval_on_a_friday_skips_the_weekend() -> None:
    friday = utc(2026, 11, 20, 15, 0)
    assert friday.weekday() == 4
    assert due(friday, "UTC", "US") == utc(2026, 11, 24, 23, 59, 59)  # Monday, Tuesday


def test_approval_on_a_saturday_counts_from_monday() -> None:
    assert due(utc(2026, 11, 21, 10, 0), "UTC", "US") == utc(2026, 11, 24, 23, 59, 59)


def test_one_working_day() -> None:
    assert due(utc(2026, 11, 23, 9, 0), "UTC", "US", 1) == utc(2026, 11, 24, 23, 59, 59)


# --- public holidays -----------------------------------------------------------------


def test_us_thanksgiving_is_skipped() -> None:
    assert public_holiday("US", date(2026, 11, 26))
    approved = local("America/New_York", 2026, 11, 25, 10, 0)  # Wednesday
    # Thursday is Thanksgiving: Friday 27th, then Monday 30th.
    assert due(approved, "America/New_York", "US") == local(
        "America/New_York", 2026, 11, 30, 23, 59, 59
    )
    assert due(approved, "America/New_York", "US") == utc(2026, 12, 1, 4, 59, 59)


def test_us_christmas_is_skipped() -> None:
    assert public_holiday("US", date(2026, 12, 25))
    approved = local("America/New_York", 2026, 12, 24, 16, 0)  # Thursday
    assert due(approved, "America/New_York", "US") == utc(2026, 12, 30, 4, 59, 59)  # Tue 29th


def test_th_songkran_is_skipped() -> None:
    for day in (13, 14, 15):
        assert public_holiday("TH", date(2026, 4, day))
    approved = local("Asia/Bangkok", 2026, 4, 10, 11, 0)  # Friday before Songkran
    # Weekend, then Songkran Monday-Wednesday: Thursday 16th, Friday 17th.
    assert due(approved, "Asia/Bangkok", "TH") == utc(2026, 4, 17, 16, 59, 59)


def test_th_chakri_day_is_skipped() -> None:
    assert public_holiday("TH", date(2026, 4, 6))
    approved = local("Asia/Bangkok", 2026, 4, 3, 9, 0)  # Friday before Chakri Day (Monday)
    assert due(approved, "Asia/Bangkok", "TH") == utc(2026, 4, 8, 16, 59, 59)  # Tue, Wed
    # The same dates without Thai holidays: Monday 6th and Tuesday 7th.
    assert due(approved, "Asia/Bangkok", "ZZ") == utc(2026, 4, 7, 16, 59, 59)


def test_id_independence_day_is_skipped() -> None:
    assert public_holiday("ID", date(2026, 8, 17))
    approved = local("Asia/Jakarta", 2026, 8, 14, 13, 0)  # Friday
    assert due(approved, "Asia/Jakarta", "ID") == utc(2026, 8, 19, 16, 59, 59)  # Tue, Wed


def test_id_holidays_follow_the_holidays_package() -> None:
    approved = local("Asia/Jakarta", 2026, 3, 18, 9, 0)  # Wednesday before Nyepi
    expected = nth_working_day_after(date(2026, 3, 18), 2, "ID", MONDAY_TO_FRIDAY)
    calendar = holidays.country_holidays("ID", years=2026)
    days = [
        date(2026, 3, 19) + timedelta(days=i) for i in range((expected - date(2026, 3, 18)).days)
    ]
    working = [d for d in days if d.weekday() < 5 and d not in calendar]
    assert len(working) == 2 and working[-1] == expected
    assert due(approved, "Asia/Jakarta", "ID") == local(
        "Asia/Jakarta", expected.year, expected.month, expected.day, 23, 59, 59
    )


# --- working weeks -------------------------------------------------------------------


def test_vn_saturday_is_a_working_day() -> None:
    assert POLICY.working_week("VN") == MONDAY_TO_SATURDAY
    assert POLICY.working_week("vn") == MONDAY_TO_SATURDAY
    approved = local("Asia/Ho_Chi_Minh", 2026, 11, 26, 10, 0)  # Thursday
    assert due(approved, "Asia/Ho_Chi_Minh", "VN") == utc(2026, 11, 28, 16, 59, 59)  # Sat 28th
    # A Monday-to-Friday region with the same dates ends on Monday 30th.
    assert due(approved, "Asia/Ho_Chi_Minh", "ZZ") == utc(2026, 11, 30, 16, 59, 59)


def test_vn_national_day_is_skipped() -> None:
    assert public_holiday("VN", date(2026, 9, 2))
    approved = local("Asia/Ho_Chi_Minh", 2026, 8, 29, 10, 0)  # Saturday
    expected = nth_working_day_after(date(2026, 8, 29), 2, "VN", MONDAY_TO_SATURDAY)
    assert expected >= date(2026, 9, 4)  # at least 1st and 2nd September are holidays
    assert expected.weekday() in MONDAY_TO_SATURDAY
    assert due(approved, "Asia/Ho_Chi_Minh", "VN").date() == expected


def test_unknown_region_has_weekends_only() -> None:
    assert POLICY.working_week("ZZ") == MONDAY_TO_FRIDAY
    assert not is_public_holiday("ZZ", date(2026, 12, 25))
    wednesday = utc(2026, 11, 25, 10, 0)
    assert due(wednesday, "UTC", "ZZ") == utc(2026, 11, 27, 23, 59, 59)  # Thanksgiving counts
    assert due(wednesday, "UTC", "US") == utc(2026, 11, 30, 23, 59, 59)


# --- local dates and times -----------------------------------------------------------


@pytest.mark.parametrize(("hour", "minute"), [(0, 30), (23, 30)])
def test_approval_early_or_late_in_the_local_day_counts_from_that_day(
    hour: int, minute: int
) -> None:
    approved = local("Asia/Bangkok", 2026, 11, 23, hour, minute)  # Monday
    assert due(approved.astimezone(UTC), "Asia/Bangkok", "TH") == local(
        "Asia/Bangkok", 2026, 11, 25, 23, 59, 59
    )


def test_counting_starts_from_the_local_date_not_the_utc_date() -> None:
    # Friday 20:00 UTC is Saturday 03:00 in Bangkok: Monday 30th is the first working day.
    saturday_local = utc(2026, 11, 27, 20, 0)
    assert due(saturday_local, "Asia/Bangkok", "TH", 1) == utc(2026, 11, 30, 16, 59, 59)
    assert due(saturday_local, "Asia/Bangkok", "TH") == utc(2026, 12, 1, 16, 59, 59)
    # Thursday 20:00 UTC is Friday in Bangkok: Monday and Tuesday, not Friday and Monday.
    friday_local = utc(2026, 11, 26, 20, 0)
    assert due(friday_local, "Asia/Bangkok", "TH") == utc(2026, 12, 1, 16, 59, 59)


def test_counting_starts_from_the_local_date_west_of_utc() -> None:
    # Tuesday 05:00 UTC is Monday 21:00 in Los Angeles: Tuesday and Wednesday.
    approved = utc(2026, 11, 24, 5, 0)
    assert due(approved, "America/Los_Angeles", "US") == utc(2026, 11, 26, 7, 59, 59)


def test_result_is_end_of_local_day_in_utc() -> None:
    approved = local("Asia/Bangkok", 2026, 6, 10, 12, 0)
    result = due(approved, "Asia/Bangkok", "TH")
    assert result.utcoffset() == timedelta(0)
    assert result.tzinfo is UTC
    assert result.astimezone(ZoneInfo("Asia/Bangkok")).time() == time(23, 59, 59)


def test_result_is_utc_whatever_the_zone_of_the_approval() -> None:
    approved = local("Asia/Tokyo", 2026, 6, 10, 12, 0)
    assert due(approved, "Asia/Bangkok", "TH").tzinfo is UTC


def test_end_of_day_after_a_dst_change_uses_the_new_offset() -> None:
    approved = local("America/New_York", 2026, 10, 30, 12, 0)  # Friday, EDT (-4)
    # Monday 2nd and Tuesday 3rd November, after the switch to EST (-5).
    assert due(approved, "America/New_York", "US") == utc(2026, 11, 4, 4, 59, 59)


def test_a_naive_approval_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due(datetime(2026, 11, 20, 12, 0), "UTC", "US")


def test_nth_working_day_after_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        nth_working_day_after(date(2026, 1, 1), 0, "US", MONDAY_TO_FRIDAY)
    with pytest.raises(ValueError):
        nth_working_day_after(date(2026, 1, 1), 1, "US", frozenset())


def test_is_known_timezone() -> None:
    assert is_known_timezone("Asia/Bangkok")
    assert not is_known_timezone("Mars/Olympus_Mons")
    assert not is_known_timezone("../etc/passwd")


# --- property ------------------------------------------------------------------------

ZONES = ["UTC", "Asia/Bangkok", "Asia/Jakarta", "Asia/Ho_Chi_Minh", "America/New_York"]
REGIONS = ["US", "TH", "ID", "VN", "ZZ"]


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 20), timezones=st.just(UTC)
    ),
    st.sampled_from(ZONES),
    st.sampled_from(REGIONS),
    st.integers(min_value=1, max_value=5),
)
def test_ship_by_is_the_end_of_the_nth_working_day_after_the_local_day(
    approved: datetime, zone: str, region: str, working_days: int
) -> None:
    week = POLICY.working_week(region)
    result = due(approved, zone, region, working_days)
    local_result = result.astimezone(ZoneInfo(zone))
    assert result.tzinfo is UTC
    assert local_result.time() == time(23, 59, 59)
    start = approved.astimezone(ZoneInfo(zone)).date()
    days = [start + timedelta(days=i) for i in range(1, (local_result.date() - start).days + 1)]
    calendar = (
        holidays.country_holidays(region, years=range(start.year, start.year + 2))
        if region != "ZZ"
        else {}
    )
    working = [d for d in days if d.weekday() in week and d not in calendar]
    assert len(working) == working_days
    assert working[-1] == local_result.date()
    assert is_working_day(local_result.date(), region, week)
