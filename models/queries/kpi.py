"""What KPIs measure, read from the data that exists: interactions, new deals, deals won and
revenue of a user or an office tree over a period (the formulas are in models/rules/kpi.py).

Revenue is a SUM of integer minor units, exact on SQLite and PostgreSQL alike (ADR 0003): the
database never sees a decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from models.entities import Deal, Interaction, KpiMetric, StageKind
from models.rules.kpi import INTERACTION_KINDS, Period


@dataclass(frozen=True, slots=True)
class Whose:
    """One user's figures (`user_id`) or an office tree's (`office_path`, "1/4/")."""

    user_id: int | None = None
    office_path: str | None = None


def _narrow(query: QuerySet[Any], whose: Whose, user_field: str) -> QuerySet[Any]:
    if whose.user_id is not None:
        return query.filter(**{user_field: whose.user_id})
    return query.filter(office__path__startswith=whose.office_path or "")


async def measure(metric: KpiMetric, whose: Whose, period: Period, *, currency: str = "RUB") -> int:
    """The metric's value from the start of `period` to its end (or to now, for the current
    one: nothing later exists yet). Deals count for their owner, interactions for their author."""
    start, end = period.starts_at, period.ends_at
    if metric in INTERACTION_KINDS:
        query = Interaction.filter(
            kind__in=INTERACTION_KINDS[metric], occurred_at__gte=start, occurred_at__lt=end
        )
        return await _narrow(query, whose, "author_id").count()
    if metric is KpiMetric.NEW_DEALS:
        created = Deal.filter(created_at__gte=start, created_at__lt=end)
        return await _narrow(created, whose, "owner_id").count()
    won = _narrow(
        Deal.filter(stage__kind=StageKind.WON, closed_at__gte=start, closed_at__lt=end),
        whose,
        "owner_id",
    )
    if metric is KpiMetric.DEALS_WON:
        return await won.count()
    # Grouped by the one currency asked for: one row, the sum of that currency's amounts.
    rows = (
        await won.filter(currency=currency)
        .annotate(total=Sum("amount_minor"))
        .group_by("currency")
        .values("total")
    )
    total = rows[0]["total"] if rows else None
    return 0 if total is None else int(total)
