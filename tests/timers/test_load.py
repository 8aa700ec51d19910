"""10,000 timers due at the same moment: all fired, each once (real Redis).

No timing assertion: the time it took is printed for the benchmark figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

from bot.core.clock import FakeClock
from bot.core.commands import TimerKind
from bot.core.schedule import nearest_deadline, timers_for
from storage.base import Commit, CommitResult
from tests.conftest import MakeRedisStore
from tests.factories import NOW, make_request
from tests.timers.rig import make_rig

TIMERS = 10_000


async def test_ten_thousand_timers_due_at_once_fire_once_each(
    make_redis_store: MakeRedisStore, report: Callable[[str], None]
) -> None:
    clock = FakeClock(NOW)
    store = make_redis_store()
    due = NOW + timedelta(hours=1)
    requests = [
        make_request(
            f"LOAD-{n}",
            f"conv-load-{n}",
            seller_reminder_at=due,
            deadlines={"seller_due_at": due + timedelta(hours=12)},
        )
        for n in range(TIMERS)
    ]
    for start in range(0, TIMERS, 500):
        results = await asyncio.gather(
            *(
                store.commit(
                    Commit(
                        r.conversation_id,
                        NOW,
                        request=r,
                        expected_version=0,
                        timers=timers_for(r),
                        queue_at=nearest_deadline(r),
                    )
                )
                for r in requests[start : start + 500]
            )
        )
        assert set(results) == {CommitResult.ok}
    rig = await make_rig(store, clock)
    try:
        clock.set(due)
        started = time.perf_counter()
        fired = await rig.fire()
        took = time.perf_counter() - started
        assert fired == TIMERS
        assert await rig.fire() == 0
        for n in range(0, TIMERS, 97):
            view = await store.read_conversation(f"conv-load-{n}")
            request = view.requests[0]
            assert request.seller_reminded
            assert [e.type for e in request.timeline].count("seller_reminded") == 1
            assert TimerKind.seller_reminder not in timers_for(request)
        report(
            f"{TIMERS} reminders due at once fired in {took:.2f} s "
            f"({TIMERS / took:,.0f}/s, one scheduler, Redis store)"
        )
    finally:
        await rig.services.stop()
