"""Per-user request rate limits with RateLimit headers.

A fixed one-minute window per user: simple, cheap, and with a `reset` a client can act on. Every
API process must see the same counter, or a user gets one quota per process. The counter lives in
Redis when VORONKA_REDIS_URL is set (several hosts); otherwise in a memory-mapped file that the API
processes of one `voronka run` share (one host, no Redis: the small-office default, where a Redis
round trip per request would cost a fifth or more of the API's throughput); and in process memory
only when neither is given (a single process, such as the tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.shared_counters import SLOTS, SharedCounters

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


class SharedFileRateLimiter:
    """Counts in a file every API process of one host maps (see api.shared_counters).

    Each hit is one short critical section under an exclusive file lock, with no await inside,
    so it blocks the event loop for microseconds only. When more distinct subjects are live in one
    minute than the table holds around a subject's slot, that subject is counted in this
    process's memory instead: it is still limited, but per process (up to N times its quota)
    until a slot frees up in a later minute, and a WARNING says so at most once a minute.
    """

    def __init__(
        self, path: Path, per_minute: int, clock: Seconds = time.time, *, slots: int = SLOTS
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._counters = SharedCounters(path, slots)
        self._overflow = MemoryRateLimiter(per_minute, clock)
        self._warned_window: int | None = None

    async def hit(self, subject: str) -> Quota:
        start, reset = _window(self._clock())
        window = start // WINDOW_SECONDS
        count = self._counters.add(subject, window)
        if count is None:
            if self._warned_window != window:
                self._warned_window = window
                log.warning(
                    "rate limit table %s is full: subjects over its size are counted per process",
                    self._counters.path,
                )
            return await self._overflow.hit(subject)
        return Quota(self.per_minute, self.per_minute - count, reset)

    async def close(self) -> None:
        self._counters.close()
        await self._overflow.close()


def build_rate_limiter(
    redis_url: str | None, per_minute: int, shared_file: Path | None = None
) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, per_minute)
    if shared_file is not None:
        return SharedFileRateLimiter(shared_file, per_minute)
    return MemoryRateLimiter(per_minute)
