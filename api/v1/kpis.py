"""Plans (/v1/plans), KPI definitions (/v1/kpis) and KPI status (/v1/me/kpis,
/v1/offices/{id}/kpis). See docs/absence-and-kpi.md and ADR 0021.

Numbers of a metric travel as decimal strings in the metric's unit: a count ("40"), or an
amount in the plan's currency for revenue ("1500000.00").
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BeforeValidator, Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from models.entities import (
    KpiLevel,
    KpiMetric,
    KpiMode,
    KpiRecipient,
    KpiSubject,
    Plan,
)
from models.ops.kpi import (
    KpiStatus,
    create_kpi,
    create_plan,
    delete_plan,
    get_kpi,
    get_plan,
    my_kpis,
    office_kpis,
    update_kpi,
    update_plan,
)
from models.queries.kpi_lists import PlanFilters, list_kpis, list_plans
from models.rules.kpi import MONEY_METRICS
from models.rules.money import from_minor

plans = APIRouter(prefix="/plans", tags=["plans"], responses=problem_responses(401))
kpis = APIRouter(prefix="/kpis", tags=["kpis"], responses=problem_responses(401))
status_routes = APIRouter(tags=["kpis"], responses=problem_responses(401))

Figure = Annotated[
    str,
    Field(
        max_length=32,
        pattern=r"^\s*\d[\d\s]*([.,]\d+)?\s*$",
        description='A count ("40") or, for revenue, an amount ("1500000.00")',
        examples=["40"],
    ),
]
Threshold = Annotated[int, Field(ge=0, le=1_000_000_000_000_000)]
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: object) -> object:
    """A day in a query is ISO 8601 text ("2026-03-01"): pydantic would also read a number as a
    Unix time, which the contract does not promise."""
    if value is not None and not (isinstance(value, str) and _ISO_DAY.match(value)):
        raise ValueError("expected an ISO 8601 date")
    return value


def _figure(metric: KpiMetric | str, value: int | None, currency: str) -> str | None:
    if value is None:
        return None
    if KpiMetric(metric) in MONEY_METRICS:
        return str(from_minor(value, currency))
    return str(value)


# Plans


class PlanCreate(Input):
    user_id: Id | None = Field(default=None, description="Either a user…")
    office_id: Id | None = Field(default=None, description="…or an office")
    metric: KpiMetric
    period_start: date = Field(description="The first day of a month")
    period_end: date = Field(description="The last day of the same month")
    target: Figure
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "RUB"


class PlanUpdate(Input):
    target: Figure


class PlanOut(Output):
    id: int
    user_id: Id | None
    office_id: Id | None
    metric: KpiMetric
    period_start: date
    period_end: date
    target: str
    currency: str
    created_at: datetime
    updated_at: datetime


def _plan(plan: Plan) -> PlanOut:
    return PlanOut.model_validate(
        {
            **{name: getattr(plan, name) for name in PlanOut.model_fields if name != "target"},
            "target": _figure(plan.metric, plan.target, plan.currency),
        }
    )


@plans.get("", operation_id="listPlans", responses=problem_responses(422))
async def list_plans_(
    actor: CurrentActor,
    _: Transaction,
    user_id: Id | None = None,
    office_id: Id | None = None,
    metric: KpiMetric | None = None,
    period_start: Annotated[
        date | None, BeforeValidator(_iso_day), Query(description="The first day of a month")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[PlanOut]:
    """Your own plans (managers), your office tree's (heads), all (admins)."""
    filters = PlanFilters(user_id, office_id, metric, period_start)
    page = await list_plans(actor, filters, decode_cursor(cursor), limit)
    return page_out(page, [_plan(p) for p in page.items])


