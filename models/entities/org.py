"""Organisation: offices (a tree), users, absences and plans."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.clock import now
from models.entities.base import Timestamped
from models.entities.enums import OfficeKind, Role

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation, ForeignKeyRelation


class Office(Timestamped):
    """A node of the company → branch → department tree.

    `path` is the materialised list of ancestor ids ("1/4/9/"), so "this office and everything
    under it" is one prefix comparison instead of a recursive query.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(OfficeKind, max_length=16, default=OfficeKind.BRANCH)
    parent: ForeignKeyNullableRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    timezone = fields.CharField(max_length=64, default="Europe/Moscow")
    path = fields.CharField(max_length=255, default="", db_index=True)

    parent_id: int | None

    class Meta:
        table = "office"
        indexes = (("parent_id",),)


class User(Timestamped):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    phone = fields.CharField(max_length=16, null=True, unique=True)
    full_name = fields.CharField(max_length=200)
    role = fields.CharEnumField(Role, max_length=16, default=Role.MANAGER)
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="users", on_delete=fields.RESTRICT
    )
    language = fields.CharField(max_length=2, default="ru")
    timezone = fields.CharField(max_length=64, null=True)
    is_active = fields.BooleanField(default=True)
    password_hash = fields.CharField(max_length=255, null=True)
    telegram_user_id = fields.BigIntField(null=True, unique=True)
    # Set when Telegram refused a message to the user (they blocked the bot), cleared when they
    # write to the bot again.
    telegram_blocked_at = fields.DatetimeField(null=True)
    # The morning digest (models/ops/digest.py): on or off, at this wall time in the user's zone
    # in minutes after midnight (null: the installation's VORONKA_DIGEST_TIME), and the local
    # date it last went out.
    # db_default: the column is added to tables that have rows (migration 0012).
    digest_enabled = fields.BooleanField(default=True, db_default=True)
    digest_minute = fields.SmallIntField(null=True)
    digest_sent_on = fields.DateField(null=True)

    office_id: int

    class Meta:
        table = "app_user"
        indexes = (("office_id",),)


class Absence(Timestamped):
    """A planned or sudden absence of a user, from `starts_at` to `ends_at`.

    At the start the clock hands the user's open work to `deputy` (or by the hand-over policy)
    and stamps `handed_over_at`. After the end the user is offered the work back once
    (`offered_at`) and answers Take back or Leave (`settled_at`, `settlement`). A cancelled
    absence (`cancelled_at`) does nothing. Every move is a row of `Handover`.
    """

    id = fields.IntField(primary_key=True)
    user: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="absences", on_delete=fields.CASCADE
    )
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    reason = fields.CharField(max_length=200, default="")
    deputy: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="deputising", null=True, on_delete=fields.SET_NULL
    )
    # db_default: the column is added to tables that may have rows (migration 0014).
    sudden = fields.BooleanField(default=False, db_default=False)
    created_by: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="absences_declared", null=True, on_delete=fields.SET_NULL
    )
    cancelled_at = fields.DatetimeField(null=True)
    handed_over_at = fields.DatetimeField(null=True)
    offered_at = fields.DatetimeField(null=True)
    settled_at = fields.DatetimeField(null=True)
    settlement = fields.CharField(max_length=16, null=True)

    user_id: int
    deputy_id: int | None
    created_by_id: int | None

    class Meta:
        table = "absence"
        indexes = (
            ("user_id", "starts_at"),
            ("starts_at",),
            ("ends_at",),
            ("deputy_id",),
            ("created_by_id",),
        )


class Handover(Model):
    """One item (task, deal or lead) moved from an absent user to a substitute.

    `returned_at` is set when Take back moved it home again, `outcome` says what became of it on
    return: returned, kept (Leave) or gone (no longer held by the substitute, or closed).
    """

    id = fields.IntField(primary_key=True)
    absence: ForeignKeyRelation[Absence] = fields.ForeignKeyField(
        "voronka.Absence", related_name="handovers", on_delete=fields.CASCADE
    )
    entity = fields.CharField(max_length=16)
    entity_id = fields.IntField()
    title = fields.CharField(max_length=300, default="")
    from_user: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="handed_over", on_delete=fields.CASCADE
    )
    to_user: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="taken_over", on_delete=fields.CASCADE
    )
    moved_at = fields.DatetimeField(default=now)
    returned_at = fields.DatetimeField(null=True)
    outcome = fields.CharField(max_length=16, null=True)

    absence_id: int
    from_user_id: int
    to_user_id: int

    class Meta:
        table = "handover"
        unique_together = (("absence_id", "entity", "entity_id"),)
        indexes = (("to_user_id",), ("from_user_id",), ("entity", "entity_id"))


class Plan(Timestamped):
    """A target for a user or an office over a period, for one KPI metric.

    `target` is a whole number in the metric's unit: a count for counted metrics, minor units
    (kopecks) of `currency` for revenue, so sums and comparisons stay exact (ADR 0003).
    Exactly one of `user` and `office` is set.
    """

    id = fields.IntField(primary_key=True)
    office: ForeignKeyNullableRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="plans", null=True, on_delete=fields.CASCADE
    )
    user: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="plans", null=True, on_delete=fields.CASCADE
    )
    metric = fields.CharField(max_length=64)
    period_start = fields.DateField()
    period_end = fields.DateField()
    target = fields.BigIntField()
    currency = fields.CharField(max_length=3, default="RUB")

    office_id: int | None
    user_id: int | None

    class Meta:
        table = "plan"
        indexes = (
            ("user_id", "metric", "period_start"),
            ("office_id", "metric", "period_start"),
        )
