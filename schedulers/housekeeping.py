"""Housekeeping jobs: forgetting what is only kept for a while."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.ops.idempotency import purge_expired_keys
from models.ops.sessions import purge_stale_sign_in_data

log = logging.getLogger(__name__)


async def purge_expired() -> None:
    async with in_transaction():
        keys = await purge_expired_keys()
        sign_in = await purge_stale_sign_in_data()
    if keys or sign_in:
        log.info("purged %d idempotency keys and %d sign-in rows", keys, sign_in)


def add_housekeeping(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_job(
        purge_expired, "interval", hours=1, id="housekeeping.purge_expired", replace_existing=True
    )
