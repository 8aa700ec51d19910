from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.clock import FakeClock
from storage.base import Store
from tests.timers.rig import Rig, make_rig


@pytest.fixture
async def rig(store: Store, clock: FakeClock) -> AsyncIterator[Rig]:
    built = await make_rig(store, clock)
    yield built
    await built.services.stop()
