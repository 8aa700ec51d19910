"""`ship_by` set by a real approval, across weekends, public holidays and six-day weeks.

Approvals at 00:30 and at 23:30 local time on the same local day give the same
deadline: 23:59:59 local on the 2nd working day after the day of approval.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.clock import FakeClock
from storage import MemoryStore
from tests.timers.rig import make_rig

# region, timezone, local approval day, expected local ship-by day, why
CASES = [
    (
        "TH",
        "Asia/Bangkok",
        (2026, 12, 4),
        (2026, 12, 9),
        "Fri; Sat 5 King's birthday, Sun, Mon 7 in lieu → Tue 8, Wed 9",
    ),
    ("TH", "Asia/Bangkok", (2026, 11, 26), (2026, 11, 30), "Thu → Fri 27, Mon 30"),
    (
        "US",
        "America/New_York",
        (2026, 11, 25),
        (2026, 11, 30),
        "Wed; Thu 26 Thanksgiving → Fri 27, Mon 30",
    ),
    (
        "US",
        "America/Los_Angeles",
        (2026, 12, 23),
        (2026, 12, 28),
        "Wed → Thu 24, Fri 25 Christmas, weekend → Mon 28",
    ),
    (
        "ID",
        "Asia/Jakarta",
        (2026, 8, 14),
        (2026, 8, 19),
        "Fri; weekend, Mon 17 Independence Day → Tue 18, Wed 19",
    ),
    ("VN", "Asia/Ho_Chi_Minh", (2026, 8, 27), (2026, 8, 29), "Thu → Fri 28, Sat 29 works"),
    (
        "VN",
        "Asia/Ho_Chi_Minh",
        (2026, 8, 29),
        (2026, 9, 4),
        "Sat; Sun, Mon 31 day off (swapped from Sat 22), Tue 1 and Wed 2 National Day "
        "→ Thu 3, Fri 4",
    ),
]


@pytest.mark.parametrize(("hour", "minute"), [(0, 30), (23, 30)])
@pytest.mark.parametrize(("region", "zone", "day", "expected", "why"), CASES)
async def test_ship_by_from_an_approval_at_local_time(
    region: str,
    zone: str,
    day: tuple[int, int, int],
    expected: tuple[int, int, int],
    why: str,
    hour: int,
    minute: int,
) -> None:
    tz = ZoneInfo(zone)
    approved_local = datetime(*day, hour, minute, tzinfo=tz)
    clock = FakeClock(approved_local.astimezone(UTC))
    rig = await make_rig(MemoryStore(clock), clock)
    try:
        await rig.request(timezone=zone, region=region)
        assert (await rig.chat("/approve")).verdict == "processed"
        ship_by = (await rig.get()).deadlines.ship_by
        assert ship_by is not None
        assert ship_by.astimezone(tz) == datetime(*expected, 23, 59, 59, tzinfo=tz), why
        assert ship_by.utcoffset() is not None and ship_by.tzinfo is not None
    finally:
        await rig.services.stop()
