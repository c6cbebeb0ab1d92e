"""Deal lists and the deal card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

from models.actor import Actor
from models.entities import (
    Deal,
    Interaction,
    StageKind,
    Task,
    TaskStatus,
)
from models.errors import NotFound
from models.queries.fulltext import search
from models.queries.paging import Page, keyset_page, parse_sort
from models.queries.rows import decoded, fetch, select_list
from models.rules.money import from_minor
from models.scope import get_visible, visible, visible_condition

SORTS: dict[str, type] = {
    "updated_at": datetime,
    "created_at": datetime,
    "stage_entered_at": datetime,
    "id": int,
    "title": str,
}
DealStatus = Literal["open", "won", "lost"]
CARD_INTERACTIONS = 10


@dataclass(frozen=True, slots=True)
class DealFilters:
    owner_id: int | None = None
    office_id: int | None = None
    pipeline_id: int | None = None
    stage_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    status: DealStatus | None = None
    updated_since: datetime | None = None
    q: str | None = None


async def list_deals(
    actor: Actor, filters: DealFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Deal]:
    query = visible(Deal, actor)
    for name in ("owner_id", "office_id", "pipeline_id", "stage_id", "contact_id", "company_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.filter(**{name: value})
    if filters.status is not None:
        query = query.filter(stage__kind=StageKind(filters.status))
    if filters.updated_since is not None:
        query = query.filter(updated_at__gte=filters.updated_since)
    if filters.q:
        query = search(query, "deal", filters.q)
    return await keyset_page(query, parse_sort(sort, SORTS, "-updated_at"), SORTS, after, limit)


async def get_deal(actor: Actor, deal_id: int) -> Deal:
    return await get_visible(Deal, actor, deal_id)


@dataclass(frozen=True, slots=True)
class DealCard:
    """Rows as dicts: the deal (every column, and `amount` as Decimal), its stage (`id, name,
    kind, planned_days`), company (`id, name`), contact (`id, first_name, last_name`), the latest
    interactions and the open tasks (their columns)."""

    deal: dict[str, Any]
    stage: dict[str, Any]
    company: dict[str, Any] | None
    contact: dict[str, Any] | None
    interactions: list[dict[str, Any]]
    open_tasks: list[dict[str, Any]]


def deal_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Decoded deal rows (`rows.decoded`, as `keyset_rows` gives them) with `amount`, the
    Decimal of `amount_minor`."""
    for deal in rows:
        minor = deal["amount_minor"]
        deal["amount"] = None if minor is None else from_minor(minor, deal["currency"])
    return rows


@cache
def _card_statements() -> tuple[str, str, str]:
    """The card's SELECTs, built once Tortoise has filled in every model's columns."""
    deal = f"""
        SELECT {select_list(Deal, '"deal"')},
               s.name AS stage_name, s.kind AS stage_kind, s.planned_days AS stage_planned_days,
               co.name AS company_name, ct.first_name AS contact_first_name,
               ct.last_name AS contact_last_name
        FROM deal
        JOIN stage s ON s.id = deal.stage_id
        LEFT JOIN company co ON co.id = deal.company_id
        LEFT JOIN contact ct ON ct.id = deal.contact_id
        WHERE deal.id = ?
    """
    interactions = f"""
        SELECT {select_list(Interaction, "i")} FROM interaction i
        WHERE i.deal_id = ? ORDER BY i.occurred_at DESC, i.id DESC LIMIT {CARD_INTERACTIONS}
    """
    tasks = f"""
        SELECT {select_list(Task, "t")} FROM task t
        WHERE t.deal_id = ? AND t.status = ? ORDER BY t.due_at, t.id
    """
    return deal, interactions, tasks


async def deal_card(actor: Actor, deal_id: int) -> DealCard:
    """The deal with what a manager looks at next to it, in three hand-written statements: the
    ORM's joins and model instances cost more than the work here (ADR 0014).

    The company and contact are shown because they belong to a visible deal, even when another
    manager owns them.
    """
    sql, interactions_sql, tasks_sql = _card_statements()
    params: list[Any] = [deal_id]
    if (scope := visible_condition(Deal, actor)) is not None:
        condition, scope_params = scope
        sql, params = f"{sql} AND ({condition})", [*params, *scope_params]
    rows = await fetch(sql, params)
    if not rows:
        raise NotFound("deal", deal_id)
    row = rows[0]
    stage = {"id": row["stage_id"], "name": row.pop("stage_name"), "kind": row.pop("stage_kind")}
    stage["planned_days"] = row.pop("stage_planned_days")
    company = {"id": row["company_id"], "name": row.pop("company_name")}
    contact = {
        "id": row["contact_id"],
        "first_name": row.pop("contact_first_name"),
        "last_name": row.pop("contact_last_name"),
    }
    deal = deal_rows(decoded(Deal, [row]))[0]
    interactions = decoded(Interaction, await fetch(interactions_sql, [deal_id]))
    tasks = decoded(Task, await fetch(tasks_sql, [deal_id, TaskStatus.OPEN.value]))
    return DealCard(
        deal,
        stage,
        company if company["id"] is not None else None,
        contact if contact["id"] is not None else None,
        interactions,
        tasks,
    )
