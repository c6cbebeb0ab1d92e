"""KPI definitions and the ledger of their breaches (see ADR 0021)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.clock import now
from models.entities.base import Timestamped
from models.entities.enums import KpiLevel, KpiMetric, KpiMode, KpiRecipient, KpiSubject

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation, ForeignKeyRelation

    from models.entities.org import Office, User
    from models.entities.work import Task


class KpiDefinition(Timestamped):
    """A KPI: a metric measured per user or per office over a calendar month, with warning and
    critical thresholds read as `mode` says.

    `office` narrows it to an office and everything under it (none: the whole company).
    `grace_days` keeps the first days of a month quiet, when every pace looks poor.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    metric = fields.CharEnumField(KpiMetric, max_length=32)
    subject = fields.CharEnumField(KpiSubject, max_length=16, default=KpiSubject.USER)
    mode = fields.CharEnumField(KpiMode, max_length=16, default=KpiMode.PACE)
    warning = fields.BigIntField()
    critical = fields.BigIntField()
    office: ForeignKeyNullableRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="kpi_definitions", null=True, on_delete=fields.CASCADE
    )
    grace_days = fields.IntField(default=3)
    notify = fields.CharEnumField(KpiRecipient, max_length=16, default=KpiRecipient.BOTH)
    task_for = fields.CharEnumField(KpiRecipient, max_length=16, default=KpiRecipient.USER)
    is_active = fields.BooleanField(default=True)

    office_id: int | None

    class Meta:
        table = "kpi_definition"
        indexes = (("office_id",),)


class KpiBreach(Model):
    """A KPI found below a threshold for a user or an office in a period, once per level.

    `subject_key` ("user:7", "office:3") makes the once-per-level rule a unique key on both
    databases, where NULLs would not be. `value`, `target` and `expected` are what was measured,
    in the metric's unit, at `detected_at`.
    """

    id = fields.IntField(primary_key=True)
    definition: ForeignKeyRelation[KpiDefinition] = fields.ForeignKeyField(
        "voronka.KpiDefinition", related_name="breaches", on_delete=fields.CASCADE
    )
    subject_key = fields.CharField(max_length=32)
    user: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="kpi_breaches", null=True, on_delete=fields.CASCADE
    )
    office: ForeignKeyNullableRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="kpi_breaches", null=True, on_delete=fields.CASCADE
    )
    period_start = fields.DateField()
    level = fields.CharEnumField(KpiLevel, max_length=16)
    value = fields.BigIntField()
    target = fields.BigIntField(null=True)
    expected = fields.BigIntField()
    detected_at = fields.DatetimeField(default=now)
    task: ForeignKeyNullableRelation[Task] = fields.ForeignKeyField(
        "voronka.Task", related_name="kpi_breaches", null=True, on_delete=fields.SET_NULL
    )

    definition_id: int
    user_id: int | None
    office_id: int | None
    task_id: int | None

    class Meta:
        table = "kpi_breach"
        unique_together = (("definition_id", "subject_key", "period_start", "level"),)
        indexes = (("user_id", "period_start"), ("office_id", "period_start"), ("task_id",))
