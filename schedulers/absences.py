"""Absence jobs: hand an absent user's work over when the absence starts, offer it back when it
ends. Each absence in its own transaction, so one failure never holds up the others; each step
claims its absence (models/ops/absences.py), so a rerun or a second process does nothing twice.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.ops.absences import (
    HandoverPolicy,
    absences_to_hand_over,
    absences_to_offer,
    hand_over,
    offer_return,
)

log = logging.getLogger(__name__)

JOB_ID = "absences.tick"
INTERVAL_SECONDS = 60


async def run_absences(policy: HandoverPolicy = "head") -> tuple[int, int]:
    """Hand over what starts and offer back what ended by now: (absences started, offers made)."""
    started = offered = 0
    for absence_id in await absences_to_hand_over():
        try:
            async with in_transaction():
                moved = await hand_over(absence_id, policy=policy)
        except Exception:
            log.exception("absence %s: hand-over failed, retried on the next run", absence_id)
            continue
        started += 1
        log.info("absence %s: %d item(s) handed over", absence_id, len(moved))
    for absence_id in await absences_to_offer():
        try:
            async with in_transaction():
                offered += await offer_return(absence_id)
        except Exception:
            log.exception(
                "absence %s: the return offer failed, retried on the next run", absence_id
            )
    return started, offered


def add_absence_jobs(scheduler: AsyncIOScheduler, policy: HandoverPolicy) -> None:
    scheduler.add_job(
        run_absences,
        "interval",
        seconds=INTERVAL_SECONDS,
        kwargs={"policy": policy},
        id=JOB_ID,
        replace_existing=True,
    )
