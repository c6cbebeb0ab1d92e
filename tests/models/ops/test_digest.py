"""The morning digest: at the user's local time across time zones, once per local date, late
but once after a stopped scheduler, nothing when switched off or when the day is empty."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, OutboundMessage, User
from models.errors import ValidationFailed
from models.ops.digest import digest_choice, send_digests, set_my_digest
from models.ops.kpi import create_kpi, create_plan
from models.ops.org import update_office
from tests.factories import Org, make_task

pytestmark = pytest.mark.usefixtures("db")

# Sunday 2 March 2025, 20:00 UTC: 23:00 in Moscow, 02:00 on Monday in Novosibirsk (UTC+7).
EVENING = datetime(2025, 3, 2, 20, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(EVENING)) as frozen, use_channels({Channel.TELEGRAM}):
        yield frozen


@pytest.fixture
async def linked(org: Org) -> Org:
    for n, actor in enumerate((org.manager, org.stranger)):
        await User.filter(id=actor.user_id).update(telegram_user_id=9400 + n)
    return org


async def digests(user_id: int | None) -> list[OutboundMessage]:
    return await OutboundMessage.filter(purpose="digest", user_id=user_id).order_by("id")


async def test_the_digest_comes_at_nine_local_time_in_each_zone(
    clock: FrozenClock, linked: Org
) -> None:
    await update_office(linked.admin, linked.south.id, {"timezone": "Asia/Novosibirsk"})
    monday = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)  # 09:00 Moscow, 13:00 Novosibirsk
    await make_task(linked.manager, title="Позвонить Иванову", due_at=monday + 5 * HOUR)
    await make_task(linked.stranger, title="Выставить счёт", due_at=monday + HOUR)

    clock.advance(timedelta(hours=6))  # 02:00 UTC: 09:00 in Novosibirsk, 05:00 in Moscow
    assert await send_digests() == 1
    (south,) = await digests(linked.stranger.user_id)
    assert south.body == ("<b>Ваш день</b>\nНа сегодня: 1\n• Выставить счёт — 03.03.2025 14:00")
    assert await digests(linked.manager.user_id) == []

    clock.advance(4 * HOUR - MINUTE)  # 05:59 UTC: 08:59 in Moscow
    assert await send_digests() == 0
    clock.advance(MINUTE)
    assert await send_digests() == 1
    (north,) = await digests(linked.manager.user_id)
    assert north.body == "<b>Ваш день</b>\nНа сегодня: 1\n• Позвонить Иванову — 03.03.2025 14:00"
    clock.advance(HOUR)
    assert await send_digests() == 0


async def test_a_stopped_scheduler_sends_one_late_digest_and_the_next_day_another(
    clock: FrozenClock, linked: Org
) -> None:
    await make_task(linked.manager, title="Старая", due_at=EVENING - HOUR)
    clock.advance(15 * HOUR)  # Monday 14:00 in Moscow: five hours late
    assert await send_digests() == 1
    assert await send_digests() == 0
    (late,) = await digests(linked.manager.user_id)
    assert late.body.startswith("<b>Ваш день</b>\nПросрочено: 1\n• Старая — 02.03.2025 22:00")
    clock.advance(19 * HOUR)  # Tuesday 09:00
    assert await send_digests() == 1
    assert [m.dedup_key for m in await digests(linked.manager.user_id)] == [
        f"digest:{linked.manager.user_id}:2025-03-03:telegram",
        f"digest:{linked.manager.user_id}:2025-03-04:telegram",
    ]


async def test_two_runs_at_once_send_one_digest(clock: FrozenClock, linked: Org) -> None:
    import asyncio

    await make_task(linked.manager, due_at=EVENING + 16 * HOUR)
    clock.advance(13 * HOUR)
    assert sum(await asyncio.gather(send_digests(), send_digests())) == 1
    assert len(await digests(linked.manager.user_id)) == 1


async def test_the_users_own_time_and_off_switch(clock: FrozenClock, linked: Org) -> None:
    await make_task(linked.manager, due_at=EVENING + 20 * HOUR)
    choice = await set_my_digest(linked.manager, time="07:30")
    assert (choice.enabled, choice.time) == (True, "07:30")
    clock.advance(timedelta(hours=8, minutes=30))  # 07:30 Moscow
    assert await send_digests() == 1

    await set_my_digest(linked.manager, enabled=False)
    clock.advance(timedelta(days=1))
    assert await send_digests() == 0
    assert len(await digests(linked.manager.user_id)) == 1
    user = await User.get(id=linked.manager.user_id)
    assert (digest_choice(user).enabled, user.digest_sent_on) == (False, date(2025, 3, 3))


async def test_an_empty_day_sends_nothing(clock: FrozenClock, linked: Org) -> None:
    clock.advance(13 * HOUR)
    assert await send_digests() == 0
    assert await OutboundMessage.filter(purpose="digest").count() == 0
    await make_task(linked.manager, due_at=EVENING + 14 * HOUR)
    assert await send_digests() == 0  # the day was passed over, once


async def test_a_time_that_is_not_a_time_is_refused(clock: FrozenClock, linked: Org) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await set_my_digest(linked.manager, time="25:00")
    assert [(e.field, e.code) for e in refused.value.errors] == [("time", "invalid_time")]
    assert digest_choice(await User.get(id=linked.manager.user_id)).time == "09:00"


async def test_kpis_behind_pace_have_their_section_in_both_languages(
    clock: FrozenClock, linked: Org
) -> None:
    march = {"period_start": date(2025, 3, 1), "period_end": date(2025, 3, 31)}
    await create_plan(
        linked.head, {"user_id": linked.manager.user_id, "metric": "calls", "target": 100, **march}
    )
    kpi = {"metric": "calls", "warning": 80, "critical": 50}
    await create_kpi(linked.admin, {"name": "Звонки", **kpi})
    await create_kpi(linked.admin, {"name": "Звонки (мягко)", **kpi, "warning": 1, "critical": 0})
    clock.advance(timedelta(days=7, hours=10))  # Monday 10 March, 09:00 in Moscow
    assert await send_digests() == 1  # the KPI alone makes the day worth a digest
    (digest,) = await digests(linked.manager.user_id)
    assert digest.body.splitlines() == [
        "<b>Ваш день</b>",
        "Ваши KPI: 2",
        "• Звонки: 0 из 100, к этому дню ожидалось 31 — критично",
        "• Звонки (мягко): 0 из 100, к этому дню ожидалось 31 — внимание",
    ]
    await User.filter(id=linked.manager.user_id).update(language="en")
    clock.advance(timedelta(days=1))
    assert await send_digests() == 1
    assert (await digests(linked.manager.user_id))[-1].body.splitlines()[1:3] == [
        "Your KPIs: 2",
        "• Звонки: 0 of 100, 34 expected by today — critical",
    ]
