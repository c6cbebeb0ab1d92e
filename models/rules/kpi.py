"""KPI formulas: the period a KPI is measured over, how much of it has passed, and how a measured
value reads against a plan or a minimum. Pure (no I/O): the values come from
models/queries/kpi.py, the definitions and plans from the database (ADR 0021).

Every number is a whole number in the metric's unit (a count, or minor units of money) and every
share an exact `Fraction`, so the same data gives the same level on SQLite and PostgreSQL.

Two modes read the thresholds:

- **pace**: the share of the plan achieved, compared with the share of the period elapsed.
  `percent` = value / (target × elapsed) in percent; below `warning` percent is a warning,
  below `critical` a critical breach. On the 15th of a 30-day month with a plan of 100 calls
  and 30 made, the pace is 30 / 50 = 60 %.
- **minimum**: `warning` and `critical` are absolute minimums for the whole period, prorated by
  the share elapsed: 20 visits a month is 10 by the 15th. No plan is needed.

During the first `grace_days` of a period every KPI reads OK: one slow morning on the 1st is
no breach.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from math import ceil
from zoneinfo import ZoneInfo

from models.entities.enums import InteractionKind, KpiLevel, KpiMetric, KpiMode

# What each interaction metric counts. "All interactions" are contacts with a client: a note is
# not one.
INTERACTION_KINDS: dict[KpiMetric, tuple[InteractionKind, ...]] = {
    KpiMetric.INTERACTIONS: (
        InteractionKind.CALL,
        InteractionKind.MEETING,
        InteractionKind.VISIT,
        InteractionKind.EMAIL,
        InteractionKind.MESSAGE,
    ),
    KpiMetric.CALLS: (InteractionKind.CALL,),
    KpiMetric.MEETINGS: (InteractionKind.MEETING,),
    KpiMetric.VISITS: (InteractionKind.VISIT,),
}
MONEY_METRICS = frozenset({KpiMetric.REVENUE})


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days `start`..`end` (both included) on a wall clock `zone`."""

    start: date
    end: date
    zone: str

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(), ZoneInfo(self.zone))

    @property
    def ends_at(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time(), ZoneInfo(self.zone))

    def elapsed(self, at: datetime) -> Fraction:
        """The share of the period passed at `at`, from 0 to 1."""
        total = (self.ends_at - self.starts_at).total_seconds()
        passed = (at - self.starts_at).total_seconds()
        return min(Fraction(1), max(Fraction(0), Fraction(round(passed)) / Fraction(round(total))))

    def day(self, at: datetime) -> int:
        """The day of the period `at` falls on, 1 for the first."""
        return (at.astimezone(ZoneInfo(self.zone)).date() - self.start).days + 1


def month_of(at: datetime, zone: str) -> Period:
    """The calendar month `at` falls in on the wall clock of `zone`."""
    local = at.astimezone(ZoneInfo(zone)).date()
    last = calendar.monthrange(local.year, local.month)[1]
    return Period(local.replace(day=1), local.replace(day=last), zone)


@dataclass(frozen=True, slots=True)
class Thresholds:
    mode: KpiMode
    warning: int
    critical: int
    grace_days: int = 0


@dataclass(frozen=True, slots=True)
class Reading:
    """A KPI at a moment: the value, the plan (pace only), what was expected by now (the plan,
    or the warning minimum, prorated), the pace in percent (pace only), and the level."""

    value: int
    target: int | None
    expected: int
    percent: int | None
    level: KpiLevel


def read(
    thresholds: Thresholds, value: int, target: int | None, period: Period, at: datetime
) -> Reading:
    """How `value` (measured from the start of `period` to `at`) reads against the thresholds.
    A pace KPI without a plan (`target` None or 0) cannot fall behind: it reads OK."""
    elapsed = period.elapsed(at)
    quiet = period.day(at) <= thresholds.grace_days
    if thresholds.mode is KpiMode.PACE:
        if not target:
            return Reading(value, target, 0, None, KpiLevel.OK)
        due = target * elapsed
        expected = ceil(due)
        percent = 100 if due == 0 else int(Fraction(value * 100) / due)
        level = KpiLevel.OK
        if not quiet and due > 0:
            if percent < thresholds.critical:
                level = KpiLevel.CRITICAL
            elif percent < thresholds.warning:
                level = KpiLevel.WARNING
        return Reading(value, target, expected, percent, level)
    warning_due = thresholds.warning * elapsed
    critical_due = thresholds.critical * elapsed
    level = KpiLevel.OK
    if not quiet:
        if value < critical_due:
            level = KpiLevel.CRITICAL
        elif value < warning_due:
            level = KpiLevel.WARNING
    return Reading(value, None, ceil(warning_due), None, level)


def threshold_problems(mode: KpiMode, warning: int, critical: int) -> list[tuple[str, str]]:
    """What is wrong with a pair of thresholds, as (field, code): both are whole numbers of at
    least 0, and a warning comes before a critical breach, so it is the higher bar."""
    problems: list[tuple[str, str]] = []
    if warning < 0:
        problems.append(("warning", "negative"))
    if critical < 0:
        problems.append(("critical", "negative"))
    if not problems and warning < critical:
        problems.append(("critical", "above_warning"))
    if mode is KpiMode.PACE and warning > 1000:
        problems.append(("warning", "too_large"))
    return problems
