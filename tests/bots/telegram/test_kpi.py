"""/kpi: my KPIs this month with their level; heads see their office and its people too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from models.actor import Actor
from models.clock import FrozenClock, use_clock
from models.entities import User
from models.ops.interactions import log_interaction
from models.ops.kpi import create_kpi, create_plan
from tests.bots.conftest import BotHarness, link
from tests.bots.telegram.workday import MONDAY_NOON
from tests.doubles.telegram_updates import Person
from tests.factories import Org, make_contact, make_org

OLGA = Person(8401, "Ольга", "ru")
BORIS = Person(8402, "Борис", "en")  # head of Olga's office, reads English
MARCH = {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(MONDAY_NOON + timedelta(days=7))) as frozen:  # 10 March
        yield frozen


@pytest.fixture
async def org(clock: FrozenClock) -> Org:
    org = await make_org()
    await link(await User.get(id=org.manager.user_id), OLGA)
    boris = await User.get(id=org.head.user_id)
    await User.filter(id=boris.id).update(language="en")
    await link(boris, BORIS)
    return org


async def _calls_kpi(org: Org) -> None:
    system = Actor.system()
    await create_kpi(system, {"name": "Звонки", "metric": "calls", "warning": 80, "critical": 50})
    await create_plan(
        org.head, {"user_id": org.manager.user_id, "metric": "calls", "target": 31, **MARCH}
    )
    contact = await make_contact(org.manager)
    for _ in range(6):
        await log_interaction(org.manager, {"kind": "call", "contact_id": contact.id})


async def test_my_kpi(telegram: BotHarness, org: Org) -> None:
    await _calls_kpi(org)
    await telegram.send(OLGA, "/kpi")
    # 10 March, 12:00 in Moscow: 9.5 days of 31 passed, 9.5 calls due, 6 made.
    assert telegram.texts(OLGA) == [
        "<b>KPI</b>, 03.2025\n\n<b>Мои</b>\n⚠️ Звонки: 6 из 31, 63 % темпа"
    ]


async def test_a_head_sees_the_office_and_its_people(telegram: BotHarness, org: Org) -> None:
    await _calls_kpi(org)
    await telegram.send(BORIS, "/kpi")
    [text] = telegram.texts(BORIS)
    colleague = await User.get(id=org.colleague.user_id)
    olga = await User.get(id=org.manager.user_id)
    assert text.splitlines() == [
        "<b>KPI</b>, 03.2025",
        "",
        "<b>Mine</b>",
        "✅ Звонки: 0, no plan",
        "",
        "<b>People</b>",
        f"⚠️ Звонки — {olga.full_name}: 6 of 31, 63 % of the pace",
        f"✅ Звонки — {colleague.full_name}: 0, no plan",
    ]


async def test_no_kpis_yet(telegram: BotHarness, org: Org) -> None:
    await telegram.send(OLGA, "/kpi")
    assert telegram.texts(OLGA) == ["KPI пока не настроены: их задаёт администратор."]
