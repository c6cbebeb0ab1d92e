"""Housekeeping jobs: forgetting what is only kept for a while."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.ops.idempotency import purge_expired_keys
from models.ops.sessions import purge_stale_sign_in_data
from models.ops.telegram_account import purge_telegram_updates

log = logging.getLogger(__name__)


async def purge_expired() -> None:
    async with in_transaction():
        keys = await purge_expired_keys()
        sign_in = await purge_stale_sign_in_data()
        updates = await purge_telegram_updates()
    if keys or sign_in or updates:
        log.info(
            "purged %d idempotency keys, %d sign-in rows and %d Telegram update ids",
            keys,
            sign_in,
            updates,
        )


def add_housekeeping(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_job(
        purge_expired, "interval", hours=1, id="housekeeping.purge_expired", replace_existing=True
    )
