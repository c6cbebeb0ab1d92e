"""KPIs over real data with time travel: exact revenue, plans and their refusals, a breach that
alerts and creates a task once per level per month, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.actor import Actor
from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import (
    Channel,
    KpiBreach,
    KpiLevel,
    KpiMetric,
    OutboundMessage,
    Task,
    User,
)
from models.errors import Forbidden, NotFound, ValidationFailed
from models.ops.deals import win_deal
from models.ops.interactions import log_interaction
from models.ops.kpi import (
    check_kpi,
    create_kpi,
    create_plan,
    kpi_subjects,
    my_kpis,
    office_kpis,
    update_kpi,
    update_plan,
)
from models.queries.kpi import Whose, measure
from models.rules.kpi import month_of
from schedulers.kpi import evaluate_kpis
from tests.factories import Org, make_contact, make_deal, make_org, make_pipeline
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db")

# Monday 3 March 2025, 12:00 in Moscow.
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MARCH = {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    with use_clock(FrozenClock(START)) as frozen, use_channels({Channel.TELEGRAM}):
        yield frozen


@pytest.fixture
async def org(clock: FrozenClock) -> Org:
    org = await make_org()
    await make_pipeline()
    for actor, chat in ((org.manager, 901), (org.head, 902)):
        await User.filter(id=actor.user_id).update(telegram_user_id=chat)
    return org


async def _won(actor: Actor, amount: str) -> None:
    deal = await make_deal(actor)
    await win_deal(actor, deal.id, version=None, values={"amount": amount})


async def test_revenue_is_an_exact_sum_of_won_deals(org: Org) -> None:
    for amount in ("0.10", "0.20", "1234567890.99", "0.01"):
        await _won(org.manager, amount)
    await _won(org.colleague, "5.00")
    await make_deal(org.manager, amount="999.00")  # open: not revenue
    march = month_of(START, "Europe/Moscow")

    assert (
        await measure(KpiMetric.REVENUE, Whose(user_id=org.manager.user_id), march) == 123456789130
    )
    north = Whose(office_path=org.north.path)
    assert await measure(KpiMetric.REVENUE, north, march) == 123456789630
    assert await measure(KpiMetric.DEALS_WON, north, march) == 5
    assert await measure(KpiMetric.NEW_DEALS, north, march) == 6
    assert await measure(KpiMetric.REVENUE, north, month_of(START + timedelta(days=40), "UTC")) == 0


async def test_interactions_count_by_kind_for_their_author(org: Org) -> None:
    contact = await make_contact(org.manager)
    for kind in ("call", "call", "meeting", "visit", "note"):
        await log_interaction(org.manager, {"kind": kind, "contact_id": contact.id})
    march = month_of(START, "Europe/Moscow")
    mine = Whose(user_id=org.manager.user_id)
    assert await measure(KpiMetric.CALLS, mine, march) == 2
    assert await measure(KpiMetric.INTERACTIONS, mine, march) == 4  # a note is no contact
    assert await measure(KpiMetric.CALLS, Whose(user_id=org.colleague.user_id), march) == 0


@pytest.mark.parametrize(("target", "code"), [("²", "not_a_count"), ("9" * 30, "too_large")])
async def test_a_count_target_is_ascii_digits_a_column_can_hold(
    org: Org, target: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as bad:
        await create_plan(
            org.head,
            {"user_id": org.manager.user_id, "metric": "calls", "target": target, **MARCH},
        )
    assert error_codes(bad.value) == {"target": code}


async def test_plans_are_monthly_one_per_person_and_set_by_heads(org: Org) -> None:
    plan = await create_plan(
        org.head,
        {"user_id": org.manager.user_id, "metric": "revenue", "target": "1500000.50", **MARCH},
    )
    assert plan.target == 150000050
    with pytest.raises(ValidationFailed) as twice:
        await create_plan(
            org.head, {"user_id": org.manager.user_id, "metric": "revenue", "target": "1", **MARCH}
        )
    assert error_codes(twice.value) == {"period_start": "duplicate"}
    with pytest.raises(ValidationFailed) as bad:
        await create_plan(
            org.head,
            {
                "user_id": org.stranger.user_id,
                "metric": "calls",
                "target": "ten",
                "period_start": date(2025, 3, 2),
                "period_end": date(2025, 3, 31),
            },
        )
    assert error_codes(bad.value) == {
        "user_id": "not_found",
        "period_end": "not_a_month",
        "target": "not_a_count",
    }
    with pytest.raises(Forbidden):
        await create_plan(
            org.manager, {"user_id": org.manager.user_id, "metric": "calls", "target": 5, **MARCH}
        )
    with pytest.raises(NotFound):
        await update_plan(org.south_head, plan.id, {"target": "2"})
    assert (await update_plan(org.head, plan.id, {"target": "2.5"})).target == 250


async def test_kpi_definitions_are_for_admins_and_thresholds_must_make_sense(org: Org) -> None:
    with pytest.raises(Forbidden):
        await create_kpi(
            org.head, {"name": "Звонки", "metric": "calls", "warning": 80, "critical": 50}
        )
    with pytest.raises(ValidationFailed) as upside_down:
        await create_kpi(
            org.admin, {"name": "Звонки", "metric": "calls", "warning": 50, "critical": 80}
        )
    assert error_codes(upside_down.value) == {"critical": "above_warning"}
    kpi = await create_kpi(
        org.admin, {"name": "Звонки", "metric": "calls", "warning": 80, "critical": 50}
    )
    with pytest.raises(ValidationFailed):
        await update_kpi(org.admin, kpi.id, {"critical": 90})
    assert (await update_kpi(org.admin, kpi.id, {"critical": 60})).critical == 60


async def test_a_month_of_calls_alerts_once_per_level(org: Org, clock: FrozenClock) -> None:
    contact = await make_contact(org.manager)
    await create_plan(
        org.head, {"user_id": org.manager.user_id, "metric": "calls", "target": 100, **MARCH}
    )
    await create_kpi(
        org.admin,
        {
            "name": "Звонки",
            "metric": "calls",
            "warning": 80,
            "critical": 50,
            "notify": "both",
            "task_for": "user",
        },
    )
    runs = []
    for _day in range(3, 32):
        # Two calls a day from the 3rd: the plan needs 100 / 31 ≈ 3.2 a day.
        for _ in range(2):
            await log_interaction(org.manager, {"kind": "call", "contact_id": contact.id})
        for _ in range(4):  # the job runs every 6 hours
            runs.append((clock.now(), await evaluate_kpis()))
            clock.advance(timedelta(hours=6))

    breaches = await KpiBreach.all().order_by("id")
    assert [(b.level, b.subject_key) for b in breaches] == [
        (KpiLevel.CRITICAL, f"user:{org.manager.user_id}")
    ]
    [breach] = breaches
    assert breach.period_start == date(2025, 3, 1)
    # The first three days are quiet (grace): the alert comes at the first run on the 4th,
    # midnight in Moscow, and never again that month (a later warning is no news after it).
    assert [at for at, new in runs if new] == [datetime(2025, 3, 3, 21, 0, tzinfo=UTC)]
    alerts = await OutboundMessage.filter(purpose="kpi_breach").order_by("address")
    assert [m.address for m in alerts] == ["901", "902"]  # the manager and their head
    assert "KPI «Звонки»: критично" in alerts[0].body
    task = await Task.get(id=breach.task_id)
    assert task.assignee_id == org.manager.user_id
    assert task.title.startswith("KPI «Звонки»: критично")

    # April starts over.
    await create_plan(
        org.head,
        {
            "user_id": org.manager.user_id,
            "metric": "calls",
            "target": 100,
            "period_start": date(2025, 4, 1),
            "period_end": date(2025, 4, 30),
        },
    )
    clock.advance(timedelta(days=5))
    assert await evaluate_kpis() == 1
    assert await KpiBreach.filter(period_start=date(2025, 4, 1)).count() == 1


async def test_warning_then_critical_each_once(org: Org, clock: FrozenClock) -> None:
    contact = await make_contact(org.manager)
    await create_plan(
        org.head, {"user_id": org.manager.user_id, "metric": "calls", "target": 31, **MARCH}
    )
    await create_kpi(
        org.admin,
        {
            "name": "Звонки",
            "metric": "calls",
            "warning": 80,
            "critical": 50,
            "grace_days": 0,
            "notify": "head",
            "task_for": "head",
        },
    )
    clock.advance(timedelta(days=6, hours=12))  # 10 March 00:00 Moscow: 9 calls due
    for _ in range(6):  # 66 %: a warning
        await log_interaction(org.manager, {"kind": "call", "contact_id": contact.id})
    [subject] = [s for s in await kpi_subjects() if s.id == org.manager.user_id]
    warning = await check_kpi(subject)
    assert warning is not None
    assert warning.level is KpiLevel.WARNING
    assert await check_kpi(subject) is None
    clock.advance(timedelta(days=10))  # 19 due, 6 made: critical
    critical = await check_kpi(subject)
    assert critical is not None
    assert critical.level is KpiLevel.CRITICAL
    assert await check_kpi(subject) is None
    tasks = await Task.filter(id__in=[warning.task_id, critical.task_id])
    assert {t.assignee_id for t in tasks} == {org.head.user_id}
    assert await OutboundMessage.filter(purpose="kpi_breach", address="901").count() == 0


async def test_status_for_me_and_for_my_office(org: Org, clock: FrozenClock) -> None:
    await create_plan(
        org.head, {"user_id": org.manager.user_id, "metric": "revenue", "target": "100", **MARCH}
    )
    await create_plan(
        org.admin, {"office_id": org.north.id, "metric": "deals_won", "target": 10, **MARCH}
    )
    await create_kpi(
        org.admin, {"name": "Выручка", "metric": "revenue", "warning": 80, "critical": 50}
    )
    await create_kpi(
        org.admin,
        {
            "name": "Сделки офиса",
            "metric": "deals_won",
            "subject": "office",
            "warning": 80,
            "critical": 50,
            "office_id": org.north.id,
        },
    )
    await _won(org.manager, "30.00")

    [mine] = await my_kpis(org.manager)
    assert (mine.reading.value, mine.reading.target) == (3000, 10000)
    assert mine.definition.name == "Выручка"
    north = await office_kpis(org.head, org.north.id)
    assert [(s.definition.name, s.office_id, s.user_id) for s in north][:1] == [
        ("Сделки офиса", org.north.id, None)
    ]
    assert {s.user_id for s in north[1:]} == {
        org.head.user_id,
        org.manager.user_id,
        org.colleague.user_id,
    }
    assert len(await office_kpis(org.manager, org.north.id)) == 1  # managers: the office only
    with pytest.raises(NotFound):
        await office_kpis(org.south_head, org.north.id)
