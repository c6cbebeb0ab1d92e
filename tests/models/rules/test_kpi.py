"""KPI formulas without a database: the month on a wall clock, pace and prorated minimums,
the quiet first days, thresholds that make sense."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from models.entities import KpiLevel, KpiMode
from models.rules.kpi import Thresholds, month_of, read, threshold_problems

MOSCOW = "Europe/Moscow"
PACE = Thresholds(KpiMode.PACE, warning=80, critical=50, grace_days=3)
MINIMUM = Thresholds(KpiMode.MINIMUM, warning=20, critical=10, grace_days=0)


def test_the_month_is_read_on_the_wall_clock() -> None:
    # 31 March 22:30 UTC is already 1 April in Moscow.
    april = month_of(datetime(2025, 3, 31, 22, 30, tzinfo=UTC), MOSCOW)
    assert (april.start, april.end) == (date(2025, 4, 1), date(2025, 4, 30))
    assert april.starts_at == datetime(2025, 3, 31, 21, 0, tzinfo=UTC)
    assert april.ends_at == datetime(2025, 4, 30, 21, 0, tzinfo=UTC)
    assert april.elapsed(april.starts_at) == 0
    assert april.elapsed(datetime(2025, 4, 15, 21, 0, tzinfo=UTC)) == Fraction(1, 2)
    assert april.elapsed(datetime(2025, 6, 1, tzinfo=UTC)) == 1


@pytest.mark.parametrize(
    ("value", "percent", "level"),
    [
        (50, 100, KpiLevel.OK),
        (40, 80, KpiLevel.OK),
        (39, 78, KpiLevel.WARNING),
        (25, 50, KpiLevel.WARNING),
        (24, 48, KpiLevel.CRITICAL),
        (0, 0, KpiLevel.CRITICAL),
    ],
)
def test_pace_compares_the_share_achieved_with_the_share_elapsed(
    value: int, percent: int, level: KpiLevel
) -> None:
    april = month_of(datetime(2025, 4, 10, tzinfo=UTC), MOSCOW)
    halfway = datetime(2025, 4, 15, 21, 0, tzinfo=UTC)
    reading = read(PACE, value, 100, april, halfway)
    assert (reading.expected, reading.percent, reading.level) == (50, percent, level)


def test_the_first_days_are_quiet_and_no_plan_is_no_breach() -> None:
    april = month_of(datetime(2025, 4, 10, tzinfo=UTC), MOSCOW)
    third = datetime(2025, 4, 3, 12, 0, tzinfo=UTC)
    assert read(PACE, 0, 100, april, third).level is KpiLevel.OK
    fourth = datetime(2025, 4, 4, 12, 0, tzinfo=UTC)
    assert read(PACE, 0, 100, april, fourth).level is KpiLevel.CRITICAL
    assert read(PACE, 0, None, april, fourth).level is KpiLevel.OK
    assert read(PACE, 0, 0, april, fourth).level is KpiLevel.OK


def test_a_minimum_is_prorated() -> None:
    april = month_of(datetime(2025, 4, 10, tzinfo=UTC), MOSCOW)
    halfway = datetime(2025, 4, 15, 21, 0, tzinfo=UTC)  # 10 visits due of 20, 5 of 10
    assert read(MINIMUM, 10, None, april, halfway).level is KpiLevel.OK
    assert read(MINIMUM, 9, None, april, halfway).level is KpiLevel.WARNING
    assert read(MINIMUM, 4, None, april, halfway).level is KpiLevel.CRITICAL
    assert read(MINIMUM, 9, None, april, halfway).expected == 10


def test_exact_with_big_money_values() -> None:
    april = month_of(datetime(2025, 4, 10, tzinfo=UTC), MOSCOW)
    halfway = datetime(2025, 4, 15, 21, 0, tzinfo=UTC)
    plan = 10**15 + 1  # kopecks: floats would lose the last one
    reading = read(PACE, plan // 2 + 1, plan, april, halfway)
    assert reading.expected == plan // 2 + 1
    assert reading.percent == 100


def test_threshold_problems() -> None:
    assert threshold_problems(KpiMode.PACE, 80, 50) == []
    assert threshold_problems(KpiMode.PACE, 50, 80) == [("critical", "above_warning")]
    assert threshold_problems(KpiMode.MINIMUM, -1, 0) == [("warning", "negative")]
    assert threshold_problems(KpiMode.PACE, 5000, 10) == [("warning", "too_large")]
