"""Named leases: one process at a time holds each, so that duties are not done twice.

A lease row (`SchedulerLease`) names its holder and when the hold ends. Taking and renewing are
one conditional UPDATE (`WHERE name = ? AND (holder = ? OR expires_at <= now)`), atomic on
SQLite (the write lock) and on PostgreSQL (the row lock, with the condition re-checked on the
latest row version), so of several processes racing for a free lease exactly one gets it. The
first use of a name inserts the row; a concurrent insert of the same name loses on the unique
name. Times come from models.clock: processes on several hosts need clocks in step (NTP) to
within a fraction of the lease's time to live.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.clock import now
from models.entities import SchedulerLease


def new_holder_id() -> str:
    """This process, unmistakably: host, pid, and a random part (pids are reused)."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(6)}"


async def acquire_lease(name: str, holder: str, ttl: timedelta) -> datetime | None:
    """Take the lease when it is free or expired, or renew it when `holder` has it.

    Returns when the hold ends (now + ttl), or None when another holder has it. Runs in the
    caller's transaction, the insert of a first use in a savepoint.
    """
    at = now()
    until = at + ttl
    taken = await SchedulerLease.filter(
        Q(name=name), Q(holder=holder) | Q(expires_at__lte=at)
    ).update(holder=holder, expires_at=until, renewed_at=at)
    if taken:
        return until
    if await SchedulerLease.exists(name=name):
        return None
    try:
        async with in_transaction():
            await SchedulerLease.create(name=name, holder=holder, expires_at=until, renewed_at=at)
    except IntegrityError:  # another process inserted it first: it is theirs
        return None
    return until


async def release_lease(name: str, holder: str) -> bool:
    """Give the lease up (on shutdown), so another process takes it at once. False when
    `holder` did not have it."""
    released = await SchedulerLease.filter(name=name, holder=holder).update(expires_at=now())
    return released > 0


async def lease_holder(name: str) -> str | None:
    """Who holds the lease now, if anyone."""
    lease = await SchedulerLease.get_or_none(name=name, expires_at__gt=now())
    return lease.holder if lease is not None else None
