"""Per-user request rate limits with RateLimit headers.

A fixed one-minute window per user: simple, cheap, and with a `reset` a client can act on. The
counter lives in Redis when VORONKA_REDIS_URL is set, so that every API process shares it, and in
process memory otherwise (one process: the small-office default).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Quota:
    limit: int
    remaining: int
    reset_seconds: int

    @property
    def exceeded(self) -> bool:
        return self.remaining < 0

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimiter(Protocol):
    async def hit(self, subject: str) -> Quota: ...

    async def close(self) -> None: ...


def _window(now: float) -> tuple[int, int]:
    start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    return start, start + WINDOW_SECONDS - int(now)


Seconds = Callable[[], float]


class MemoryRateLimiter:
    def __init__(self, per_minute: int, clock: Seconds = time.time) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] = {}

    async def hit(self, subject: str) -> Quota:
        start, reset = _window(self._clock())
        window, count = self._counts.get(subject, (start, 0))
        if window != start:
            count = 0
            if len(self._counts) > 100_000:  # forget old windows instead of growing forever
                self._counts = {k: v for k, v in self._counts.items() if v[0] == start}
        self._counts[subject] = (start, count + 1)
        return Quota(self.per_minute, self.per_minute - count - 1, reset)

    async def close(self) -> None:
        self._counts.clear()


class RedisRateLimiter:
    def __init__(self, url: str, per_minute: int, clock: Seconds = time.time) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._redis = Redis.from_url(url)

    async def hit(self, subject: str) -> Quota:
        start, reset = _window(self._clock())
        key = f"voronka:rate:{subject}:{start}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, WINDOW_SECONDS + 5)
                count, _ = await pipe.execute()
        except RedisError:
            # Fail open: a lost counter must not take the whole API down with it.
            log.warning("rate limit counter unavailable (Redis); request not counted")
            return Quota(self.per_minute, self.per_minute, reset)
        return Quota(self.per_minute, self.per_minute - int(count), reset)

    async def close(self) -> None:
        await self._redis.aclose()


def build_rate_limiter(redis_url: str | None, per_minute: int) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, per_minute)
    return MemoryRateLimiter(per_minute)
