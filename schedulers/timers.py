"""Deal timers (stage time, deadlines, quiet deals) and the morning digest: the jobs.

Each run reads what is due from the tables (models/ops/deal_timers.py, models/ops/digest.py)
and tells each item in its own short transaction, so a failing one is logged and tried again on
the next run without holding up the others. Misfire policy: a late run still runs, missed runs
coalesce into one, and that one finds everything that came due meanwhile: a stopped scheduler
catches up on its first run, and a digest missed in the morning goes out once, late.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from models.ops.deal_timers import TimerSettings, deadlines, quiet_deals, stage_timers
from models.ops.digest import send_digests

log = logging.getLogger(__name__)

DEALS_JOB_ID = "timers.deals"
DIGEST_JOB_ID = "timers.digest"


async def tell_deal_timers() -> int:
    timers = TimerSettings.current()
    told = 0
    for step in (stage_timers, deadlines, quiet_deals):
        try:
            told += await step(timers)
        except Exception:  # one kind failing to be read leaves the others to run
            log.exception("deal timers: %s failed", step.__name__)
    if told:
        log.info("deal timers: %d notices", told)
    return told


async def morning_digest() -> int:
    sent = await send_digests()
    if sent:
        log.info("digest: %d sent", sent)
    return sent


def add_timers(scheduler: AsyncIOScheduler, *, interval: float) -> None:
    for job, job_id, seconds in (
        (tell_deal_timers, DEALS_JOB_ID, interval),
        (morning_digest, DIGEST_JOB_ID, min(interval, 60.0)),
    ):
        scheduler.add_job(
            job,
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,  # however late: the run finds what came due
        )
