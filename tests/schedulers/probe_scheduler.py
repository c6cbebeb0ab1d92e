"""`voronka scheduler` with a probe job and a short lease, for the two-process test.

Run as `python -m tests.schedulers.probe_scheduler`. The probe job writes one row per run into
the table `probe_tick` (made by the test) with this process's lease holder id, so the test can
see which processes did work, and when.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from tortoise import connections

import cli.host
import schedulers.clock
import schedulers.housekeeping
from cli.main import main

PROBE_INTERVAL_S = 0.1


def _with_probe(scheduler: AsyncIOScheduler) -> None:
    schedulers.housekeeping.add_housekeeping(scheduler)
    holder = f"pid{os.getpid()}"

    async def probe() -> None:
        await connections.get("default").execute_query(
            "INSERT INTO probe_tick (holder, at) VALUES (?, ?)", [holder, time.time()]
        )

    scheduler.add_job(probe, "interval", seconds=PROBE_INTERVAL_S, id="probe")


if __name__ == "__main__":
    schedulers.clock.LEASE_TTL = timedelta(seconds=1.5)
    schedulers.clock.LEASE_RENEW_SECONDS = 0.3
    cli.host.add_housekeeping = _with_probe
    main()
