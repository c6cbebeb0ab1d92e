"""Sales: pipelines and stages, leads, deals with their stage history, loss reasons, orders."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.entities.base import Timestamped, Versioned
from models.entities.enums import LeadStatus, OrderStatus, StageKind
from models.rules.money import from_minor

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation, ForeignKeyRelation

    from models.entities.clients import Company, Contact, Source
    from models.entities.org import Office, User


class Pipeline(Timestamped):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    office: ForeignKeyNullableRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="pipelines", null=True, on_delete=fields.RESTRICT
    )
    is_default = fields.BooleanField(default=False)
    position = fields.SmallIntField(default=0)
    stale_after_days = fields.SmallIntField(null=True)

    class Meta:
        table = "pipeline"
        indexes = (("office_id",),)


class Stage(Model):
    """A stage of a pipeline.

    `required_fields` names deal fields (amount, deadline, contact_id, company_id, …) that must be
    filled before a deal may enter this stage.
    """

    id = fields.IntField(primary_key=True)
    pipeline: ForeignKeyRelation[Pipeline] = fields.ForeignKeyField(
        "voronka.Pipeline", related_name="stages", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=200)
    position = fields.SmallIntField(default=0)
    kind = fields.CharEnumField(StageKind, max_length=8, default=StageKind.OPEN)
    probability = fields.SmallIntField(default=0)
    planned_days = fields.SmallIntField(null=True)
    required_fields: list[str] = fields.JSONField(default=list)

    pipeline_id: int

    class Meta:
        table = "stage"
        ordering = ("pipeline_id", "position")
        indexes = (("pipeline_id", "position"),)


class LossReason(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "loss_reason"


class MoneyMixin(Model):
    """Money kept as integer minor units (kopecks) so sums stay exact on SQLite and PostgreSQL."""

    amount_minor = fields.BigIntField(null=True)
    currency = fields.CharField(max_length=3, default="RUB")

    class Meta:
        abstract = True

    @property
    def amount(self) -> Decimal | None:
        return None if self.amount_minor is None else from_minor(self.amount_minor, self.currency)


class Lead(Versioned):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=300)
    person_name = fields.CharField(max_length=300, default="")
    company_name = fields.CharField(max_length=300, default="")
    phone = fields.CharField(max_length=16, null=True, db_index=True)
    email = fields.CharField(max_length=254, null=True, db_index=True)
    inn = fields.CharField(max_length=12, null=True)
    notes = fields.TextField(default="")
    status = fields.CharEnumField(LeadStatus, max_length=16, default=LeadStatus.NEW)
    deadline = fields.DatetimeField(null=True)
    # The deadline value the owner was warned of before, and told of at it (deal_timers.py).
    deadline_warned_for = fields.DatetimeField(null=True)
    deadline_noticed_for = fields.DatetimeField(null=True)
    source: ForeignKeyNullableRelation[Source] = fields.ForeignKeyField(
        "voronka.Source", related_name="leads", null=True, on_delete=fields.SET_NULL
    )
    owner: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="leads", on_delete=fields.RESTRICT
    )
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="leads", on_delete=fields.RESTRICT
    )
    converted_at = fields.DatetimeField(null=True)
    converted_contact: ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="from_leads", null=True, on_delete=fields.SET_NULL
    )
    converted_company: ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "voronka.Company", related_name="from_leads", null=True, on_delete=fields.SET_NULL
    )
    converted_deal: ForeignKeyNullableRelation[Deal] = fields.ForeignKeyField(
        "voronka.Deal", related_name="from_leads", null=True, on_delete=fields.SET_NULL
    )

    owner_id: int
    office_id: int
    source_id: int | None
    converted_contact_id: int | None
    converted_company_id: int | None
    converted_deal_id: int | None

    class Meta:
        table = "lead"
        indexes = (
            ("deadline",),
            ("owner_id", "updated_at"),
            ("office_id", "updated_at"),
        )


class Deal(Versioned, MoneyMixin):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=300)
    pipeline: ForeignKeyRelation[Pipeline] = fields.ForeignKeyField(
        "voronka.Pipeline", related_name="deals", on_delete=fields.RESTRICT
    )
    stage: ForeignKeyRelation[Stage] = fields.ForeignKeyField(
        "voronka.Stage", related_name="deals", on_delete=fields.RESTRICT
    )
    stage_entered_at = fields.DatetimeField()
    owner: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="deals", on_delete=fields.RESTRICT
    )
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="deals", on_delete=fields.RESTRICT
    )
    company: ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "voronka.Company", related_name="deals", null=True, on_delete=fields.RESTRICT
    )
    contact: ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="deals", null=True, on_delete=fields.RESTRICT
    )
    source: ForeignKeyNullableRelation[Source] = fields.ForeignKeyField(
        "voronka.Source", related_name="deals", null=True, on_delete=fields.SET_NULL
    )
    deadline = fields.DatetimeField(null=True)
    loss_reason: ForeignKeyNullableRelation[LossReason] = fields.ForeignKeyField(
        "voronka.LossReason", related_name="deals", null=True, on_delete=fields.RESTRICT
    )
    loss_comment = fields.TextField(default="")
    closed_at = fields.DatetimeField(null=True)
    last_interaction_at = fields.DatetimeField(null=True)
    # What the clock has told about (models/ops/deal_timers.py), each the value it was about:
    # the stage entry overdue (owner, then head), the deadline (before, at), the start of a
    # silence. A new stage entry, deadline or interaction differs, and is told about again.
    stage_noticed_for = fields.DatetimeField(null=True)
    stage_escalated_for = fields.DatetimeField(null=True)
    deadline_warned_for = fields.DatetimeField(null=True)
    deadline_noticed_for = fields.DatetimeField(null=True)
    quiet_noticed_for = fields.DatetimeField(null=True)

    pipeline_id: int
    stage_id: int
    owner_id: int
    office_id: int
    company_id: int | None
    contact_id: int | None
    source_id: int | None
    loss_reason_id: int | None

    class Meta:
        table = "deal"
        # Lists by owner or office, board columns (a stage's deals, longest there first), the
        # deals of a contact or company. The board's counts and sums read only the last two
        # indexes (a manager's deals, or a pipeline's with their office for heads and admins),
        # never the table: 12 ms became 0.4 ms for a manager with 2,000 deals, and a head's
        # board over 20,000 deals 24 ms became 3.4 ms.
        indexes = (
            ("deadline",),
            ("owner_id", "updated_at"),
            ("stage_id", "stage_entered_at"),
            ("office_id", "updated_at"),
            ("contact_id",),
            ("company_id",),
            ("owner_id", "pipeline_id", "stage_id", "currency", "amount_minor"),
            ("pipeline_id", "stage_id", "currency", "amount_minor", "office_id"),
        )


class StageTransition(Model):
    """One stay of a deal in a stage: entered_at until left_at (open while the deal is there)."""

    id = fields.IntField(primary_key=True)
    deal: ForeignKeyRelation[Deal] = fields.ForeignKeyField(
        "voronka.Deal", related_name="transitions", on_delete=fields.CASCADE
    )
    from_stage: ForeignKeyNullableRelation[Stage] = fields.ForeignKeyField(
        "voronka.Stage", related_name="transitions_out", null=True, on_delete=fields.RESTRICT
    )
    stage: ForeignKeyRelation[Stage] = fields.ForeignKeyField(
        "voronka.Stage", related_name="transitions", on_delete=fields.RESTRICT
    )
    entered_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)
    by: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="stage_moves", null=True, on_delete=fields.SET_NULL
    )

    deal_id: int
    stage_id: int
    from_stage_id: int | None
    by_id: int | None

    class Meta:
        table = "stage_transition"
        indexes = (("deal_id", "entered_at"),)


class Order(Versioned, MoneyMixin):
    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=64, unique=True)
    status = fields.CharEnumField(OrderStatus, max_length=16, default=OrderStatus.NEW)
    contact: ForeignKeyNullableRelation[Contact] = fields.ForeignKeyField(
        "voronka.Contact", related_name="orders", null=True, on_delete=fields.RESTRICT
    )
    company: ForeignKeyNullableRelation[Company] = fields.ForeignKeyField(
        "voronka.Company", related_name="orders", null=True, on_delete=fields.RESTRICT
    )
    deal: ForeignKeyNullableRelation[Deal] = fields.ForeignKeyField(
        "voronka.Deal", related_name="orders", null=True, on_delete=fields.SET_NULL
    )
    owner: ForeignKeyRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="orders", on_delete=fields.RESTRICT
    )
    office: ForeignKeyRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="orders", on_delete=fields.RESTRICT
    )

    owner_id: int
    office_id: int
    contact_id: int | None
    company_id: int | None
    deal_id: int | None

    class Meta:
        table = "client_order"
        indexes = (
            ("owner_id", "updated_at"),
            ("office_id", "updated_at"),
            ("contact_id",),
            ("deal_id",),
        )


class OrderStatusChange(Model):
    id = fields.IntField(primary_key=True)
    order: ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "voronka.Order", related_name="status_history", on_delete=fields.CASCADE
    )
    from_status = fields.CharEnumField(OrderStatus, max_length=16, null=True)
    status = fields.CharEnumField(OrderStatus, max_length=16)
    changed_at = fields.DatetimeField()
    comment = fields.CharField(max_length=500, default="")
    by: ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "voronka.User", related_name="order_status_changes", null=True, on_delete=fields.SET_NULL
    )

    order_id: int

    class Meta:
        table = "order_status_change"
        indexes = (("order_id",),)
