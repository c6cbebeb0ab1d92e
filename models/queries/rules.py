"""Automation rules and their run log, as admins list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Rule, RuleEntity, RuleRun, RunOutcome
from models.ops.org import require_admin
from models.ops.rules import get_rule
from models.queries.paging import Page, keyset_page, parse_sort

RULE_SORTS: dict[str, type] = {"name": str, "id": int, "updated_at": datetime}
RUN_SORTS: dict[str, type] = {"id": int}


@dataclass(frozen=True, slots=True)
class RuleFilters:
    entity: RuleEntity | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class RunFilters:
    outcome: RunOutcome | None = None
    record_id: int | None = None
    dry_run: bool | None = None


async def list_rules(
    actor: Actor, filters: RuleFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Rule]:
    """Admins only; by name by default."""
    require_admin(actor)
    query = Rule.all()
    if filters.entity is not None:
        query = query.filter(entity=filters.entity)
    if filters.active is not None:
        query = query.filter(is_active=filters.active)
    return await keyset_page(query, parse_sort(sort, RULE_SORTS, "name"), RULE_SORTS, after, limit)


async def list_runs(
    actor: Actor,
    rule_id: int,
    filters: RunFilters,
    sort: str | None,
    after: list[Any] | None,
    limit: int,
) -> Page[RuleRun]:
    """The runs of one rule, newest first by default."""
    rule = await get_rule(actor, rule_id)
    query = RuleRun.filter(rule_id=rule.id)
    if filters.outcome is not None:
        query = query.filter(outcome=filters.outcome)
    if filters.record_id is not None:
        query = query.filter(record_id=filters.record_id)
    if filters.dry_run is not None:
        query = query.filter(dry_run=filters.dry_run)
    return await keyset_page(query, parse_sort(sort, RUN_SORTS, "-id"), RUN_SORTS, after, limit)
