"""The scheduler's misfire policy is set on purpose (APScheduler's default grace is one second).

APScheduler reads the wall clock itself, so these tests run a real scheduler for well under a
second each: a job is made late by giving it a next run time in the past, as after a pause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from schedulers.clock import MISFIRE_GRACE_SECONDS, build_scheduler

SETTLE_S = 0.3


async def _fired_within(scheduler: AsyncIOScheduler, fired: list[datetime]) -> list[datetime]:
    scheduler.start()
    try:
        for _ in range(60):
            if fired:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(SETTLE_S)  # time for a second run, which must not come
    finally:
        scheduler.shutdown(wait=False)
    return fired


def _recorder(fired: list[datetime]) -> Callable[[], Awaitable[None]]:
    async def job() -> None:
        fired.append(datetime.now(UTC))

    return job


async def test_a_late_reminder_like_job_still_fires_once() -> None:
    scheduler = build_scheduler()
    fired: list[datetime] = []
    late = datetime.now(UTC) - timedelta(seconds=MISFIRE_GRACE_SECONDS - 60)
    scheduler.add_job(_recorder(fired), "date", run_date=late, id="late-job")
    assert len(await _fired_within(scheduler, fired)) == 1, "four minutes late still runs, once"
    assert MISFIRE_GRACE_SECONDS >= 60
    assert str(scheduler.timezone) == "UTC"


async def test_a_tick_later_than_the_grace_is_skipped() -> None:
    """Why due work lives in the database: the skipped tick's rows are found by the next one."""
    scheduler = build_scheduler()
    fired: list[datetime] = []
    too_late = datetime.now(UTC) - timedelta(seconds=MISFIRE_GRACE_SECONDS + 60)
    scheduler.add_job(_recorder(fired), "date", run_date=too_late, id="too-late")
    assert await _fired_within(scheduler, fired) == []


async def test_a_backlog_of_missed_digest_like_runs_coalesces_into_one() -> None:
    """A scheduler stopped for ten minutes: ten missed runs of a per-minute job fire once, and
    the next run is in the future again."""
    scheduler = build_scheduler()
    fired: list[datetime] = []
    job = scheduler.add_job(
        _recorder(fired),
        "interval",
        minutes=1,
        id="digest-like",
        next_run_time=datetime.now(UTC) - timedelta(minutes=10),
    )
    assert len(await _fired_within(scheduler, fired)) == 1
    assert job.next_run_time is not None
    assert job.next_run_time > datetime.now(UTC)
