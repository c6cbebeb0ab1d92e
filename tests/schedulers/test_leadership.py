"""One leader among the schedulers of several processes: only its jobs do work."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

import schedulers.clock
from cli.host import build_clock
from models.clock import FrozenClock, use_clock
from models.ops.leases import lease_holder
from models.settings import Settings
from schedulers.clock import (
    LEASE_JOB_ID,
    LEASE_NAME,
    LEASE_TTL,
    Leadership,
    build_scheduler,
    follow_leader,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("db")


class Counter:
    def __init__(self) -> None:
        self.runs = 0

    async def job(self, step: int = 1) -> int:
        self.runs += step
        return self.runs


async def test_two_schedulers_one_leader_and_the_followers_jobs_do_nothing() -> None:
    a, b = Leadership(holder="a"), Leadership(holder="b")
    work = Counter()
    on_a, on_b = a.only_on_leader(work.job), b.only_on_leader(work.job)
    with use_clock(FrozenClock(T0)):
        assert await a.tick() is True
        assert await b.tick() is False
        assert (a.is_leader, b.is_leader) == (True, False)
        assert await on_b() is None
        assert work.runs == 0, "a follower's job body does not run"
        assert await on_a(step=2) == 2
        assert await lease_holder(LEASE_NAME) == "a"


async def test_renewal_keeps_the_leadership_and_expiry_hands_it_over() -> None:
    a, b = Leadership(holder="a"), Leadership(holder="b")
    with use_clock(FrozenClock(T0)) as clock:
        await a.tick()
        for _ in range(6):  # a minute of renewals every 10 s
            clock.advance(timedelta(seconds=10))
            assert await a.tick() is True
            assert await b.tick() is False
        # a stops renewing (stalled or gone): it stops working when its hold runs out …
        clock.advance(LEASE_TTL)
        assert a.is_leader is False
        # … and b takes over.
        assert await b.tick() is True
        assert await a.tick() is False
        assert (a.is_leader, b.is_leader) == (False, True)


async def test_a_failed_renewal_stops_the_work_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    leader = Leadership(holder="a")
    work = Counter()
    guarded = leader.only_on_leader(work.job)
    with use_clock(FrozenClock(T0)):
        await leader.tick()

        async def broken(*args: object, **kwargs: object) -> None:
            raise ConnectionError("database gone")

        monkeypatch.setattr(schedulers.clock, "acquire_lease", broken)
        assert await leader.tick() is False
        assert leader.is_leader is False
        await guarded()
    assert work.runs == 0


async def test_release_lets_another_process_lead_at_once() -> None:
    a, b = Leadership(holder="a"), Leadership(holder="b")
    with use_clock(FrozenClock(T0)) as clock:
        await a.tick()
        clock.advance(timedelta(seconds=1))
        await a.release()
        assert a.is_leader is False
        assert await b.tick() is True


async def test_leadership_changes_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    a, b = Leadership(holder="a"), Leadership(holder="b")
    caplog.set_level(logging.INFO, logger="schedulers.clock")
    with use_clock(FrozenClock(T0)) as clock:
        await a.tick()
        await a.tick()
        await b.tick()
        clock.advance(LEASE_TTL)
        await b.tick()
        await a.tick()
    lines = [r.getMessage() for r in caplog.records if r.name == "schedulers.clock"]
    assert lines == [
        "scheduler leader: this process (a) runs the jobs",
        "scheduler leader: this process (b) runs the jobs",
        "scheduler follower: a no longer leads, jobs paused",
    ]
    caplog.clear()
    with use_clock(FrozenClock(T0 + LEASE_TTL + timedelta(seconds=1))):
        await b.release()
    assert [r.getMessage() for r in caplog.records] == [
        "scheduler follower: b no longer leads, jobs paused"
    ]


async def test_every_job_but_the_lease_job_runs_only_on_the_leader() -> None:
    scheduler = build_scheduler()
    work = Counter()
    scheduler.add_job(work.job, "interval", seconds=60, id="count")
    leadership = Leadership(holder="a")
    follow_leader(scheduler, leadership)
    follow_leader(scheduler, leadership)  # twice: still wrapped once
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"count", LEASE_JOB_ID}
    assert jobs[LEASE_JOB_ID].func == leadership.tick
    assert getattr(jobs["count"].func, "leader_only", False) is True
    assert getattr(jobs["count"].func, "__wrapped__", None) == work.job
    await jobs["count"].func()
    assert work.runs == 0
    with use_clock(FrozenClock(T0)):
        await leadership.tick()
        await jobs["count"].func()
    assert work.runs == 1


def test_the_host_guards_every_job() -> None:
    clock = build_clock(Settings(database_url="sqlite://:memory:"))
    scheduler, leadership = clock.scheduler, clock.leadership
    jobs = scheduler.get_jobs()
    assert {
        "housekeeping.purge_expired",
        "outbox.relay.telegram",
        "outbox.relay.email",
        "reminders.remind",
        "reminders.escalate",
        "timers.deals",
        "timers.digest",
        LEASE_JOB_ID,
    } <= {j.id for j in jobs}
    for job in jobs:
        if job.id != LEASE_JOB_ID:
            assert getattr(job.func, "leader_only", False) is True, job.id
    assert leadership.holder.count(":") == 2


async def test_stop_lets_the_job_in_flight_finish_then_releases() -> None:
    leader, other = Leadership(holder="a"), Leadership(holder="b")
    started, finish = asyncio.Event(), asyncio.Event()
    done: list[str] = []

    async def slow() -> None:
        started.set()
        await finish.wait()
        done.append("slow")

    with use_clock(FrozenClock(T0)):
        await leader.tick()
        running = asyncio.create_task(leader.only_on_leader(slow)())
        await started.wait()
        stopping = asyncio.create_task(leader.stop(grace=5))
        await asyncio.sleep(0.05)
        assert not stopping.done(), "waits for the job in flight"
        assert await lease_holder(LEASE_NAME) == "a"
        assert leader.is_leader is False, "starts no more work"
        finish.set()
        await asyncio.gather(running, stopping)
        assert done == ["slow"]
        assert await lease_holder(LEASE_NAME) is None
        assert await leader.tick() is False
        assert await other.tick() is True
