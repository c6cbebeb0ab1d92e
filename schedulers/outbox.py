"""The outbox relay: claims due messages, delivers them through the channels, records results.

Each channel is a lane of its own, and the lanes run side by side: a backlog on one channel (a
campaign paced at Telegram's 30 a second) never holds up another (an order notice by email). In
each lane, a run claims a batch of that channel's due messages in one short transaction,
delivers each outside any transaction (a few at a time), and records each result in its own
short transaction. A failure of one message,
in its channel or in recording it, never stops the others: a message whose result could not be
recorded stays `sending` and is claimed again when its claim expires. See models/ops/outbox.py
for the states and docs/adr/0015-outbox-and-relay.md for the design.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.channels import ChannelAdapter, DeliveryResult, Outgoing
from models.entities import Channel, MessageState
from models.ops.outbox import SENDING_TIMEOUT, claim_due, record_delivery

log = logging.getLogger(__name__)

JOB_ID = "outbox.relay"
BATCH_SIZE = 50
CONCURRENCY = 4
# A backlog is worked off within one run, up to this many batches; the next run goes on.
MAX_BATCHES = 20


class Relay:
    def __init__(
        self,
        channels: Mapping[Channel, ChannelAdapter],
        *,
        max_attempts: int = 12,
        batch_size: int = BATCH_SIZE,
        concurrency: int = CONCURRENCY,
        claim_for: timedelta = SENDING_TIMEOUT,
        rng: random.Random | None = None,
    ) -> None:
        self.channels = dict(channels)
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.claim_for = claim_for
        self.rng = rng
        self._slots = {channel: asyncio.Semaphore(concurrency) for channel in Channel}

    async def close(self) -> None:
        for adapter in self.channels.values():
            await adapter.close()

    async def run_once(self) -> Counter[str]:
        """One batch in every lane: returns how many messages ended in which state ("stale": the
        claim had expired and was taken over; "unrecorded": the result could not be written)."""
        return _added(await asyncio.gather(*(self._batch(channel) for channel in Channel)))

    async def drain(self) -> Counter[str]:
        """Every lane runs until its due messages are done (or MAX_BATCHES): the scheduled
        job."""
        return _added(await asyncio.gather(*(self.drain_lane(channel) for channel in Channel)))

    async def drain_lane(self, channel: Channel) -> Counter[str]:
        """One lane until its due messages are done (or MAX_BATCHES): each lane is a job of its
        own, so a slow channel (SMS at 1 a second) never keeps a fast one waiting for the next
        run."""
        total: Counter[str] = Counter()
        for _ in range(MAX_BATCHES):
            done = await self._batch(channel)
            total += done
            if sum(done.values()) < self.batch_size:
                break
        if total:
            outcomes = ", ".join(f"{n} {state}" for state, n in sorted(total.items()))
            log.info("outbox %s: %s", channel, outcomes)
        return total

    async def _batch(self, channel: Channel) -> Counter[str]:
        async with in_transaction():
            claimed = await claim_due(self.batch_size, channel, claim_for=self.claim_for)
        return Counter(await asyncio.gather(*(self._one(message) for message in claimed)))

    async def _one(self, message: Outgoing) -> str:
        async with self._slots[message.channel]:
            result = await self._deliver(message)
        try:
            async with in_transaction():
                state = await record_delivery(
                    message, result, max_attempts=self.max_attempts, rng=self.rng
                )
        except Exception:
            log.exception("outbox: the result of message %d was not recorded", message.id)
            return "unrecorded"
        if state is MessageState.DEAD:
            log.warning("outbox: message %d is dead: %s", message.id, result.error)
        return state.value if state is not None else "stale"

    async def _deliver(self, message: Outgoing) -> DeliveryResult:
        adapter = self.channels.get(message.channel)
        if adapter is None:
            # Configured when the message was written, not in this process: wait for it.
            return DeliveryResult.retry(f"{message.channel} is not configured in this process")
        try:
            return await adapter.deliver(message)
        except Exception as error:
            log.exception("outbox: %s failed on message %d", message.channel, message.id)
            return DeliveryResult.retry(f"{type(error).__name__}: {error}")


def _added(counters: list[Counter[str]]) -> Counter[str]:
    return sum(counters, Counter())


def add_outbox_relay(scheduler: AsyncIOScheduler, relay: Relay, interval: float) -> None:
    """Run each channel's lane every `interval` seconds, as job `outbox.relay.<channel>`. A
    lane's runs never overlap; a late run still runs, and missed runs coalesce into one: what is
    due lives in the table, not in the scheduler."""
    for channel in Channel:
        scheduler.add_job(
            relay.drain_lane,
            "interval",
            args=[channel],
            seconds=interval,
            id=f"{JOB_ID}.{channel}",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(60, int(interval * 4)),
        )
