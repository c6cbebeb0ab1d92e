"""The scheduler every `voronka run` (or `voronka scheduler`) process starts, and its leader.

APScheduler is only the clock: what is due lives in the database, so a job lost to a restart is
found again on the next tick.

**Misfire policy** (docs/architecture.md, "The clock"): every job coalesces (a backlog of missed
runs, after a pause of the process or a stalled loop, fires once) and still runs when it is late
by up to `MISFIRE_GRACE_SECONDS`, instead of APScheduler's default of one second. A run later than
that is skipped, which loses nothing: the next tick finds every row that is due by then.

**One leader.** Every process starts its scheduler, but only the holder of the database lease
`LEASE_NAME` does work (ADR 0016). The lease job runs at once and every `LEASE_RENEW_SECONDS`,
taking or renewing a lease that lives `LEASE_TTL`; every other job is wrapped by
`Leadership.only_on_leader` and does nothing in a follower. A renewal that fails or is refused
ends the leadership at once, and so does the local end of the hold when the loop stalled past it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import ParamSpec, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise.transactions import in_transaction

from models.clock import now
from models.ops.leases import acquire_lease, new_holder_id, release_lease

MISFIRE_GRACE_SECONDS = 300
LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=30)
LEASE_RENEW_SECONDS: float = 10
LEASE_JOB_ID = "clock.lease"
# On shutdown, jobs in flight get this long to finish before the scheduler cancels them.
STOP_TIMEOUT_SECONDS = 10.0

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def build_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone="UTC",
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )


class Leadership:
    """This process's claim on the scheduler lease."""

    def __init__(
        self, name: str = LEASE_NAME, holder: str | None = None, ttl: timedelta | None = None
    ) -> None:
        self.name = name
        self.holder = holder or new_holder_id()
        self.ttl = ttl or LEASE_TTL
        self._until: datetime | None = None
        self._announced = False  # whether the log last said this process leads
        self._stopping = False
        self._in_flight = 0
        self._idle: asyncio.Event | None = None

    @property
    def is_leader(self) -> bool:
        """Holds the lease, by the last renewal, and the hold has not run out since."""
        return not self._stopping and self._until is not None and now() < self._until

    async def tick(self) -> bool:
        """Take or renew the lease (the lease job). True while this process leads."""
        if self._stopping:
            return False
        async with self._running():
            try:
                async with in_transaction():
                    self._until = await acquire_lease(self.name, self.holder, self.ttl)
            except Exception:
                log.exception("scheduler lease %r: renewal failed", self.name)
                self._until = None
        self._announce()
        return self.is_leader

    async def stop(self, grace: float = STOP_TIMEOUT_SECONDS) -> None:
        """On shutdown: start no more work, let the jobs in flight finish (up to `grace`
        seconds), then release the lease. Call it before shutting the scheduler down, which
        cancels what still runs."""
        self._stopping = True
        if self._idle is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), grace)
        await self.release()

    @contextlib.asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        if self._idle is None:
            self._idle = asyncio.Event()
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def release(self) -> None:
        """Give the lease up (on shutdown), so that another process leads at once."""
        self._until = None
        try:
            async with in_transaction():
                await release_lease(self.name, self.holder)
        except Exception:
            log.exception("scheduler lease %r: release failed", self.name)
        self._announce()

    def _announce(self) -> None:
        leads = self.is_leader
        if leads and not self._announced:
            log.info("scheduler leader: this process (%s) runs the jobs", self.holder)
        elif self._announced and not leads:
            log.info("scheduler follower: %s no longer leads, jobs paused", self.holder)
        self._announced = leads

    def only_on_leader(self, job: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | None]]:
        """The job, doing nothing (returning None) unless this process leads."""

        @functools.wraps(job)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
            if not self.is_leader:
                return None
            async with self._running():
                return await job(*args, **kwargs)

        guarded.leader_only = True  # type: ignore[attr-defined]
        return guarded


def add_leadership(scheduler: AsyncIOScheduler, leadership: Leadership) -> None:
    """The lease job: runs as soon as the scheduler starts, then every LEASE_RENEW_SECONDS."""
    scheduler.add_job(
        leadership.tick,
        "interval",
        seconds=LEASE_RENEW_SECONDS,
        id=LEASE_JOB_ID,
        replace_existing=True,
        next_run_time=datetime.now(UTC),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(1, round(LEASE_RENEW_SECONDS)),
    )


def follow_leader(scheduler: AsyncIOScheduler, leadership: Leadership) -> None:
    """Make every job added so far run only on the leader, and add the lease job.

    Call it after adding the jobs: a job added later is not guarded.
    """
    for job in scheduler.get_jobs():
        if job.id != LEASE_JOB_ID and not getattr(job.func, "leader_only", False):
            scheduler.modify_job(job.id, func=leadership.only_on_leader(job.func))
    add_leadership(scheduler, leadership)
