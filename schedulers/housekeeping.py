"""Housekeeping jobs: forgetting what is only kept for a while."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.ops.idempotency import purge_expired_keys
from models.ops.outbox import settle_early_receipts
from models.ops.sessions import purge_stale_sign_in_data
from models.ops.subscriptions import purge_expired_subscription_links
from models.ops.telegram_account import purge_telegram_updates
from models.ops.telegram_link import purge_expired_links

log = logging.getLogger(__name__)


async def purge_expired() -> dict[str, int]:
    """Delete what has expired, in one transaction; returns how many rows of each kind."""
    async with in_transaction():
        purged = {
            "idempotency keys": await purge_expired_keys(),
            "sign-in rows": await purge_stale_sign_in_data(),
            "Telegram update ids": await purge_telegram_updates(),
            "staff Telegram links": await purge_expired_links(),
            "client subscription links": await purge_expired_subscription_links(),
        }
        applied, purged["early receipts"] = await settle_early_receipts()
    if applied:
        log.info("applied %d early delivery receipts", applied)
    if any(purged.values()):
        log.info("purged %s", ", ".join(f"{count} {kind}" for kind, count in purged.items()))
    return purged


def add_housekeeping(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_job(
        purge_expired, "interval", hours=1, id="housekeeping.purge_expired", replace_existing=True
    )
