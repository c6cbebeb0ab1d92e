"""The KPI job: read every active KPI for every user and office it applies to, and alert on a new
breach. Each (KPI, subject) in its own transaction, so one failure never holds up the others;
a breach level is recorded once per period (models/ops/kpi.py), so reruns alert once."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.ops.kpi import check_kpi, kpi_subjects

log = logging.getLogger(__name__)

JOB_ID = "kpi.evaluate"


async def evaluate_kpis() -> int:
    """One pass: returns how many new breaches were recorded."""
    breaches = 0
    for subject in await kpi_subjects():
        try:
            async with in_transaction():
                breach = await check_kpi(subject)
        except Exception:
            log.exception(
                "KPI %s for %s %s failed", subject.definition_id, subject.kind, subject.id
            )
            continue
        if breach is not None:
            breaches += 1
            log.info(
                "KPI %s: %s %s for %s",
                breach.definition_id,
                breach.level,
                breach.period_start,
                breach.subject_key,
            )
    return breaches


def add_kpi_job(scheduler: AsyncIOScheduler, interval: float) -> None:
    scheduler.add_job(evaluate_kpis, "interval", seconds=interval, id=JOB_ID, replace_existing=True)
