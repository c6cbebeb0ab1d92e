"""The scheduler every `voronka run` process starts.

APScheduler is only the clock: what is due lives in the database, so a job lost to a restart is
found again on the next tick. Jobs coalesce (a backlog of missed runs fires once) and tolerate being
late by up to `MISFIRE_GRACE_SECONDS` instead of APScheduler's default of one second.
"""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

MISFIRE_GRACE_SECONDS = 300


def build_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone="UTC",
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
