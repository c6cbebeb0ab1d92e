"""Reminder benchmark: how fast due task reminders reach the outbox.

    .venv/bin/python bench/scheduler.py                  # SQLite: 100k burst + 300/min steady
    .venv/bin/python bench/scheduler.py --burst 2000 --steady 60 --steady-seconds 20   # smoke
    .venv/bin/python bench/scheduler.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Burst: `--burst` open tasks (default 100,000) of 200 managers, each with Telegram and a third
with a phone, all reminding within the same minute, the minute just past. One run of the
reminder job (`schedulers.reminders.remind_due`, as the scheduler calls it) works them off:
prints the time until all are in the outbox and the rows written. Target (issue #6): ≤ 60 s on
SQLite.

Steady: `--steady` reminders per minute (default 300) spread over `--steady-seconds` of wall
time, with the real scheduler ticking the job every `VORONKA_REMINDER_INTERVAL` (1 s) under a
real lease. Latency is the outbox row's `created_at` minus the task's `remind_at`: p50, p99 and
max. Target: p99 ≤ 2 s. Delivery by the relay is not part of it (its own interval adds up to 5 s).

Prints figures; asserts nothing. One dialect per process.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from tortoise.transactions import in_transaction

from models.actor import Actor
from models.channels import use_channels
from models.db import close_database, migrate_database, open_database
from models.entities import Channel, Device, Office, OutboundMessage, Role, Task, User
from models.ops.org import create_office, create_user
from schedulers.clock import Leadership, build_scheduler, follow_leader
from schedulers.reminders import add_reminders, remind_due

USERS = 200
CHUNK = 5000


async def _people() -> list[User]:
    system = Actor.system()
    async with in_transaction():
        office = await create_office(system, name="Bench", timezone="Europe/Moscow")
        users = []
        for n in range(USERS):
            user = await create_user(
                system,
                office_id=office.id,
                role=Role.MANAGER,
                email=f"bench{n}@example.test",
                full_name=f"Manager {n}",
            )
            await User.filter(id=user.id).update(telegram_user_id=700_000 + n)
            if n % 3 == 0:
                await Device.create(user_id=user.id, fcm_token=f"token-{n}", platform="android")
            users.append(user)
    return users


async def _tasks(users: list[User], moments: list[datetime]) -> None:
    office = await Office.first()
    assert office is not None
    rows = [
        Task(
            title=f"Позвонить клиенту {n}",
            assignee_id=users[n % len(users)].id,
            office_id=office.id,
            due_at=at + timedelta(minutes=30),
            remind_at=at,
            remind_pending_at=at,
        )
        for n, at in enumerate(moments)
    ]
    for start in range(0, len(rows), CHUNK):
        async with in_transaction():
            await Task.bulk_create(rows[start : start + CHUNK])


async def burst(count: int) -> None:
    users = await _people()
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    moments = [minute + timedelta(milliseconds=60_000 * n // count) for n in range(count)]
    await _tasks(users, moments)
    started = time.perf_counter()
    announced = await remind_due()
    while announced < count:  # more than one run's worth: the next runs go on
        more = await remind_due()
        if not more:
            break
        announced += more
    elapsed = time.perf_counter() - started
    rows = await OutboundMessage.all().count()
    print(
        f"burst: {announced} reminders due in one minute → outbox in {elapsed:.1f} s "
        f"({announced / elapsed:,.0f}/s), {rows} outbox rows (Telegram + push)"
    )


async def steady(per_minute: int, seconds: float, interval: float) -> None:
    await OutboundMessage.all().delete()
    await Task.all().delete()
    users = await User.all().order_by("id")
    count = max(1, round(per_minute * seconds / 60))
    begin = datetime.now(UTC) + timedelta(seconds=2)
    moments = [begin + timedelta(seconds=seconds * n / count) for n in range(count)]
    await _tasks(users, moments)
    scheduler = build_scheduler()
    add_reminders(scheduler, interval=interval, escalate_after=timedelta(hours=4))
    leadership = Leadership(name="bench")
    follow_leader(scheduler, leadership)
    scheduler.start()
    try:
        await asyncio.sleep(seconds + 4)
    finally:
        scheduler.pause()
        await leadership.stop()
        scheduler.shutdown(wait=False)
    due = {t.id: t.remind_at for t in await Task.all()}
    latencies = []
    for message in await OutboundMessage.filter(channel=Channel.TELEGRAM):
        task_id = int(message.dedup_key.split(":")[1])
        remind_at = due[task_id]
        assert remind_at is not None
        latencies.append((message.created_at - remind_at).total_seconds())
    latencies.sort()
    if not latencies:
        print("steady: nothing reached the outbox")
        return
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"steady: {len(latencies)}/{count} reminders ({per_minute}/min, job every {interval} s): "
        f"latency p50 {statistics.median(latencies):.2f} s, p99 {p99:.2f} s, "
        f"max {latencies[-1]:.2f} s"
    )


async def run(url: str, args: argparse.Namespace) -> None:
    await migrate_database(url)
    await close_database()
    await open_database(url)
    try:
        with use_channels({Channel.TELEGRAM, Channel.PUSH}):
            await burst(args.burst)
            await steady(args.steady, args.steady_seconds, args.interval)
    finally:
        await close_database()


async def bench_sqlite(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        print("sqlite")
        await run(f"sqlite://{Path(folder) / 'bench.sqlite3'}", args)


async def bench_postgres(admin_url: str, args: argparse.Namespace) -> None:
    name = f"voronka_bench_{uuid.uuid4().hex[:8]}"
    dsn = admin_url.replace("postgres://", "postgresql://", 1)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        print("postgres")
        await run(f"{admin_url.rsplit('/', 1)[0]}/{name}", args)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to bench instead")
    parser.add_argument("--burst", type=int, default=100_000)
    parser.add_argument("--steady", type=int, default=300, help="reminders per minute")
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between job runs")
    args = parser.parse_args()
    asyncio.run(bench_postgres(args.postgres, args) if args.postgres else bench_sqlite(args))


if __name__ == "__main__":
    main()
