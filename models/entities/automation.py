"""Automation: rules (trigger, conditions, actions), the log of their runs, webhook calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from models.clock import now
from models.entities.base import Versioned
from models.entities.enums import DeliveryState, RuleEntity, RunOutcome

if TYPE_CHECKING:
    from tortoise.fields.relational import ForeignKeyNullableRelation, ForeignKeyRelation

    from models.entities.org import Office


class Rule(Versioned):
    """An automation rule: when `trigger` happens to a record of `entity` and `conditions` hold,
    run `actions` in order.

    Trigger, conditions and actions are JSON in the canonical form models.rules.automation
    checks and writes (names of stages, sources and the like resolved to ids). `office` limits
    the rule to records of that office and below (null: every office). `checked_until` is how
    far the clock has looked for due time and schedule occurrences.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, unique=True)
    description = fields.TextField(default="")
    entity = fields.CharEnumField(RuleEntity, max_length=16)
    trigger: dict[str, Any] = fields.JSONField()
    conditions: dict[str, Any] = fields.JSONField(default=dict)
    actions: list[dict[str, Any]] = fields.JSONField(default=list)
    is_active = fields.BooleanField(default=True)
    office: ForeignKeyNullableRelation[Office] = fields.ForeignKeyField(
        "voronka.Office", related_name="rules", null=True, on_delete=fields.RESTRICT
    )
    checked_until = fields.DatetimeField(null=True)

    office_id: int | None

    class Meta:
        table = "automation_rule"
        indexes = (("entity", "is_active"), ("office_id",))


class RuleRun(Model):
    """One run of a rule on one record: the event that caused it, the outcome, what each action
    did (`results`, one entry per action), the error, and the attempts.

    `dedup_key` makes a time or schedule occurrence fire once. A failed run with
    `next_attempt_at` is retried by the clock (only its failed actions), and becomes dead when
    the attempts run out. `depth` counts the rule runs that led to this one (the loop guard).
    A dry run changed nothing and is kept for the record.
    """

    id = fields.IntField(primary_key=True)
    rule: ForeignKeyRelation[Rule] = fields.ForeignKeyField(
        "voronka.Rule", related_name="runs", on_delete=fields.CASCADE
    )
    entity = fields.CharEnumField(RuleEntity, max_length=16)
    record_id = fields.IntField()
    event = fields.CharField(max_length=32)
    dedup_key = fields.CharField(max_length=200, null=True, unique=True)
    outcome = fields.CharEnumField(RunOutcome, max_length=8)
    results: list[dict[str, Any]] = fields.JSONField(default=list)
    error = fields.TextField(default="")
    attempts = fields.SmallIntField(default=1)
    depth = fields.SmallIntField(default=0)
    dry_run = fields.BooleanField(default=False)
    next_attempt_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(default=now)
    finished_at = fields.DatetimeField(null=True)

    rule_id: int

    class Meta:
        table = "rule_run"
        indexes = (("rule_id", "id"), ("outcome", "next_attempt_at"))


class WebhookDelivery(Model):
    """A signed POST a rule asked for, delivered by the clock outside any transaction.

    Written with the run that queued it. The clock claims due rows (`next_attempt_at`), posts
    the body with an HMAC-SHA256 signature and records the answer: sent, failed with a retry
    planned, or dead (a 4xx answer, or attempts exhausted).
    """

    id = fields.IntField(primary_key=True)
    run: ForeignKeyNullableRelation[RuleRun] = fields.ForeignKeyField(
        "voronka.RuleRun", related_name="deliveries", null=True, on_delete=fields.SET_NULL
    )
    action_index = fields.SmallIntField(default=0)
    url = fields.CharField(max_length=2000)
    body = fields.TextField()
    dedup_key = fields.CharField(max_length=200, unique=True)
    state = fields.CharEnumField(DeliveryState, max_length=8, default=DeliveryState.QUEUED)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    last_status = fields.SmallIntField(null=True)
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField(default=now)
    sent_at = fields.DatetimeField(null=True)

    run_id: int | None

    class Meta:
        table = "webhook_delivery"
        indexes = (("state", "next_attempt_at"), ("run_id",))