@plans.post(
    "",
    operation_id="createPlan",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def create_plan_(
    body: PlanCreate, actor: CurrentActor, _: Transaction, response: Response
) -> PlanOut:
    """Heads for their office tree, admins for anyone. One plan per user or office, metric and
    month."""
    plan = await create_plan(actor, body.model_dump(exclude_unset=True))
    response.headers["Location"] = f"/v1/plans/{plan.id}"
    return _plan(plan)


@plans.get("/{plan_id}", operation_id="getPlan", responses=problem_responses(404))
async def get_plan_(plan_id: Id, actor: CurrentActor, _: Transaction) -> PlanOut:
    return _plan(await get_plan(actor, plan_id))


@plans.patch("/{plan_id}", operation_id="updatePlan", responses=problem_responses(403, 404, 422))
async def update_plan_(
    plan_id: Id, body: PlanUpdate, actor: CurrentActor, _: Transaction
) -> PlanOut:
    return _plan(await update_plan(actor, plan_id, body.model_dump(exclude_unset=True)))


@plans.delete(
    "/{plan_id}",
    operation_id="deletePlan",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(403, 404),
)
async def delete_plan_(plan_id: Id, actor: CurrentActor, _: Transaction) -> None:
    await delete_plan(actor, plan_id)


# KPI definitions


class KpiFields(Input):
    subject: KpiSubject | None = Field(
        default=None, description="Measured per user (default) or per office tree"
    )
    mode: KpiMode | None = Field(
        default=None,
        description="pace (default): thresholds are percent of the plan's pace; minimum: "
        "absolute minimums for the month, prorated",
    )
    office_id: Id | None = Field(
        default=None, description="Only this office and below; null: the whole company"
    )
    grace_days: Annotated[int, Field(ge=0, le=31)] | None = None
    notify: KpiRecipient | None = Field(default=None, description="Who is alerted (default both)")
    task_for: KpiRecipient | None = Field(
        default=None, description="Who gets the task (default the user)"
    )
    is_active: bool | None = None


class KpiCreate(KpiFields):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    metric: KpiMetric
    warning: Threshold
    critical: Threshold


class KpiUpdate(KpiFields):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    metric: KpiMetric | None = None
    warning: Threshold | None = None
    critical: Threshold | None = None


class KpiOut(Output):
    id: int
    name: str
    metric: KpiMetric
    subject: KpiSubject
    mode: KpiMode
    warning: int
    critical: int
    office_id: Id | None
    grace_days: int
    notify: KpiRecipient
    task_for: KpiRecipient
    is_active: bool
    created_at: datetime
    updated_at: datetime


def _kpi_values(body: Input) -> dict[str, object]:
    return {
        k: v
        for k, v in body.model_dump(exclude_unset=True).items()
        if v is not None or k == "office_id"
    }


@kpis.get("", operation_id="listKpis", responses=problem_responses(403, 422))
async def list_kpis_(
    actor: CurrentActor,
    _: Transaction,
    active: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[KpiOut]:
    """Admins only."""
    page = await list_kpis(actor, active, decode_cursor(cursor), limit)
    return page_out(page, [KpiOut.model_validate(k) for k in page.items])


@kpis.post(
    "",
    operation_id="createKpi",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def create_kpi_(
    body: KpiCreate, actor: CurrentActor, _: Transaction, response: Response
) -> KpiOut:
    """Admins only. The warning threshold is the higher bar: warning ≥ critical."""
    kpi = await create_kpi(actor, _kpi_values(body))
    response.headers["Location"] = f"/v1/kpis/{kpi.id}"
    return KpiOut.model_validate(kpi)


@kpis.get("/{kpi_id}", operation_id="getKpi", responses=problem_responses(403, 404))
async def get_kpi_(kpi_id: Id, actor: CurrentActor, _: Transaction) -> KpiOut:
    return KpiOut.model_validate(await get_kpi(actor, kpi_id))


@kpis.patch("/{kpi_id}", operation_id="updateKpi", responses=problem_responses(403, 404, 422))
async def update_kpi_(kpi_id: Id, body: KpiUpdate, actor: CurrentActor, _: Transaction) -> KpiOut:
    """Admins only. Only the fields sent change; `is_active: false` stops its alerts."""
    return KpiOut.model_validate(await update_kpi(actor, kpi_id, _kpi_values(body)))


# Status


class KpiStatusOut(Output):
    kpi_id: Id
    name: str
    metric: KpiMetric
    mode: KpiMode
    user_id: Id | None = Field(description="Whose KPI: a user…")
    office_id: Id | None = Field(description="…or an office tree")
    period_start: date
    period_end: date
    value: str = Field(description="Achieved so far this month")
    target: str | None = Field(description="The plan for the month (pace mode), if any")
    expected: str = Field(description="What was due by now: the plan or the minimum, prorated")
    percent: int | None = Field(description="Value as a percent of what was due (pace mode)")
    level: KpiLevel
    currency: str


def _status(item: KpiStatus) -> KpiStatusOut:
    definition, reading = item.definition, item.reading
    metric = KpiMetric(definition.metric)
    return KpiStatusOut(
        kpi_id=definition.id,
        name=definition.name,
        metric=metric,
        mode=KpiMode(definition.mode),
        user_id=item.user_id,
        office_id=item.office_id,
        period_start=item.period.start,
        period_end=item.period.end,
        value=_figure(metric, reading.value, item.currency) or "0",
        target=_figure(metric, reading.target, item.currency),
        expected=_figure(metric, reading.expected, item.currency) or "0",
        percent=reading.percent,
        level=reading.level,
        currency=item.currency,
    )


@status_routes.get("/me/kpis", operation_id="getMyKpis", tags=["me"])
async def my_status(actor: CurrentActor, _: Transaction) -> list[KpiStatusOut]:
    """Your KPIs this month."""
    return [_status(s) for s in await my_kpis(actor)]


@status_routes.get(
    "/offices/{office_id}/kpis",
    operation_id="getOfficeKpis",
    tags=["offices"],
    responses=problem_responses(404),
)
async def office_status(office_id: Id, actor: CurrentActor, _: Transaction) -> list[KpiStatusOut]:
    """The office tree's KPIs this month; heads and admins also see each of its people's."""
    return [_status(s) for s in await office_kpis(actor, office_id)]
