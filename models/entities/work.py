"""Work: interactions (calls, meetings, visits…), their attachments, and tasks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.clock import now
from models.entities.base import Versioned
from models.entities.enums import Direction, InteractionKind, TaskStatus

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation, ForeignKeyRelation

    from models.entities.clients import Company, Contact
    from models.entities.messaging import OutboundMessage
    from models.entities.org import Office, User
    from models.entities.sales import Deal, Lead, Stage


class Interaction(Model):
    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(InteractionKind, max_length=16)
    direction = fields.CharEnumField(Direction, max_length=16, null=True)
    outcome = fields.TextField(default="")
    occurred_at = fields.DatetimeField(db_index=True)
    duration_seconds = fields.IntField(null=True)
    deal: ForeignKeyNullableRelation[Deal] = fields.ForeignKeyField(
        "voronka.Deal", related_name="interactions", null=True, on_delete=fields.RESTRICT
    )
    contact: ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="interactions", null=True, on_delete=fields.RESTRICT
    )
    company: ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "voronka.Company", related_name="interactions", null=True, on_delete=fields.RESTRICT
    )
    stage: ForeignKeyNullableRelation[Stage] = fields.ForeignKeyField(
        "voronka.Stage", related_name="interactions", null=True, on_delete=fields.RESTRICT
    )
    author: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="interactions", on_delete=fields.RESTRICT
    )
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="interactions", on_delete=fields.RESTRICT
    )
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    # A message a manager sent through the outbox: the record of it, and where it went.
    outbound_message: ForeignKeyNullableRelation[OutboundMessage] = fields.ForeignKeyField(
        "voronka.OutboundMessage",
        related_name="interactions",
        null=True,
        on_delete=fields.SET_NULL,
    )
    created_at = fields.DatetimeField(default=now)

    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    stage_id: int | None
    author_id: int
    office_id: int
    outbound_message_id: int | None

    class Meta:
        table = "interaction"
        indexes = (
            ("deal_id", "occurred_at"),
            ("contact_id", "occurred_at"),
            ("company_id", "occurred_at"),
            ("author_id", "occurred_at"),
            ("office_id", "occurred_at"),
            ("outbound_message_id",),
        )


class Attachment(Model):
    """A file kept under the data dir. `path` is relative to it."""

    id = fields.IntField(primary_key=True)
    interaction: ForeignKeyRelation[Interaction] = fields.ForeignKeyField(
        "voronka.Interaction", related_name="attachments", on_delete=fields.CASCADE
    )
    file_name = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=127)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    path = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(default=now)

    class Meta:
        table = "attachment"
        indexes = (("interaction_id",),)


class Task(Versioned):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=300)
    description = fields.TextField(default="")
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.OPEN)
    due_at = fields.DatetimeField(null=True, db_index=True)
    remind_at = fields.DatetimeField(null=True, db_index=True)
    completed_at = fields.DatetimeField(null=True)
    # The clock's work list (models/ops/reminders.py): the remind_at not yet announced and the
    # due_at not yet escalated, cleared when done and when the task closes, so that the due
    # ones are one index range however many tasks were reminded before.
    remind_pending_at = fields.DatetimeField(null=True, db_index=True)
    escalate_pending_at = fields.DatetimeField(null=True, db_index=True)
    assignee: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="tasks", on_delete=fields.RESTRICT
    )
    author: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="authored_tasks", null=True, on_delete=fields.SET_NULL
    )
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="tasks", on_delete=fields.RESTRICT
    )
    deal: ForeignKeyNullableRelation[Deal] = fields.ForeignKeyField(
        "voronka.Deal", related_name="tasks", null=True, on_delete=fields.CASCADE
    )
    contact: ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="tasks", null=True, on_delete=fields.CASCADE
    )
    company: ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "voronka.Company", related_name="tasks", null=True, on_delete=fields.CASCADE
    )
    lead: ForeignKeyNullableRelation[Lead] = fields.ForeignKeyField(
        "voronka.Lead", related_name="tasks", null=True, on_delete=fields.CASCADE
    )

    assignee_id: int
    author_id: int | None
    office_id: int
    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    lead_id: int | None

    class Meta:
        table = "task"
        indexes = (
            ("assignee_id", "status", "due_at"),
            ("deal_id", "status"),
            ("contact_id", "status"),
            ("company_id", "status"),
            ("lead_id",),
            ("office_id", "status"),
        )
