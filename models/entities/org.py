"""Organisation: offices (a tree), users, absences and plans."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields

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
    digest_enabled = fields.BooleanField(default=True)
    digest_minute = fields.SmallIntField(null=True)
    digest_sent_on = fields.DateField(null=True)

    office_id: int

    class Meta:
        table = "app_user"
        indexes = (("office_id",),)


class Absence(Timestamped):
    """A planned or sudden absence. Automation hands the user's work to `deputy` meanwhile."""

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

    class Meta:
        table = "absence"
        indexes = (("user_id", "starts_at"),)


class Plan(Timestamped):
    """A target for a user or an office over a period, for one KPI metric."""

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
    target = fields.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        table = "plan"
        indexes = (
            ("user_id",),
            ("office_id",),
        )
