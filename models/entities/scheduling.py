"""Coordination between the processes that share one database."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.clock import now


class SchedulerLease(Model):
    """A named lease held by one process at a time, for electing the scheduler leader.

    The holder (host, pid and a random part) renews it before `expires_at`. Another process takes
    it over only once it has expired or was released (see models.ops.leases and ADR 0016).
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    holder = fields.CharField(max_length=200)
    expires_at = fields.DatetimeField()
    renewed_at = fields.DatetimeField(default=now)

    class Meta:
        table = "scheduler_lease"
