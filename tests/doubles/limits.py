"""Platform send limits as the doubles enforce them: at most `limit` sends per `period` seconds
for each key (a chat, a sender, or None for a whole bot), counted in real time on arrival, as
the platforms count them. A send over a limit is refused (429) and not counted."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable


class SendLimit:
    def __init__(self, limit: int, period: float = 1.0) -> None:
        self.limit = limit
        self.period = period
        self._sends: defaultdict[Hashable, deque[float]] = defaultdict(deque)

    def fits(self, key: Hashable, at: float) -> bool:
        sends = self._sends[key]
        while sends and sends[0] <= at - self.period:
            sends.popleft()
        return len(sends) < self.limit

    def take(self, key: Hashable, at: float) -> None:
        self._sends[key].append(at)


def admit(at: float, *checks: tuple[SendLimit, Hashable]) -> bool:
    """Count a send against every (limit, key) if it fits them all, else against none."""
    if not all(limit.fits(key, at) for limit, key in checks):
        return False
    for limit, key in checks:
        limit.take(key, at)
    return True
