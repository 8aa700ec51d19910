"""A sorted set for the embedded store: what a Redis zset is to the Redis store.

Members are ordered by (score, member), like Redis orders equal scores. A heap keeps
the order; an entry whose member was removed or re-scored is skipped when it surfaces
(lazy deletion), and the heap is rebuilt when such stale entries pile up.
"""

from __future__ import annotations

import heapq


class ScoreSet:
    def __init__(self) -> None:
        self._scores: dict[str, int] = {}
        self._heap: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._scores)

    def __contains__(self, member: object) -> bool:
        return member in self._scores

    def score(self, member: str) -> int | None:
        return self._scores.get(member)

    def add(self, member: str, score: int) -> None:
        if self._scores.get(member) == score:
            return
        self._scores[member] = score
        heapq.heappush(self._heap, (score, member))
        if len(self._heap) > 2 * len(self._scores) + 64:
            self._compact()

    def lowest(self) -> int | None:
        """The lowest score, or None when empty."""
        while self._heap and self._scores.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)  # a stale copy: removed, or re-scored since
        return self._heap[0][0] if self._heap else None

    def remove(self, member: str) -> None:
        self._scores.pop(member, None)

    def lease_due(self, now: int, limit: int, lease_until: int) -> list[tuple[str, int]]:
        """Up to `limit` members with score ≤ now, in order; each re-scored to `lease_until`.

        Returns (member, score before the lease).
        """
        due: list[tuple[str, int]] = []
        leased: set[str] = set()  # the heap may hold a member twice with the same score
        while self._heap and len(due) < limit and self._heap[0][0] <= now:
            score, member = heapq.heappop(self._heap)
            if member not in leased and self._scores.get(member) == score:
                due.append((member, score))
                leased.add(member)
        for member in leased:
            self._scores[member] = lease_until
            heapq.heappush(self._heap, (lease_until, member))
        return due

    def _compact(self) -> None:
        self._heap = [(score, member) for member, score in self._scores.items()]
        heapq.heapify(self._heap)
