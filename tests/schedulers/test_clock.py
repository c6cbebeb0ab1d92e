"""The scheduler's misfire policy is set on purpose (APScheduler's default grace is one second)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from schedulers.clock import MISFIRE_GRACE_SECONDS, build_scheduler


async def test_jobs_coalesce_and_tolerate_lateness() -> None:
    scheduler = build_scheduler()
    fired: list[datetime] = []
    late = datetime.now(UTC) - timedelta(seconds=30)

    async def job() -> None:
        fired.append(datetime.now(UTC))

    scheduler.add_job(job, "date", run_date=late, id="late-job")
    scheduler.start()
    try:
        for _ in range(50):
            if fired:
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown(wait=False)
    assert len(fired) == 1, "a job 30 s late still runs, once"
    assert MISFIRE_GRACE_SECONDS >= 60
    assert str(scheduler.timezone) == "UTC"
