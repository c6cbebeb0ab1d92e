"""Send rates per sender as token buckets: WhatsApp 10 and SMS 1 message a second per sender by
default (`VORONKA_WHATSAPP_RATE`, `VORONKA_SMS_RATE`).

A bucket holds `burst` tokens (1 by default: the sends are spaced evenly) and refills at `rate`
a second, less the jitter margin (`models.channels.PACE_MARGIN`: 5 % under the limit). It is
kept as the moment the next send is due (GCRA, "virtual scheduling": one number per bucket):
`take` reserves the next free moment and sleeps until it, so concurrent senders are served in
the order they asked and the rate is never exceeded, and kept up to. A reservation further away
than `max_wait` is not taken: the caller hears how long the wait would be and hands the message
back to the outbox for later instead of holding a relay slot.

In process memory by default; in Redis when `VORONKA_REDIS_URL` is set, so that every process
that sends through one sender shares its bucket. There the reservation is one Lua script
(atomic, on Redis's own clock, so the processes' clocks need not agree). If Redis cannot be
reached the process paces on its own (and logs it), rather than stopping the channel.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from models.channels import PACE_MARGIN

log = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
MAX_WAIT = 30.0
_PRUNE_AT = 10_000


class Pacer(Protocol):
    async def take(self, key: str, rate: float, *, burst: int = 1) -> float | None:
        """Wait for a token of bucket `key`; returns None once taken, or, when the wait would
        exceed the pacer's limit, the seconds it would be (nothing taken)."""
        ...

    async def close(self) -> None: ...


def _interval(rate: float) -> float:
    """Seconds between sends at `rate` a second, with the jitter margin (PACE_MARGIN)."""
    return PACE_MARGIN / rate


def _reserve(
    due: float, now: float, interval: float, burst: int, max_wait: float
) -> tuple[float, float | None]:
    """(the bucket's next due moment, the wait) for a send at `now`; the wait is None when it
    is too long and nothing was reserved."""
    due = max(due, now)
    wait = max(0.0, due - now - (burst - 1) * interval)
    if wait > max_wait:
        return due, None
    return due + interval, wait


class MemoryPacer:
    """Buckets in this process: enough for one process, and the fallback when Redis is away."""

    def __init__(
        self,
        *,
        max_wait: float = MAX_WAIT,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._due: dict[str, float] = {}

    async def take(self, key: str, rate: float, *, burst: int = 1) -> float | None:
        now = self._clock()
        if len(self._due) > _PRUNE_AT:
            self._due = {k: at for k, at in self._due.items() if at > now}
        due, wait = _reserve(self._due.get(key, now), now, _interval(rate), burst, self.max_wait)
        if wait is None:
            return max(0.0, due - now - (burst - 1) * _interval(rate))
        self._due[key] = due
        if wait > 0:
            await self._sleep(wait)
        return None

    async def close(self) -> None:
        self._due.clear()


# KEYS[1] the bucket; ARGV: interval (µs), burst, max wait (µs). Returns {taken, wait (µs)}.
_TAKE = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local due = tonumber(redis.call('GET', KEYS[1]) or '0')
if due < now then due = now end
local wait = due - now - (burst - 1) * interval
if wait < 0 then wait = 0 end
if wait > max_wait then return {0, wait} end
local next_due = due + interval
redis.call('SET', KEYS[1], next_due, 'PX', math.ceil((next_due - now) / 1000) + 1000)
return {1, wait}
"""


class RedisPacer:
    """Buckets in Redis, shared by every process with the same `VORONKA_REDIS_URL`."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "voronka:pace:",
        max_wait: float = MAX_WAIT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.max_wait = max_wait
        self.prefix = prefix
        self._sleep = sleep
        self._redis = Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._script = self._redis.register_script(_TAKE)
        self._local = MemoryPacer(max_wait=max_wait, sleep=sleep)
        self._warned = False

    async def take(self, key: str, rate: float, *, burst: int = 1) -> float | None:
        interval = 1_000_000 * _interval(rate)
        try:
            taken, wait = await self._script(
                keys=[self.prefix + key],
                args=[math.ceil(interval), burst, math.floor(self.max_wait * 1_000_000)],
            )
        except (RedisError, OSError) as error:
            if not self._warned:
                log.warning("send rates unavailable in Redis (%s): pacing in this process", error)
                self._warned = True
            return await self._local.take(key, rate, burst=burst)
        self._warned = False
        seconds = int(wait) / 1_000_000
        if not int(taken):
            return seconds
        if seconds > 0:
            await self._sleep(seconds)
        return None

    async def close(self) -> None:
        await self._redis.aclose()
        await self._local.close()


def build_pacer(redis_url: str | None) -> Pacer:
    return RedisPacer(redis_url) if redis_url else MemoryPacer()
