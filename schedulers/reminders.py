"""Task reminders and overdue escalations: the jobs that find them due and announce them.

A run works in batches. Each batch is one short transaction: claim up to `batch` due tasks
(models/ops/reminders.py), then write their notices into the outbox, all at once; if that
fails, the batch's notices are written again one task at a time, each in its own savepoint, so
one broken task (logged, and put back on the list a minute later) never holds up the others.
The relay delivers what was written (schedulers/outbox.py). A run goes on while batches come
back full, up to `max_batches`, so a burst (100,000 reminders in one minute) is worked off in
a few seconds without one long transaction.

Misfire policy: the reminder job runs every `VORONKA_REMINDER_INTERVAL` seconds; a late run
(the process paused, a deploy) still runs and coalesces: what is due lives in the table, so a
reminder whose moment passed while nothing ran is announced on the first run after, late but
once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.ops.reminders import (
    Claimed,
    announce_reminders,
    claim_due_reminders,
    claim_overdue_tasks,
    escalate_tasks,
    overdue_due,
    rearm_escalation,
    rearm_reminder,
    reminders_due,
)

log = logging.getLogger(__name__)

REMIND_JOB_ID = "reminders.remind"
ESCALATE_JOB_ID = "reminders.escalate"
BATCH_SIZE = 500
MAX_BATCHES = 400


async def _work_off(
    what: str,
    claim: Callable[[int], Awaitable[list[Claimed]]],
    announce: Callable[[Sequence[Claimed]], Awaitable[int]],
    rearm: Callable[[int], Awaitable[None]],
    batch: int,
    max_batches: int,
) -> int:
    """Claim and announce batch after batch; returns how many tasks were claimed."""
    claimed = 0
    for _ in range(max_batches):
        async with in_transaction():
            tasks = await claim(batch)
            if tasks:
                await _announce_isolated(what, tasks, announce, rearm)
        claimed += len(tasks)
        if len(tasks) < batch:
            break
    return claimed


async def _announce_isolated(
    what: str,
    tasks: Sequence[Claimed],
    announce: Callable[[Sequence[Claimed]], Awaitable[int]],
    rearm: Callable[[int], Awaitable[None]],
) -> None:
    try:
        async with in_transaction():  # a savepoint: a failure undoes only the notices
            await announce(tasks)
        return
    except Exception:
        log.warning("%s: a batch of %d failed, trying one by one", what, len(tasks))
    for task in tasks:
        try:
            async with in_transaction():
                await announce([task])
        except Exception:
            log.exception("%s: task %d failed; tried again later", what, task.id)
            await rearm(task.id)


async def remind_due(batch: int = BATCH_SIZE, max_batches: int = MAX_BATCHES) -> int:
    """The reminder job: every due reminder into the outbox. Returns how many."""
    if not await reminders_due():
        return 0
    done = await _work_off(
        "reminders",
        claim_due_reminders,
        announce_reminders,
        rearm_reminder,
        batch,
        max_batches,
    )
    if done:
        log.info("reminders: %d announced", done)
    return done


class Escalation:
    """The escalation job with its delay (VORONKA_ESCALATE_AFTER_HOURS)."""

    def __init__(self, after: timedelta) -> None:
        self.after = after

    async def run(self, batch: int = BATCH_SIZE, max_batches: int = MAX_BATCHES) -> int:
        if not await overdue_due(self.after):
            return 0

        async def claim(limit: int) -> list[Claimed]:
            return await claim_overdue_tasks(limit, self.after)

        async def rearm(task_id: int) -> None:
            await rearm_escalation(task_id, self.after)

        done = await _work_off("escalations", claim, escalate_tasks, rearm, batch, max_batches)
        if done:
            log.info("escalations: %d overdue tasks", done)
        return done


def add_reminders(
    scheduler: AsyncIOScheduler, *, interval: float, escalate_after: timedelta
) -> None:
    scheduler.add_job(
        remind_due,
        "interval",
        seconds=interval,
        id=REMIND_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,  # however late: the run finds what is due in the table
    )
    scheduler.add_job(
        Escalation(escalate_after).run,
        "interval",
        seconds=60,
        id=ESCALATE_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
