"""Stage timers, deadlines and quiet deals, travelling in time: each notice at its moment and
once per stage entry, deadline value or silence; the head after the further delay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, Deal, OutboundMessage, Pipeline, Stage, User
from models.ops.deal_timers import TimerSettings, deadlines, quiet_deals, stage_timers
from models.ops.deals import move_deal_to_stage, update_deal, win_deal
from models.ops.interactions import log_interaction
from models.ops.leads import update_lead
from tests.factories import T0, Org, make_deal, make_lead, stage_named

pytestmark = pytest.mark.usefixtures("db")

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
TIMERS = TimerSettings(stage_escalate_after=DAY, deadline_warn=DAY, quiet_days=7)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen, use_channels({Channel.TELEGRAM}):
        yield frozen


@pytest.fixture
async def linked(org: Org) -> Org:
    for n, actor in enumerate((org.manager, org.head)):
        await User.filter(id=actor.user_id).update(telegram_user_id=9300 + n)
    return org


async def told(purpose: str) -> list[OutboundMessage]:
    return await OutboundMessage.filter(purpose=purpose).order_by("id")


async def test_a_deal_over_its_stage_time_tells_the_owner_then_the_head(
    clock: FrozenClock, linked: Org, pipeline: Pipeline
) -> None:
    deal = await make_deal(linked.manager, title="Поставка насосов")  # «Новая», 5 days planned
    clock.advance(5 * DAY)
    assert await stage_timers(TIMERS) == 0
    clock.advance(HOUR)
    assert await stage_timers(TIMERS) == 1
    assert await stage_timers(TIMERS) == 0

    (owner,) = await told("deal_stage_overdue")
    assert owner.user_id == linked.manager.user_id
    assert owner.body == (
        "<b>Сделка дольше срока в этапе</b>\n"
        "«Поставка насосов»: 5 дн. в этапе «Новая», по плану 5 дн."
    )
    assert owner.payload["buttons"] == [
        [{"text": "Открыть сделку", "callback_data": f"open:deal:{deal.id}"}]
    ]
    clock.advance(DAY - 2 * HOUR)
    assert await stage_timers(TIMERS) == 0
    clock.advance(2 * HOUR)
    assert await stage_timers(TIMERS) == 1
    clock.advance(DAY)
    assert await stage_timers(TIMERS) == 0
    (head,) = await told("deal_stage_escalation")
    assert head.user_id == linked.head.user_id
    assert "«Поставка насосов» 6 дн. в этапе «Новая»" in head.body


async def test_a_new_stage_entry_starts_its_own_timer(
    clock: FrozenClock, linked: Org, pipeline: Pipeline
) -> None:
    deal = await make_deal(linked.manager)
    clock.advance(6 * DAY)
    await stage_timers(TIMERS)
    work = await stage_named(pipeline, "В работе")
    await move_deal_to_stage(linked.manager, deal.id, work.id, version=None)
    clock.advance(4 * DAY)
    assert await stage_timers(TIMERS) == 0
    clock.advance(2 * DAY)
    assert await stage_timers(TIMERS) == 1
    assert len(await told("deal_stage_overdue")) == 2


async def test_closed_deals_and_stages_without_a_plan_are_never_overdue(
    clock: FrozenClock, linked: Org, pipeline: Pipeline
) -> None:
    won = await make_deal(linked.manager)
    await win_deal(linked.manager, won.id, version=None, values={"amount": "100"})
    unplanned = await make_deal(linked.manager)
    await Stage.filter(id=unplanned.stage_id).update(planned_days=None)
    clock.advance(30 * DAY)
    assert await stage_timers(TIMERS) == 0


async def test_a_deadline_is_told_a_day_before_and_when_it_comes_once_each(
    clock: FrozenClock, linked: Org, pipeline: Pipeline
) -> None:
    deadline = T0 + 3 * DAY
    deal = await make_deal(linked.manager, title="Тендер", deadline=deadline)
    clock.advance(2 * DAY - HOUR)
    assert await deadlines(TIMERS) == 0
    clock.advance(HOUR)
    assert await deadlines(TIMERS) == 1
    assert await deadlines(TIMERS) == 0
    clock.advance(DAY)
    assert await deadlines(TIMERS) == 1
    clock.advance(DAY)
    assert await deadlines(TIMERS) == 0

    before, at = await told("deadline")
    assert before.body == "<b>Скоро срок</b>\nСделка «Тендер»: срок 06.03.2025 12:00."
    assert at.body == "<b>Срок наступил</b>\nСделка «Тендер»: срок 06.03.2025 12:00."
    # A moved deadline is told about again, both times.
    await update_deal(linked.manager, deal.id, {"deadline": T0 + 10 * DAY}, version=None)
    clock.advance(5 * DAY)
    assert await deadlines(TIMERS) == 1
    clock.advance(DAY)
    assert await deadlines(TIMERS) == 1
    assert len(await told("deadline")) == 4


async def test_a_scheduler_that_missed_the_warning_tells_only_that_the_deadline_came(
    clock: FrozenClock, linked: Org
) -> None:
    await make_lead(linked.manager, title="Заявка с сайта", deadline=T0 + HOUR)
    clock.advance(2 * HOUR)
    assert await deadlines(TIMERS) == 1
    (at,) = await told("deadline")
    assert at.body == "<b>Срок наступил</b>\nЗаявка «Заявка с сайта»: срок 03.03.2025 13:00."


async def test_a_closed_lead_is_not_told_about(clock: FrozenClock, linked: Org) -> None:
    lead = await make_lead(linked.manager, deadline=T0 + HOUR)
    await update_lead(linked.manager, lead.id, {"title": "Другая"}, version=None)
    from models.ops.leads import reject_lead

    await reject_lead(linked.manager, lead.id, version=None)
    clock.advance(2 * HOUR)
    assert await deadlines(TIMERS) == 0


async def test_a_quiet_deal_is_told_once_per_silence_by_the_pipelines_days(
    clock: FrozenClock, linked: Org, pipeline: Pipeline
) -> None:
    await Pipeline.filter(id=pipeline.id).update(stale_after_days=3)
    deal = await make_deal(linked.manager, title="Тишина")
    await Stage.filter(pipeline_id=pipeline.id).update(planned_days=None)
    clock.advance(3 * DAY)
    assert await quiet_deals(TIMERS) == 0
    clock.advance(HOUR)
    assert await quiet_deals(TIMERS) == 1
    assert await quiet_deals(TIMERS) == 0
    (first,) = await told("deal_quiet")
    assert first.body == (
        "<b>Нет контакта по сделке</b>\n«Тишина»: ни одного контакта 3 дн. (с 03.03.2025 12:00)."
    )

    await log_interaction(linked.manager, {"kind": "call", "deal_id": deal.id, "outcome": "ok"})
    clock.advance(3 * DAY)
    assert await quiet_deals(TIMERS) == 0
    clock.advance(HOUR)
    assert await quiet_deals(TIMERS) == 1
    assert await quiet_deals(TIMERS) == 0


async def test_the_installation_default_applies_without_a_pipeline_setting(
    clock: FrozenClock, linked: Org, pipeline: Pipeline
) -> None:
    await make_deal(linked.manager)
    clock.advance(7 * DAY + HOUR)
    assert await quiet_deals(TimerSettings(DAY, DAY, quiet_days=8)) == 0
    assert await quiet_deals(TIMERS) == 1
    assert (await Deal.first()) is not None
