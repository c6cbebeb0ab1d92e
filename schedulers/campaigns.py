"""The campaign feeder: every few seconds, tops up each running campaign's backlog in the
outbox (models/ops/campaigns.py), one short transaction per chunk, one campaign's failure
isolated from the others."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.ops.campaigns import feed_campaign, running_campaign_ids

JOB_ID = "campaigns.feed"
FEED_INTERVAL_SECONDS = 2.0
# Recipients per transaction: each is a few statements, and on SQLite every other writer of
# the process waits while the transaction holds the lock.
CHUNK = 50

log = logging.getLogger(__name__)


async def feed_campaigns() -> int:
    """Feed every running campaign up to its backlog; returns how many recipients were fed."""
    fed = 0
    for campaign_id in await running_campaign_ids():
        try:
            while True:
                async with in_transaction():
                    count = await feed_campaign(campaign_id, CHUNK)
                fed += count
                if count < CHUNK:
                    break
        except Exception:
            log.exception("campaigns: feeding campaign %d failed", campaign_id)
    return fed


def add_campaign_feeder(scheduler: AsyncIOScheduler) -> None:
    scheduler.add_job(
        feed_campaigns,
        "interval",
        seconds=FEED_INTERVAL_SECONDS,
        id=JOB_ID,
        replace_existing=True,
    )
