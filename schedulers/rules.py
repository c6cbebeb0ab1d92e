"""The rules' clock jobs: time and schedule triggers, retries of failed runs, webhook calls.

- `fire_due_rules` (every minute) asks for the due occurrences of time and schedule rules and
  fires each in its own transaction, once (the run's dedup key); a rule is marked as looked at
  only when all its occurrences fired without an error, so a failure is looked at again.
- `retry_failed_runs` (every 30 s) performs the failed actions of due runs again, one run per
  transaction.
- `Webhooks.deliver` (every 10 s) claims due webhook calls in one short transaction, posts each
  outside any transaction with its HMAC-SHA256 signature, and records each answer in its own
  short transaction (models/ops/automation.py, ADR 0020).

Every job runs only on the leader (`follow_leader` in build_clock wraps it) and isolates
failures per item.
"""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.ops.automation import (
    WebhookCall,
    advance_rule,
    claim_webhooks,
    clock_batches,
    due_retries,
    fire_occurrence,
    record_webhook,
    retry_run,
)
from models.rules.automation import sign

log = logging.getLogger(__name__)

FIRE_JOB_ID = "rules.fire_due"
RETRY_JOB_ID = "rules.retry_failed"
WEBHOOK_JOB_ID = "rules.webhooks"
WEBHOOK_TIMEOUT = 10.0
WEBHOOK_BATCH = 50


async def fire_due_rules() -> int:
    """Fire every due time and schedule occurrence; returns how many runs were recorded."""
    fired = 0
    for batch in await clock_batches():
        clean = True
        for occurrence in batch.occurrences:
            try:
                async with in_transaction():
                    run = await fire_occurrence(occurrence)
            except Exception:
                clean = False
                log.exception("rules: occurrence %s failed", occurrence.key)
                continue
            fired += run is not None
        if clean and batch.until is not None:
            async with in_transaction():
                await advance_rule(batch.rule_id, batch.until)
    if fired:
        log.info("rules: %d time or schedule run(s)", fired)
    return fired


async def retry_failed_runs() -> int:
    retried = 0
    for run_id in await due_retries():
        try:
            async with in_transaction():
                retried += await retry_run(run_id) is not None
        except Exception:
            log.exception("rules: the retry of run %d failed", run_id)
    return retried


class Webhooks:
    """Posts the queued webhook calls, signed with `secret`; None leaves them queued (the
    calls cannot be signed, so none is sent)."""

    def __init__(self, secret: bytes | None, *, timeout: float = WEBHOOK_TIMEOUT) -> None:
        self.secret = secret
        self.timeout = timeout

    async def deliver(self) -> int:
        if self.secret is None:
            return 0
        async with in_transaction():
            calls = await claim_webhooks(WEBHOOK_BATCH)
        if not calls:
            return 0
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await asyncio.gather(*(self._one(session, call) for call in calls))
        return len(calls)

    async def _one(self, session: aiohttp.ClientSession, call: WebhookCall) -> None:
        assert self.secret is not None
        body = call.body.encode()
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Voronka-Webhooks/1",
            "X-Voronka-Delivery": str(call.id),
            "X-Voronka-Timestamp": str(stamp),
            "X-Voronka-Signature": sign(self.secret, stamp, body),
        }
        status: int | None = None
        error = ""
        try:
            async with session.post(call.url, data=body, headers=headers) as response:
                status = response.status
                if status >= 300:
                    error = (await response.text())[:500]
        except (aiohttp.ClientError, TimeoutError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        try:
            async with in_transaction():
                state = await record_webhook(call, status, error)
        except Exception:
            log.exception("rules: the answer to webhook %d was not recorded", call.id)
            return
        if state is not None and state.value == "dead":
            log.warning("rules: webhook %d is dead: %s %s", call.id, status, error)


def add_rule_jobs(scheduler: AsyncIOScheduler, webhooks: Webhooks) -> None:
    scheduler.add_job(fire_due_rules, "interval", seconds=60, id=FIRE_JOB_ID, replace_existing=True)
    scheduler.add_job(
        retry_failed_runs, "interval", seconds=30, id=RETRY_JOB_ID, replace_existing=True
    )
    scheduler.add_job(
        webhooks.deliver, "interval", seconds=10, id=WEBHOOK_JOB_ID, replace_existing=True
    )
