"""Plans and KPI definitions as people list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from models.actor import Actor
from models.entities import KpiDefinition, Plan
from models.ops.kpi import visible_plans
from models.ops.org import require_admin
from models.queries.paging import Page, keyset_page, parse_sort

PLAN_SORTS: dict[str, type] = {"id": int}
KPI_SORTS: dict[str, type] = {"id": int}


@dataclass(frozen=True, slots=True)
class PlanFilters:
    user_id: int | None = None
    office_id: int | None = None
    metric: str | None = None
    period_start: date | None = None


async def list_plans(
    actor: Actor, filters: PlanFilters, after: list[Any] | None, limit: int
) -> Page[Plan]:
    """Plans the actor may see: their own (managers), their office tree's (heads), all."""
    query = visible_plans(actor)
    if filters.user_id is not None:
        query = query.filter(user_id=filters.user_id)
    if filters.office_id is not None:
        query = query.filter(office_id=filters.office_id)
    if filters.metric is not None:
        query = query.filter(metric=filters.metric)
    if filters.period_start is not None:
        query = query.filter(period_start=filters.period_start)
    return await keyset_page(query, parse_sort(None, PLAN_SORTS, "id"), PLAN_SORTS, after, limit)


async def list_kpis(
    actor: Actor, active: bool | None, after: list[Any] | None, limit: int
) -> Page[KpiDefinition]:
    require_admin(actor)
    query = KpiDefinition.all()
    if active is not None:
        query = query.filter(is_active=active)
    return await keyset_page(query, parse_sort(None, KPI_SORTS, "id"), KPI_SORTS, after, limit)
